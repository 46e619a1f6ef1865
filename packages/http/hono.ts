// Copyright the corral authors. MIT license.
/**
 * Hono middleware that runs each request in its own scope, as
 * {@linkcode corral} describes. Hono is a peer: this module imports
 * nothing from it, and its types only describe the part of Hono's
 * `Context` it uses, so it works with any Hono 4.
 *
 * @example Usage
 * ```ts
 * import { Hono } from "npm:hono@4.13.23";
 * import { corral, type CorralVariables } from "@corral/http/hono";
 * import { remainingTime } from "@corral/http";
 * import assert from "node:assert/strict";
 *
 * const app = new Hono<{ Variables: CorralVariables }>();
 * app.use(corral({ maxTimeout: 10_000 }));
 * app.get("/hello", (c) => c.text(`${c.get("scope").name}: ${remainingTime()} ms`));
 *
 * const response = await app.request("/hello", { headers: { "grpc-timeout": "2S" } });
 * assert.match(await response.text(), /^GET \/hello: \d+(\.\d+)? ms$/);
 * ```
 *
 * @module
 */
import { Cancelled, type CancelScope } from "@corral/scope";
import { currentScope, runRootLike } from "@corral/scope/plumbing";
import type { HandlerOptions } from "./handler.ts";
import type { TimeoutHeader } from "./deadline_header.ts";
import { failureResponse } from "./_answer.ts";
import {
  cancelledResponse,
  DisconnectWatch,
  requestScope,
  requestTimeout,
  toRequestConfig,
} from "./_request.ts";

export type { HandlerOptions, TimeoutHeader };

/**
 * What {@linkcode corral} puts in Hono's context: declare it as the app's
 * `Variables` (`new Hono<{ Variables: CorralVariables }>()`) to read them
 * with `c.get()` typed.
 */
export interface CorralVariables {
  /** The request's scope; its `signal` is the one to hand to foreign code. */
  scope: CancelScope;
  /** The request's time budget in milliseconds, `Infinity` for none. */
  timeout: number;
}

/** Options for {@linkcode corral}: `handler()`'s, except `onError` (use Hono's `app.onError`). */
export type CorralOptions = Omit<HandlerOptions, "onError">;

/** The part of Hono's `Context` that {@linkcode corral} uses. */
export interface HonoContext {
  /** The request; `raw` is the runtime's `Request`. */
  req: { raw: Request };
  /** The response so far; replaced for a cancelled request. */
  res: Response;
  /** The error a later handler threw, which Hono's `onError` answered. */
  error: Error | undefined;
  /** Sets a variable (Hono's `c.set`). */
  set(key: "scope", value: CancelScope): void;
  /** Sets a variable (Hono's `c.set`). */
  set(key: "timeout", value: number): void;
}

/** A Hono middleware, as `app.use()` takes it. */
export type CorralMiddleware = (
  c: HonoContext,
  next: () => Promise<void>,
) => Promise<Response | void>;

/**
 * Hono middleware that does what `handler()` does, for a Hono app on any
 * runtime (Deno, Bun, Node through `@hono/node-server`, workers): each
 * request runs the rest of the chain in its own root scope, named after
 * its method and path, exposed as `c.get("scope")`, and cancelled when the
 * client disconnects (a 499) or the caller's deadline passes (a 504):
 * `corral-timeout`, `grpc-timeout` or `connect-timeout-ms`, capped by
 * `maxTimeout`. A malformed deadline header is refused before any route
 * runs, with the answer its protocol specifies.
 *
 * Hono catches what a route throws and answers it with `app.onError`; a
 * `Cancelled` of the request's scope (or a `TimeoutError`) is answered
 * here instead, in the caller's protocol, as `handler()` does. An error
 * thrown by `scopeName` goes to `app.onError`.
 *
 * @param options Deadline headers, maximum and default timeouts, scope
 * names.
 * @returns The middleware, for `app.use()`.
 * @throws {TypeError} If `options` is not an object, `scopeName` is not a
 * function, or `timeoutHeaders` is not an array of the three header names.
 * @throws {RangeError} If a timeout is NaN or negative.
 *
 * @example A deadline and a disconnect cancel the route
 * ```ts
 * import { Hono } from "npm:hono@4.13.23";
 * import { corral, type CorralVariables } from "@corral/http/hono";
 * import { sleepForever } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * const app = new Hono<{ Variables: CorralVariables }>();
 * app.use(corral({ maxTimeout: 5 }));
 * app.get("/slow", async (c) => {
 *   await sleepForever(); // cancelled after 5 ms
 *   return c.text("never");
 * });
 * const response = await app.request("/slow");
 * assert.equal(response.status, 504);
 * ```
 */
export function corral(options?: CorralOptions): CorralMiddleware {
  const config = toRequestConfig("create corral middleware", options);
  if (options !== undefined && "onError" in options) {
    throw new TypeError(
      "Cannot create corral middleware: 'onError' is not an option here: use Hono's app.onError",
    );
  }
  return async function corralMiddleware(c, next) {
    const request = c.req.raw;
    const timeout = requestTimeout(config, request);
    if (typeof timeout !== "number") return timeout;
    const scope = requestScope(config, request, timeout); // throws to app.onError
    c.set("scope", scope);
    c.set("timeout", timeout);
    const running = runRootLike(scope, currentScope(), () => next());
    // After the chain's synchronous part, still in the request's first turn.
    const watch = new DisconnectWatch(request, scope);
    try {
      await running;
      // Hono caught what the route threw; answer our own cancellation.
      const error = c.error;
      if (error instanceof Cancelled) {
        c.res = scope.cancelCalled
          ? cancelledResponse(request, scope, watch)
          : failureResponse("unavailable", request, "shutting down");
      } else if (error?.name === "TimeoutError") {
        c.res = failureResponse("deadline", request, "deadline exceeded");
      }
    } finally {
      watch.close();
    }
  };
}
