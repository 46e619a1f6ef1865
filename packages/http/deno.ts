// Copyright the corral authors. MIT license.
/**
 * The Deno-specific part of `@corral/http`: {@linkcode serve}, which runs
 * `Deno.serve` in a scope, each request by `handler()`'s rules, and
 * shuts down gracefully on a signal, SIGINT or SIGTERM. The rest of the
 * package runs on every fetch-handler server; this entry point alone names
 * Deno's types.
 *
 * @example Usage
 * ```ts
 * import { serve } from "@corral/http/deno";
 * import assert from "node:assert/strict";
 *
 * const stop = new AbortController();
 * const listening = Promise.withResolvers<number>();
 * const served = serve(() => new Response("hello"), {
 *   port: 0,
 *   hostname: "127.0.0.1",
 *   signal: stop.signal,
 *   shutdownSignals: [],
 *   onListen: (addr) => listening.resolve(addr.port),
 * });
 * const port = await listening.promise;
 * assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "hello");
 * stop.abort(); // graceful shutdown
 * await served;
 * ```
 *
 * @module
 */
export * from "./serve.ts";
export type {
  HandlerInfo,
  HandlerOptions,
  RequestContext,
  RequestHandler,
} from "./handler.ts";
export type { TimeoutHeader } from "./deadline_header.ts";
