// Copyright the corral authors. MIT license.
import { taskGroup } from "@corral/taskgroup";
import { produce, type SafeStream } from "./produce.ts";
import { openSource } from "./_source.ts";
import { unwrapLone } from "./_unwrap.ts";
import { checkSource } from "./_validate.ts";

/**
 * The items of several sources, interleaved as they arrive. Each source is
 * read by its own task of a group inside the stream's producer
 * ({@linkcode produce}), and each waits for the consumer (lock-step, like
 * `produce`'s default), so no source runs more than one item ahead.
 *
 * Structured: the first source that fails cancels the others, closes them
 * (`return()`) and, once they have ended, the consumer's next `next()`
 * throws its error (several failures at once come as one
 * `TaskGroupError`). Leaving the loop cancels and closes every source and
 * waits for them. The stream ends when every source has ended.
 *
 * @typeParam T The items.
 * @param sources Sync or async iterables (`produce` streams among them).
 * @returns A stream of every source's items; each iteration reads the
 * sources afresh.
 * @throws {TypeError} If a source is not iterable.
 *
 * @example Two tickers, interleaved by time
 * ```ts
 * import { merge, produce } from "@corral/stream";
 * import { sleep } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const ticker = (name: string, every: number) =>
 *   produce<string>(async (send) => {
 *     for (let i = 1; i <= 2; i++) {
 *       await sleep(every);
 *       await send(`${name}${i}`);
 *     }
 *   });
 * const clock = new MockClock({ autojump: true });
 * const seen = await clock.run(async () => {
 *   const seen: string[] = [];
 *   for await (const tick of merge(ticker("a", 10), ticker("b", 15))) {
 *     seen.push(tick);
 *   }
 *   return seen;
 * });
 * assert.deepEqual(seen, ["a1", "b1", "a2", "b2"]);
 * ```
 */
export function merge<T>(
  ...sources: (Iterable<T> | AsyncIterable<T>)[]
): SafeStream<T> {
  const kinds = sources.map((source, index) =>
    checkSource("merge", `sources[${index}]`, source)
  );
  return produce<T>(
    (send) =>
      unwrapLone(() =>
        taskGroup((group) => {
          sources.forEach((items, index) => {
            group.spawn(async () => {
              const source = openSource(items, kinds[index]!);
              try {
                for (;;) {
                  const step = await source.next();
                  if (step.done) return;
                  await send(step.value);
                }
              } finally {
                await source.close();
              }
            }, { name: `merge source ${index}` });
          });
        }, { name: "merge" })
      ),
    { name: "merge" },
  );
}
