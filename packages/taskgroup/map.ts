// Copyright the corral authors. MIT license.
import type { CancelScope } from "@corral/scope";
import { taskGroup } from "./task_group.ts";
import { checkCallback, checkLimit } from "./_validate.ts";

/** Options for {@linkcode map}. */
export interface MapOptions {
  /** At most this many calls run at once. @default {undefined} (no limit) */
  limit?: number;
}

/**
 * Calls `fn` on every item concurrently, at most `limit` at a time, and
 * returns the results in input order (like std's `pooledMap`, but
 * structured: a failure cancels the calls still running, and every failure
 * is reported in a `TaskGroupError`).
 *
 * @typeParam T The items.
 * @typeParam R The results.
 * @param items The input.
 * @param fn Called with each item, its index and the call's scope.
 * @param options The concurrency limit.
 * @returns The results, in input order.
 * @throws {TaskGroupError} If any call failed.
 * @throws {TypeError} If `fn` is not a function.
 * @throws {RangeError} If `limit` is not a positive integer.
 *
 * @example Usage
 * ```ts
 * import { map } from "@corral/taskgroup";
 * import { sleep } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * const lengths = await clock.run(() =>
 *   map(["a", "bbb", "cc"], async (word) => {
 *     await sleep(10 * (4 - word.length)); // the longest finishes first
 *     return word.length;
 *   }, { limit: 2 })
 * );
 * assert.deepEqual(lengths, [1, 3, 2]);
 * ```
 */
export function map<T, R>(
  items: Iterable<T>,
  fn: (item: T, index: number, scope: CancelScope) => R | Promise<R>,
  options: MapOptions = {},
): Promise<R[]> {
  checkCallback("map", fn);
  checkLimit("map", options.limit);
  return mapValidated(Array.from(items), fn, options.limit);
}

async function mapValidated<T, R>(
  inputs: T[],
  fn: (item: T, index: number, scope: CancelScope) => R | Promise<R>,
  limit: number | undefined,
): Promise<R[]> {
  const results = new Array<R>(inputs.length);
  await taskGroup((group) => {
    for (const [index, item] of inputs.entries()) {
      group.spawn(async (scope) => {
        results[index] = await fn(item, index, scope);
      });
    }
  }, { name: "map", limit });
  return results;
}
