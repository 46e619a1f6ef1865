// Copyright the corral authors. MIT license.
import { Cancelled, type CancelScope } from "@corral/scope";
import { taskGroup } from "./task_group.ts";
import { checkCallback } from "./_validate.ts";
import { show } from "@corral/scope/plumbing";

/** The outcomes of `allSettled`'s functions, in order. */
export type AllSettledResults<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: T[K] extends (scope: CancelScope) => infer R
    ? PromiseSettledResult<Awaited<R>>
    : never;
};

/**
 * Runs every function as a task of one group and waits for all of them,
 * then returns how each one ended, in input order, in the shape of
 * `Promise.allSettled` (`{ status: "fulfilled", value }` or
 * `{ status: "rejected", reason }`): a structured `Promise.allSettled`.
 * Unlike {@linkcode all}, a failure does not cancel the others.
 *
 * Cancelling the caller cancels every task, waits for them, and propagates
 * as one `Cancelled` (rule 10), not as a list of rejections. A function that
 * cancels its own scope is reported `rejected` with that scope's
 * `Cancelled` as the reason (a record of what happened; do not rethrow it).
 *
 * @typeParam T The tuple of functions.
 * @param fns The functions, any iterable of them; each receives its own
 * scope.
 * @returns One result per function, in input order.
 * @throws {Cancelled} If the caller's scope was cancelled.
 * @throws {TypeError} If `fns` is not iterable, or holds something that is
 * not a function (a promise in it is marked handled, and the message says
 * to pass a function instead).
 *
 * @example Usage
 * ```ts
 * import { allSettled } from "@corral/taskgroup";
 * import { sleep } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * const [user, orders] = await clock.run(() =>
 *   allSettled([
 *     async () => (await sleep(100), "ada"),
 *     async () => {
 *       await sleep(10);
 *       throw new Error("orders service down");
 *     },
 *   ])
 * ) ?? [];
 * assert.deepEqual(user, { status: "fulfilled", value: "ada" });
 * assert.equal(orders?.status, "rejected");
 * assert.equal(clock.now(), 100); // the failure cancelled nothing
 * ```
 */
export function allSettled<
  const T extends readonly ((scope: CancelScope) => unknown)[],
>(fns: T): Promise<AllSettledResults<T>>;
/**
 * Runs every function as a task of one group; returns how each ended, in
 * input order (see the tuple form above).
 *
 * @typeParam R The value of the functions.
 * @param fns Any iterable of functions.
 * @returns One result per function, in input order.
 */
export function allSettled<R>(
  fns: Iterable<(scope: CancelScope) => R | Promise<R>>,
): Promise<PromiseSettledResult<Awaited<R>>[]>;
export function allSettled(
  fns: Iterable<(scope: CancelScope) => unknown>,
): Promise<PromiseSettledResult<unknown>[]> {
  return allSettledValidated(checkFunctions(fns));
}

/** Bad input throws from the call, before any function runs (docs/rules.md, "Bad input"). */
function checkFunctions(
  fns: unknown,
): ((scope: CancelScope) => unknown)[] {
  if (
    fns === null || fns === undefined ||
    typeof (fns as { [Symbol.iterator]?: unknown })[Symbol.iterator] !==
      "function"
  ) {
    throw new TypeError(
      `Cannot run allSettled: 'fns' must be an iterable of functions: current value is ${
        show(fns)
      }`,
    );
  }
  const list = Array.from(fns as Iterable<unknown>);
  // Mark every promise handled before the first complaint, so that none of
  // the others can end the process with an unhandled rejection.
  for (const fn of list) {
    if (fn instanceof Promise) fn.then(undefined, () => {});
  }
  list.forEach((fn, index) =>
    checkCallback(`run allSettled: function ${index}`, fn)
  );
  return list as ((scope: CancelScope) => unknown)[];
}

async function allSettledValidated(
  fns: ((scope: CancelScope) => unknown)[],
): Promise<PromiseSettledResult<unknown>[]> {
  const results = new Array<PromiseSettledResult<unknown>>(fns.length);
  await taskGroup((group) => {
    for (const [index, fn] of fns.entries()) {
      group.spawn(async (scope) => {
        try {
          results[index] = { status: "fulfilled", value: await fn(scope) };
        } catch (error) {
          // Every failure is a result, so the group never sees one and
          // cancels nothing. A cancellation also goes on to the scope that
          // owns it (rule 3): the task's own, which absorbs it and leaves
          // the record; or the caller's, and then the group throws one
          // Cancelled and the records are never returned.
          results[index] = { status: "rejected", reason: error };
          if (error instanceof Cancelled) throw error;
        }
      }, { name: `allSettled[${index}]` });
    }
  }, { name: "allSettled" });
  return results;
}
