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
 * - HTTP: {@linkcode handler} (a scope per request, cancelled on client
 *   disconnect, with the caller's deadline), {@linkcode fetchWithDeadline}
 *   (sends the remaining time on), {@linkcode serve} (`Deno.serve` with
 *   graceful shutdown).
 *
 * @example Usage
 * ```ts
 * import {
 *   abortable,
 *   fetchWithDeadline,
 *   handler,
 *   remainingTime,
 *   toPromise,
 * } from "@corral/interop";
 * import { moveOnAfter } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * // A service that reports the deadline it was given.
 * const server = Deno.serve(
 *   { port: 0, hostname: "127.0.0.1", onListen() {} },
 *   handler(() => new Response(String(Math.round(remainingTime())))),
 * );
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 *
 * // Promise code calls structured code, which calls the service with
 * // 2 s to spare: the service runs under the same deadline.
 * const budget = await toPromise(() =>
 *   moveOnAfter(2_000, async () => {
 *     const response = await fetchWithDeadline(url);
 *     return Number(await response.text());
 *   })
 * );
 * assert.ok(budget !== undefined && budget > 1_000 && budget <= 2_000);
 *
 * // Foreign signal-aware code under a timeout is aborted, then awaited.
 * const never = await moveOnAfter(5, () =>
 *   abortable((signal) =>
 *     new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)))
 *   )
 * );
 * assert.equal(never, undefined);
 * await server.shutdown();
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
export * from "./deadline_header.ts";
export * from "./fetch_with_deadline.ts";
export * from "./handler.ts";
export * from "./serve.ts";
