// Copyright the corral authors. MIT license.
import type { SafeStream } from "./produce.ts";
import { type MapPlan, MapStream } from "./_map_run.ts";
import {
  checkBoolean,
  checkCallback,
  checkCount,
  checkOptions,
  checkSource,
} from "./_validate.ts";

/**
 * Options for {@linkcode mapStream}.
 *
 * @example Results as they complete, eight calls at a time
 * ```ts
 * import { mapStream, type MapStreamOptions } from "@corral/stream";
 * import assert from "node:assert/strict";
 *
 * const options: MapStreamOptions = { limit: 8, ordered: false };
 * const squares: number[] = [];
 * for await (const square of mapStream([1, 2, 3], (n) => n * n, options)) {
 *   squares.push(square);
 * }
 * assert.deepEqual(squares.sort((a, b) => a - b), [1, 4, 9]);
 * ```
 */
export interface MapStreamOptions {
  /**
   * At most this many calls of `fn` at once, and (with the default
   * `buffer` of 0) at most this many items held at once: being mapped, or
   * mapped and waiting for their turn to be yielded. A positive integer
   * (required: the bound on memory is yours to choose).
   */
  limit: number;
  /**
   * Yield the results in input order (the default), or as they complete
   * (`false`). @default {true}
   */
  ordered?: boolean;
  /**
   * How many more items may be held beyond `limit`: mapped results
   * waiting for the consumer, so that the calls can run ahead of a slow
   * consumer. @default {0}
   */
  buffer?: number;
}

/**
 * Maps a sync or async iterable concurrently, at most `limit` items at a
 * time, as a stream (std's `pooledMap`, made structured).
 *
 * - The source is pulled lazily: an item is taken only when fewer than
 *   `limit` are being mapped and fewer than `limit + buffer` are held
 *   (being mapped, or mapped and waiting for their turn), so memory is
 *   bounded by `limit` plus `buffer`, whatever the source's length; an
 *   endless source is fine.
 * - Results come in input order, or as completed with `ordered: false`.
 * - At the first failure (of `fn` or of the source), no further item is
 *   pulled, the calls in flight are cancelled, and, once they have ended,
 *   the consumer's next `next()` throws the failure itself (several
 *   failures at once come as one `TaskGroupError`). Results not yet yielded
 *   are dropped.
 * - Leaving the loop cancels the calls in flight and closes the source
 *   (`return()`), and waits for both: nothing outlives the loop.
 *
 * The calls run in at most `limit` worker tasks, started once each, of a
 * group that lives in the stream's own task (a child of the consumer's
 * scope, started at the first `next()`, as {@linkcode produce} does); `fn`
 * is called in a worker task, so it may use scopes, timeouts and task
 * groups, and it sees the context variables of the consumer's first
 * `next()`. No task, scope or channel is made per item: the results wait
 * in a ring of `limit + buffer` slots that `next()` reads directly.
 *
 * @typeParam T The items.
 * @typeParam R The results.
 * @param source The items: an `Iterable` or an `AsyncIterable`.
 * @param fn Called with each item and its index.
 * @param options The limit, the order and the output buffer.
 * @returns A stream of the results; each iteration maps afresh (iterating
 * twice reads the source twice: give an iterable that allows it).
 * @throws {TypeError} If `source` is not iterable, `fn` is not a function,
 * `options` is not an object, or `ordered` is not a boolean.
 * @throws {RangeError} If `limit` is not a positive integer or `buffer` not
 * a non-negative integer.
 *
 * @example Fetching pages four at a time, in order
 * ```ts
 * import { mapStream } from "@corral/stream";
 * import { sleep } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * const pages = await clock.run(async () => {
 *   const pages: string[] = [];
 *   const urls = ["/a", "/bb", "/ccc", "/d"];
 *   const fetchPage = async (url: string) => {
 *     await sleep(100 / url.length); // the longest answers first
 *     return `page ${url}`;
 *   };
 *   for await (const page of mapStream(urls, fetchPage, { limit: 4 })) {
 *     pages.push(page);
 *   }
 *   return pages;
 * });
 * assert.deepEqual(pages, ["page /a", "page /bb", "page /ccc", "page /d"]);
 * ```
 */
export function mapStream<T, R>(
  source: Iterable<T> | AsyncIterable<T>,
  fn: (item: T, index: number) => R | Promise<R>,
  options: MapStreamOptions,
): SafeStream<R> {
  const action = "mapStream";
  const kind = checkSource(action, "source", source);
  checkCallback(action, fn);
  if (options === undefined) {
    throw new TypeError(
      `Cannot ${action}: 'options' must be an object with a 'limit': current value is undefined`,
    );
  }
  checkOptions(action, options);
  const limit = checkCount(action, "limit", options.limit, 1, NaN);
  if (Number.isNaN(limit)) {
    throw new RangeError(
      `Cannot ${action}: 'limit' must be a positive integer: current value is undefined`,
    );
  }
  const ordered = options.ordered;
  checkBoolean(action, "ordered", ordered);
  const buffer = checkCount(action, "buffer", options.buffer, 0, 0);
  const plan: MapPlan<T, R> = {
    items: source,
    kind,
    fn,
    limit,
    window: limit + buffer,
    ordered: ordered !== false,
  };
  return new MapStream(plan);
}
