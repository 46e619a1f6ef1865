// Copyright the corral authors. MIT license.
import { type CancelScope, waitUnlessCancelled } from "@corral/scope";
import { cancellationOf, park } from "@corral/scope/plumbing";
import { taskGroup } from "./task_group.ts";
import {
  checkCallback,
  checkIterable,
  checkLimit,
  checkOptions,
} from "./_validate.ts";

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
 * The items are pulled lazily, from an `Iterable` or an `AsyncIterable`: the
 * next item is taken only when a call can start on it, so at most `limit`
 * items are held at once, and after a failure no further item is pulled.
 * When `map` stops early, the source is closed (its `return()`).
 *
 * @typeParam T The items.
 * @typeParam R The results.
 * @param items The input.
 * @param fn Called with each item, its index and the call's scope.
 * @param options The concurrency limit.
 * @returns The results, in input order.
 * @throws {TaskGroupError} If any call failed.
 * @throws {TypeError} If `items` is not iterable, or `fn` is not a function.
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
  items: Iterable<T> | AsyncIterable<T>,
  fn: (item: T, index: number, scope: CancelScope) => R | Promise<R>,
  options?: MapOptions,
): Promise<R[]> {
  checkIterable("map", items, "items");
  checkCallback("map", fn);
  checkOptions("map", options);
  const limit = options?.limit;
  checkLimit("map", limit);
  return mapValidated(items, fn, limit ?? Infinity);
}

async function mapValidated<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  fn: (item: T, index: number, scope: CancelScope) => R | Promise<R>,
  limit: number,
): Promise<R[]> {
  const results: R[] = [];
  await taskGroup(async (group) => {
    const source = pull(items);
    let running = 0;
    let slotFreed: (() => void) | undefined;
    try {
      for (let index = 0;; index++) {
        // Lazily: an item is pulled only when a call can start on it, so
        // at most `limit` items are held, whatever the source's length.
        while (running >= limit) {
          await park<void>((wake) => {
            slotFreed = wake;
            return () => slotFreed = undefined;
          });
        }
        // After a failure the group is cancelled: pull nothing more.
        const cancelled = cancellationOf(group.scope);
        if (cancelled !== undefined) throw cancelled;
        const next = await source.next();
        if (next.done) break;
        running++;
        group.spawn(async (scope) => {
          results[index] = await fn(next.value, index, scope);
          // Only a success frees a slot: a failure cancels the group, which
          // stops the loop above before it pulls another item.
          running--;
          const wake = slotFreed;
          slotFreed = undefined;
          wake?.();
        }, { name: `map[${index}]` });
      }
    } finally {
      source.close();
    }
  }, { name: "map" });
  return results;
}

/**
 * The items of a sync or async iterable, one `next()` at a time. Waiting
 * for an async source's next item is a checkpoint: a failing call cancels
 * the group, and the body must not hang on a source that is slow to answer.
 * `close()` ends the source early (its `return()`), without waiting for a
 * source still busy with the `next()` we gave up on.
 */
function pull<T>(items: Iterable<T> | AsyncIterable<T>): {
  next(): Promise<IteratorResult<T>> | IteratorResult<T>;
  close(): void;
} {
  let done = false, busy = false;
  if (typeof (items as Iterable<T>)[Symbol.iterator] === "function") {
    const iterator = (items as Iterable<T>)[Symbol.iterator]();
    return {
      next() {
        const next = iterator.next();
        done = next.done === true;
        return next;
      },
      close() {
        if (!done) iterator.return?.();
      },
    };
  }
  const iterator = (items as AsyncIterable<T>)[Symbol.asyncIterator]();
  return {
    async next() {
      busy = true;
      const next = await waitUnlessCancelled(iterator.next());
      busy = false;
      done = next.done === true;
      return next;
    },
    close() {
      if (done) return;
      const closing = iterator.return?.();
      // Not awaited while a `next()` is pending: an async generator runs
      // `return()` only after it, which may be never.
      if (busy) Promise.resolve(closing).catch(() => {});
    },
  };
}
