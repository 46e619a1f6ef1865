// Copyright the corral authors. MIT license.
import { produce, type ProduceOptions, type SafeStream } from "./produce.ts";
import { checkCount, checkName, checkOptions, show } from "./_validate.ts";

/**
 * Makes an async generator function safe to iterate (Trio's
 * `@as_safe_channel`): each stream it returns runs the generator in its
 * own task, as a {@linkcode produce} producer whose every `yield` becomes
 * a `send`. So the guarantees of `produce` hold for code already written
 * as a generator: the consumer leaving the loop cancels the generator and
 * waits for its `finally` blocks; its error reaches the consumer once, at
 * its next `next()`; cancelling the consumer's scope cancels it; with the
 * default `buffer` of 0 it is resumed only when the consumer asks for the
 * next item.
 *
 * The generator's code runs in the producer's task, under the producer's
 * scope, with the context of the consumer's first `next()`: `sleep`,
 * `moveOnAfter` and task groups inside it work as in any task. A wait on
 * foreign work (a plain `await` of a promise that ignores cancellation)
 * is not interrupted; the loop's exit waits for it.
 *
 * Each iteration of a returned stream calls the generator function anew.
 *
 * @typeParam A The generator function's arguments.
 * @typeParam T The items.
 * @param generatorFunction An async (or sync) generator function.
 * @param options The buffer size and the producer's name, as for `produce`.
 * @returns A function with the same arguments that returns a
 * {@linkcode SafeStream}.
 * @throws {TypeError} If `generatorFunction` is not a function, or
 * `options` is not an object; from the iterator, if the function returns
 * no iterator.
 * @throws {RangeError} If `buffer` is not a non-negative integer.
 *
 * @example A generator with a timeout around each read
 * ```ts
 * import { safeGenerator } from "@corral/stream";
 * import { failAfter, sleep } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const lines = safeGenerator(async function* (count: number) {
 *   for (let i = 0; i < count; i++) {
 *     // Safe: the timeout's scope opens and closes inside the task.
 *     const line = await failAfter(50, async () => (await sleep(10), `line ${i}`));
 *     if (line !== undefined) yield line;
 *   }
 * });
 * const clock = new MockClock({ autojump: true });
 * const seen = await clock.run(async () => {
 *   const seen: string[] = [];
 *   for await (const line of lines(3)) {
 *     await sleep(100); // longer than the timeout: not timed
 *     seen.push(line);
 *   }
 *   return seen;
 * });
 * assert.deepEqual(seen, ["line 0", "line 1", "line 2"]);
 * ```
 */
export function safeGenerator<A extends unknown[], T>(
  generatorFunction: (
    ...args: A
  ) => AsyncIterator<T, unknown, undefined> | Iterator<T, unknown, undefined>,
  options?: ProduceOptions,
): (...args: A) => SafeStream<T> {
  const action = "safeGenerator";
  if (typeof generatorFunction !== "function") {
    throw new TypeError(
      `Cannot ${action}: 'generatorFunction' must be a function: current value is ${
        show(generatorFunction)
      }`,
    );
  }
  checkOptions(action, options);
  const buffer = checkCount(action, "buffer", options?.buffer, 0, 0);
  const name = checkName(action, options?.name) ||
    generatorFunction.name || "safeGenerator";
  return (...args: A) =>
    produce<T>(async (send) => {
      const generator = generatorFunction(...args);
      if (
        generator === null || typeof generator !== "object" ||
        typeof generator.next !== "function"
      ) {
        throw new TypeError(
          `Cannot iterate safeGenerator(${name}): the function must return an iterator: current value is ${
            show(generator)
          }`,
        );
      }
      let finished = false;
      try {
        for (;;) {
          let step: IteratorResult<T, unknown>;
          try {
            step = await generator.next();
          } catch (error) {
            finished = true; // a generator that threw is done: no return()
            throw error;
          }
          if (step.done) {
            finished = true;
            return;
          }
          await send(step.value);
        }
      } finally {
        // The consumer left (send threw Cancelled), or we were cancelled:
        // run the generator's own finally blocks, in this task.
        if (!finished) await generator.return?.(undefined);
      }
    }, { buffer, name });
}
