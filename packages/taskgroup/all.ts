// Copyright the corral authors. MIT license.
import type { CancelScope } from "@corral/scope";
import { taskGroup } from "./task_group.ts";
import { checkAttempts } from "./_validate.ts";

/** The values of `all`'s functions, in order. */
export type AllValues<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: T[K] extends (scope: CancelScope) => infer R
    ? Awaited<R>
    : never;
};

/**
 * Runs the functions concurrently as tasks of one group and returns their
 * values in order: a structured `Promise.all`. If one fails, the others are
 * cancelled and awaited, and a `TaskGroupError` holds every failure.
 *
 * @typeParam T The tuple of functions.
 * @param fns The functions; each receives its own scope.
 * @returns Their values, in order.
 * @throws {TaskGroupError} If any failed.
 * @throws {TypeError} If one is not a function.
 *
 * @example Usage
 * ```ts
 * import { all } from "@corral/taskgroup";
 * import assert from "node:assert/strict";
 *
 * const [user, count] = await all([
 *   async () => "ada",
 *   async () => 3,
 * ]);
 * assert.equal(user, "ada");
 * assert.equal(count, 3);
 * ```
 */
export function all<
  const T extends readonly ((scope: CancelScope) => unknown)[],
>(fns: T): Promise<AllValues<T>> {
  checkAttempts("run all", fns, "fns");
  return allValidated(fns);
}

async function allValidated<
  const T extends readonly ((scope: CancelScope) => unknown)[],
>(fns: T): Promise<AllValues<T>> {
  const values = new Array(fns.length);
  await taskGroup((group) => {
    for (const [index, fn] of fns.entries()) {
      group.spawn(async (scope) => {
        values[index] = await fn(scope);
      }, { name: `all[${index}]` });
    }
  }, { name: "all" });
  return values as AllValues<T>;
}
