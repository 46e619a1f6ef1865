// Copyright the corral authors. MIT license.
/**
 * Bridges between corral's structured code and the unstructured world,
 * after trio-asyncio: every crossing is explicit, and cancellation is
 * translated asymmetrically (a foreign abort never cancels a scope it does
 * not own).
 *
 * - In from `AbortSignal` code: {@linkcode fromSignal}; out to promise
 *   code: {@linkcode toPromise}; foreign signal-aware calls under a scope:
 *   {@linkcode abortable}; callback-style code kept in one place and
 *   cleaned up: {@linkcode quarantine}.
 * - A program's entry point: {@linkcode main} (SIGINT/SIGTERM cancel it,
 *   the outcome becomes the exit code).
 * - Events and streams: {@linkcode waitForEvent}, {@linkcode iterate},
 *   {@linkcode iterateWithTimeout} (a per-item timeout that never times
 *   the consumer).
 *
 * HTTP (request scopes, deadlines between services, graceful shutdown)
 * is in `@corral/http`.
 *
 * @example Usage
 * ```ts
 * import { abortable, toPromise } from "@corral/interop";
 * import { moveOnAfter, sleep } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * // Promise code calls structured code, stopped by an AbortController.
 * const controller = new AbortController();
 * const running = toPromise(() => sleep(10_000), { signal: controller.signal });
 * controller.abort(new Error("no longer needed"));
 * await assert.rejects(running, { message: "no longer needed" });
 *
 * // Foreign signal-aware code under a timeout is aborted, then awaited.
 * const never = await moveOnAfter(5, () =>
 *   abortable((signal) =>
 *     new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)))
 *   )
 * );
 * assert.equal(never, undefined);
 * ```
 *
 * @module
 */
export * from "./from_signal.ts";
export * from "./abortable.ts";
export * from "./to_promise.ts";
export * from "./quarantine.ts";
export * from "./wait_for_event.ts";
export * from "./iterate.ts";
export * from "./main.ts";
