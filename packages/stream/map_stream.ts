// Copyright the corral authors. MIT license.
import { park } from "@corral/scope/plumbing";
import { taskGroup } from "@corral/taskgroup";
import { produce, type SafeStream } from "./produce.ts";
import { openSource } from "./_source.ts";
import { unwrapLone } from "./_unwrap.ts";
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
   * At most this many items are held at once: being mapped, or mapped and
   * waiting for their turn to be yielded. A positive integer (required:
   * the bound on memory is yours to choose).
   */
  limit: number;
  /**
   * Yield the results in input order (the default), or as they complete
   * (`false`). @default {true}
   */
  ordered?: boolean;
  /**
   * How many results may wait for the consumer beyond those `limit`
   * holds, as `produce`'s `buffer`. @default {0}
   */
  buffer?: number;
}

/**
 * Maps a sync or async iterable concurrently, at most `limit` items at a
 * time, as a stream (std's `pooledMap`, made structured).
 *
 * - The source is pulled lazily: an item is taken only when fewer than
 *   `limit` are held (being mapped, or mapped and waiting for their turn),
 *   so memory is bounded by `limit` plus `buffer`, whatever the source's
 *   length; an endless source is fine.
 * - Results come in input order, or as completed with `ordered: false`.
 * - At the first failure (of `fn` or of the source), no further item is
 *   pulled, the calls in flight are cancelled, and, once they have ended,
 *   the consumer's next `next()` throws the failure itself (several
 *   failures at once come as one `TaskGroupError`). Results not yet yielded
 *   are dropped.
 * - Leaving the loop cancels the calls in flight and closes the source
 *   (`return()`), and waits for both: nothing outlives the loop.
 *
 * The calls run in tasks of a group that lives inside the stream's
 * producer ({@linkcode produce}); `fn` is called in that task, so it may
 * use scopes, timeouts and task groups, and it sees the context variables
 * of the consumer's first `next()`.
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
  return produce<R>(
    (send) =>
      unwrapLone(() =>
        mapInto(source, kind, fn, limit, ordered !== false, send)
      ),
    { buffer, name: "mapStream" },
  );
}

/**
 * The map of one iteration. Workers (at most `limit`, started as needed)
 * each take the next item and map it; the group's body hands the results
 * to the consumer. Indices `[emitted, taken)` are the items held: a worker
 * takes an item only while fewer than `limit` are held.
 */
function mapInto<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  kind: "sync" | "async",
  fn: (item: T, index: number) => R | Promise<R>,
  limit: number,
  ordered: boolean,
  send: (item: R) => Promise<void>,
): Promise<unknown> {
  const source = openSource(items, kind);
  let taken = 0, emitted = 0, workers = 0;
  /** The item count, once the source ended. */
  let total = Infinity;
  // In order: result i in slot i % limit. As completed: a FIFO.
  const slots: R[] = new Array(limit);
  const filled = new Uint8Array(limit);
  const completed: R[] = [];
  let head = 0;
  let resultReady: (() => void) | undefined;
  const roomWaiters = new Set<() => void>();

  const wakeBody = () => {
    const wake = resultReady;
    resultReady = undefined;
    wake?.();
  };

  return taskGroup(async (group) => {
    const worker = async () => {
      for (;;) {
        while (taken - emitted >= limit && taken < total) {
          await park<void>((wake) => {
            roomWaiters.add(wake);
            return () => roomWaiters.delete(wake);
          });
        }
        if (taken >= total) return;
        const index = taken++;
        const step = source.sync
          ? source.next() as IteratorResult<T>
          : await source.next();
        if (step.done) {
          if (index < total) total = index;
          wakeBody();
          for (const wake of roomWaiters) wake();
          roomWaiters.clear();
          return;
        }
        // One more worker while items may wait and the limit allows.
        if (workers < limit && taken < total) spawnWorker();
        const result = await fn(step.value, index);
        if (ordered) {
          slots[index % limit] = result;
          filled[index % limit] = 1;
          if (index === emitted) wakeBody();
        } else {
          completed.push(result);
          wakeBody();
        }
      }
    };
    const spawnWorker = () => {
      workers++;
      group.spawn(worker, { name: `mapStream worker ${workers}` });
    };
    try {
      spawnWorker();
      for (;;) {
        let result: R;
        if (ordered) {
          const slot = emitted % limit;
          if (filled[slot] === 0) {
            if (emitted >= total) return;
            await park<void>((wake) => {
              resultReady = wake;
              return () => resultReady = undefined;
            });
            continue;
          }
          result = slots[slot]!;
          slots[slot] = undefined!;
          filled[slot] = 0;
        } else {
          if (head === completed.length) {
            if (emitted >= total) return;
            await park<void>((wake) => {
              resultReady = wake;
              return () => resultReady = undefined;
            });
            continue;
          }
          result = completed[head]!;
          completed[head++] = undefined!;
          if (head === completed.length) completed.length = head = 0;
        }
        emitted++;
        // A slot is free: one waiting worker may take the next item.
        for (const wake of roomWaiters) {
          roomWaiters.delete(wake);
          wake();
          break;
        }
        await send(result);
      }
    } finally {
      // Early exit (failure, the consumer left): close the source. After a
      // normal end there is nothing to close.
      await source.close();
    }
  }, { name: "mapStream" });
}
