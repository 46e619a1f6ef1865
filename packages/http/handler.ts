// Copyright the corral authors. MIT license.
import type { CancelScope } from "@corral/scope";
import type { TimeoutHeader } from "./deadline_header.ts";
import { handleRequest, toRequestConfig } from "./_request.ts";
import { checkCallback } from "./_validate.ts";

export type { TimeoutHeader };

/**
 * What a fetch-handler runtime passes after the request: in Deno, the
 * `ServeHandlerInfo` (remote address, `completed`); in Bun, the server.
 * Every field is optional, so any runtime's second argument fits.
 */
export interface HandlerInfo {
  /** Settles once the response was delivered (Deno). */
  completed?: Promise<void>;
  /** The client's address (Deno). */
  remoteAddr?: unknown;
}

/** What a request handler gets besides the request. */
export interface RequestContext {
  /**
   * The request's scope: cancelled when the client disconnects, when the
   * request's deadline passes, or when the server stops. Its `signal` is
   * the one to hand to foreign code, rather than `request.signal`.
   */
  readonly scope: CancelScope;
  /** The runtime's second argument (Deno's `ServeHandlerInfo`), if any. */
  readonly info: HandlerInfo | undefined;
  /**
   * The time budget this request got, in milliseconds, counted from its
   * arrival: the caller's timeout header or the default, capped by the
   * maximum; `Infinity` for none. For the time left, see `remainingTime()`.
   * The same however it arrived (`corral-timeout`, `grpc-timeout` or
   * `connect-timeout-ms`).
   */
  readonly timeout: number;
}

/** A request handler run by {@linkcode handler}, or by `serve()` from `@corral/http/deno`. */
export type RequestHandler = (
  request: Request,
  context: RequestContext,
) => Response | Promise<Response>;

/**
 * A fetch handler: what `Deno.serve`, `Bun.serve`, `@hono/node-server` and
 * workers call. It returns a `Response` itself when the request handler
 * returned one synchronously (the request's scope has then already
 * exited), else a promise of one; `await` takes both.
 */
export type FetchHandler = (
  request: Request,
  info?: HandlerInfo,
) => Response | Promise<Response>;

/** Options for {@linkcode handler}. */
export interface HandlerOptions {
  /**
   * The deadline headers read for the caller's remaining time; when a
   * request carries several, the smallest wins. `[]` ignores callers'
   * deadlines. A malformed value (negative, `1e309`, too many digits, sent
   * twice, an unknown unit) is refused with the answer its protocol
   * specifies: 400 (Connect: `invalid_argument`; gRPC: INVALID_ARGUMENT).
   * @default {["corral-timeout", "grpc-timeout", "connect-timeout-ms"]}
   */
  timeoutHeaders?: readonly TimeoutHeader[];
  /**
   * The longest time a request may run, in milliseconds: caps the caller's
   * header and `defaultTimeout` (Envoy's `grpc_timeout_header_max`), so a
   * hostile header cannot hold the server. @default {Infinity}
   */
  maxTimeout?: number;
  /**
   * The time a request gets when it carries none of the deadline headers,
   * in milliseconds. @default {Infinity}
   */
  defaultTimeout?: number;
  /**
   * Makes the response for an error the handler threw (not a
   * cancellation). By default the error is logged with `console.error` and
   * the client gets a bare 500.
   */
  onError?: (error: unknown, request: Request) => Response | Promise<Response>;
  /**
   * Names each request's scope, for errors and `taskTree()`; for example
   * after a request id header, so that concurrent requests to one path can
   * be told apart. If it throws, the request is answered by `onError`.
   * @default {(request) => "GET /path"}
   */
  scopeName?: (request: Request) => string;
}

