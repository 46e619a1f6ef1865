// Copyright the corral authors. MIT license.
/**
 * Safe streams for corral: {@linkcode produce} runs a producer in its own
 * task and hands its items to a `for await` loop, so the producer may use
 * timeouts, task groups and locks around each item (the PEP 789 problem,
 * solved like Trio's `as_safe_channel`); {@linkcode safeGenerator} does the
 * same for an existing async generator function; {@linkcode mapStream} maps
 * a stream concurrently with a limit; {@linkcode merge} interleaves several.
 *
 * Nothing outlives the loop (rule 18): leaving it (`break`, a throw, a
 * cancelled scope) cancels the producer and waits for its cleanup, and a
 * producer's error reaches the consumer once, at its next `next()`.
 *
 * @example Usage
 * ```ts
 * import { mapStream, produce } from "@corral/stream";
 * import assert from "node:assert/strict";
 *
 * const numbers = produce<number>(async (send) => {
 *   for (let i = 1; ; i++) await send(i);
 * });
 * const squares: number[] = [];
 * for await (const square of mapStream(numbers, (n) => n * n, { limit: 4 })) {
 *   squares.push(square);
 *   if (squares.length === 3) break; // cancels the producer and the map
 * }
 * assert.deepEqual(squares, [1, 4, 9]);
 * ```
 *
 * @module
 */
export * from "./produce.ts";
export * from "./safe_generator.ts";
export * from "./map_stream.ts";
export * from "./merge.ts";
