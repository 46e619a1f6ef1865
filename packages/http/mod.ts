// Copyright the corral authors. MIT license.
/**
 * Request scopes and deadlines that cross real infrastructure, on every
 * fetch-handler server (Deno, Bun, Node, workers):
 *
 * - {@linkcode handler}: a fetch handler that runs each request in its own
 *   scope, cancelled when the client disconnects or the caller's deadline
 *   passes; the deadline arrives in `corral-timeout`, gRPC's
 *   `grpc-timeout` or Connect's `connect-timeout-ms`, capped by
 *   `maxTimeout`; errors are answered in the caller's protocol.
 * - {@linkcode fetchWithDeadline}: `fetch` under the current scope, sending
 *   the time left on in the header the callee reads.
 * - {@linkcode parseTimeout}, {@linkcode formatTimeout},
 *   {@linkcode remainingTime}: the three deadline headers, read without
 *   trusting them.
 * - `@corral/http/hono`: the same request scope as Hono middleware.
 * - `@corral/http/deno`: `serve()`, `Deno.serve` with graceful shutdown.
 *
 * @example Usage
 * ```ts
 * import { fetchWithDeadline, handler, remainingTime } from "@corral/http";
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
 * // Call it with 2 s to spare, as gRPC would: it runs under the same deadline.
 * const budget = await moveOnAfter(2_000, async () => {
 *   const response = await fetchWithDeadline(url, { timeoutHeader: "grpc-timeout" });
 *   return Number(await response.text());
 * });
 * assert.ok(budget !== undefined && budget > 1_000 && budget <= 2_000);
 * await server.shutdown();
 * ```
 *
 * @module
 */
export * from "./deadline_header.ts";
export * from "./fetch_with_deadline.ts";
export * from "./handler.ts";