/**
 * Wraps a request handler into a fetch handler, `(request, info?) =>
 * Response | Promise<Response>`, for `Deno.serve`, `Bun.serve`, Node (through
 * `@hono/node-server`'s `serve({ fetch })`), workers and any runtime that
 * calls a function with a `Request`. Like passing `fn` itself, except that
 * each request runs in its own root scope, named after its method and path
 * (`GET /users`), that is cancelled:
 *
 * - when the client disconnects (`request.signal` aborts while the handler
 *   runs; Deno, Bun and Node report it): the scope's `Cancelled` has
 *   `request.signal.reason` as its reason, and the response, which nobody
 *   will read, is a 499;
 * - when the request's deadline passes: the deadline comes from the
 *   caller's deadline header (`corral-timeout: <ms>`, sent by
 *   `fetchWithDeadline`; gRPC's `grpc-timeout`; Connect's
 *   `connect-timeout-ms`), or `defaultTimeout`, capped by `maxTimeout`;
 *   the client gets a 504 (Connect `deadline_exceeded`, gRPC
 *   DEADLINE_EXCEEDED).
 *
 * A handler that throws gets a 500 (after `onError`, or `console.error`); a
 * `TimeoutError` a 504; a cancellation from elsewhere (a server shutting
 * down) a 503. These answers speak the caller's protocol (a gRPC client
 * reads a `grpc-status`, a Connect client a JSON error) and carry nothing
 * of the handler.
 *
 * A handler that returns its `Response` synchronously gets it back
 * synchronously, not in a promise: its scope has exited by then, and
 * `Deno.serve` answers a `Response` on a faster path than a promise.
 * Otherwise the fetch handler returns a promise. Code that calls the fetch
 * handler itself should `await` what it returns.
 *
 * Deno 2.9's legacy `request.signal` also aborts after every *completed*
 * response (deno #29111), until `"unstable": ["no-legacy-abort"]` in
 * `deno.json` (or `--unstable-no-legacy-abort`). That abort is not taken
 * for a disconnect: the listener lives only while the handler runs. The
 * signal is read only for a request whose handler outlives its first
 * macrotask; then Deno, in legacy mode, prints a one-time notice about it.
 * Set the flag to silence it. Inside the handler use the scope's `signal`,
 * never `request.signal`.
 *
 * @param fn The request handler: `(request, { scope, info, timeout })`.
 * @param options Deadline headers, maximum and default timeouts, error hook,
 * scope names.
 * @returns A fetch handler: it returns a `Response`, or a promise of one.
 * @throws {TypeError} If `fn`, `onError` or `scopeName` is not a function,
 * `options` is not an object, or `timeoutHeaders` is not an array of the
 * three header names.
 * @throws {RangeError} If a timeout is NaN or negative.
 *
 * @example Usage
 * ```ts
 * import { handler, remainingTime } from "@corral/http";
 * import assert from "node:assert/strict";
 *
 * const app = handler((request, { scope }) =>
 *   new Response(`${scope.name}, ${remainingTime()} ms left`),
 *   { maxTimeout: 10_000 },
 * );
 * const response = await app(
 *   new Request("http://example.com/hello", { headers: { "grpc-timeout": "99S" } }),
 * );
 * const text = await response.text();
 * assert.match(text, /^GET \/hello, \d+(\.\d+)? ms left$/);
 * assert.ok(parseFloat(text.split(", ")[1]!) <= 10_000); // capped
 *
 * const refused = await app(
 *   new Request("http://example.com/", { headers: { "connect-timeout-ms": "-1" } }),
 * );
 * assert.equal(refused.status, 400);
 * assert.equal((await refused.json()).code, "invalid_argument");
 * ```
 *
 * @example With Deno.serve
 * ```ts ignore
 * import { handler } from "@corral/http";
 * import { sleep } from "@corral/scope";
 *
 * Deno.serve(handler(async () => {
 *   await sleep(100); // cancelled if the client goes away
 *   return new Response("hello");
 * }, { defaultTimeout: 30_000 }));
 * ```
 */
export function handler(
  fn: RequestHandler,
  options?: HandlerOptions,
): FetchHandler {
  checkCallback("create handler", fn, "fn");
  const config = toRequestConfig("create handler", options);
  return function corralHandler(request, info) {
    return handleRequest(fn, config, request, info, undefined);
  };
}
