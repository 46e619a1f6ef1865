// Copyright the corral authors. MIT license.
import { CancelScope, moveOnAfter, shielded } from "@corral/scope";
import { cancellationOf, stateOf } from "@corral/scope/plumbing";
import type { HandlerOptions, RequestHandler } from "./handler.ts";
import { handleRequest, toRequestConfig } from "./_request.ts";
import { settleOrCancel } from "./_wait.ts";
import {
  checkCallback,
  checkDuration,
  checkOptions,
  checkSignal,
  label,
  show,
} from "./_validate.ts";

/** Options for {@linkcode serve}: where to listen, how to stop, and `handler`'s. */
export interface ServeOptions extends HandlerOptions {
  /** The port; 0 picks a free one (see `onListen`). @default {8000} */
  port?: number;
  /** The interface to listen on. @default {"0.0.0.0"} */
  hostname?: string;
  /** Called with the address once the server listens. @default {Deno's: logs the address} */
  onListen?: (addr: Deno.NetAddr) => void;
  /** Aborting it shuts the server down gracefully. @default {undefined} */
  signal?: AbortSignal;
  /**
   * How long, in milliseconds, the requests running when shutdown begins
   * may take to finish before they are cancelled. @default {10000}
   */
  gracePeriod?: number;
  /**
   * OS signals that shut the server down gracefully; a second one cancels
   * the running requests at once. Listeners are removed when `serve`
   * returns; `[]` for none. @default {["SIGINT", "SIGTERM"]}
   */
  shutdownSignals?: readonly Deno.Signal[];
  /** A label for the server's scope, which every request scope nests in. @default {"serve"} */
  name?: string;
}

/**
 * The longest time, after the last handler returned, that the server may
 * take to flush the responses still being sent (a body streamed by code
 * outside the handler's scope) before their connections are closed. The
 * grace period, if shorter.
 */
const MAX_FLUSH_MS = 1_000;

/**
 * Serves HTTP with `Deno.serve`, each request run by {@linkcode handler}'s
 * rules in a scope of its own (cancelled on client disconnect, with the
 * caller's deadline capped by `maxTimeout`), and shuts down gracefully:
 * when `signal` aborts or SIGINT/SIGTERM arrives, the server stops
 * accepting connections, lets the running requests finish within
 * `gracePeriod`, then cancels those still running (their clients get a
 * 503) and resolves once everything has finished. Like `Deno.serve` plus
 * `server.shutdown()`, as one structured call that returns only when
 * nothing of the server is left.
 *
 * Every request scope nests in the server's scope, under the scope that
 * called `serve`. Cancelling that scope is a hard stop: the requests are
 * cancelled at once, the server closes, and `serve` throws the
 * `Cancelled` once everything has finished.
 *
 * Deno facts it relies on (2.9): `server.shutdown()` is graceful (refuses
 * new connections, waits for the responses in flight); the `signal` option
 * of `Deno.serve` drops requests in flight and resolves `finished` without
 * waiting for their handlers, so `serve` counts its handlers itself and
 * uses that option only as a last resort, for responses that are still
 * streaming when the last handler has returned and another grace period
 * (at most a second) has passed.
 *
 * @param fn The request handler: `(request, { scope, info, timeout })`.
 * @param options Address, shutdown triggers, grace period, timeouts.
 * @returns A promise that resolves once the server has finished.
 * @throws {Cancelled} If the enclosing scope was cancelled (after the server
 * has finished).
 * @throws {TypeError} If `fn` or `onListen` is not a function, `options`
 * is not an object, `signal` is not an `AbortSignal`, `shutdownSignals` is
 * not an array, or `name`, `hostname` or `port` has the wrong type.
 * @throws {RangeError} If `gracePeriod` or a timeout is NaN or negative, or
 * `port` is not an integer from 0 to 65535.
 * @throws {Error} If `Deno.serve` is not available (use `handler` with
 * the runtime's own server).
 *
 * @example Usage
 * ```ts
 * import { serve } from "@corral/http/deno";
 * import assert from "node:assert/strict";
 *
 * const stop = new AbortController();
 * let port = 0;
 * const listening = Promise.withResolvers<void>();
 * const served = serve(() => new Response("hello"), {
 *   port: 0,
 *   hostname: "127.0.0.1",
 *   signal: stop.signal,
 *   shutdownSignals: [],
 *   onListen(addr) {
 *     port = addr.port;
 *     listening.resolve();
 *   },
 * });
 * await listening.promise;
 * const response = await fetch(`http://127.0.0.1:${port}/`);
 * assert.equal(await response.text(), "hello");
 * stop.abort(); // graceful shutdown
 * await served;
 * ```
 */
export async function serve(
  fn: RequestHandler,
  options: ServeOptions = {},
): Promise<void> {
  checkOptions("serve", options);
  const name = options.name ?? "serve";
  if (typeof name !== "string") {
    throw new TypeError(
      `Cannot serve: 'name' must be a string: current value is ${show(name)}`,
    );
  }
  const action = `serve${label(name === "serve" ? "" : name)}`;
  checkCallback(action, fn, "fn");
  const config = toRequestConfig(action, options);
  const {
    port = 8000,
    hostname = "0.0.0.0",
    onListen,
    signal,
    gracePeriod = 10_000,
    shutdownSignals = ["SIGINT", "SIGTERM"],
  } = options;
  checkDuration(action, "gracePeriod", gracePeriod);
  if (
    typeof port !== "number" || !Number.isInteger(port) || port < 0 ||
    port > 65_535
  ) {
    throw new (typeof port === "number" ? RangeError : TypeError)(
      `Cannot ${action}: 'port' must be an integer from 0 to 65535: current value is ${
        show(port)
      }`,
    );
  }
  if (typeof hostname !== "string") {
    throw new TypeError(
      `Cannot ${action}: 'hostname' must be a string: current value is ${
        show(hostname)
      }`,
    );
  }
  if (signal !== undefined) checkSignal(action, signal);
  if (onListen !== undefined) checkCallback(action, onListen, "onListen");
  if (!Array.isArray(shutdownSignals)) {
    throw new TypeError(
      `Cannot ${action}: 'shutdownSignals' must be an array of signal names: current value is ${
        show(shutdownSignals)
      }`,
    );
  }
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (typeof deno?.serve !== "function") {
    throw new Error(
      `Cannot ${action}: Deno.serve is not available; pass handler(fn) to this runtime's own server`,
    );
  }
  if (signal?.aborted) return;

  const scope = new CancelScope({ name });
  await scope.run(async () => {
    // --- Requests in flight, counted here: after a forced close Deno's
    // `finished` does not wait for them (rule 15: nothing outlives us).
    let inFlight = 0;
    let onIdle: (() => void) | undefined;
    const force = new AbortController();
    const server = deno.serve({
      port,
      hostname,
      onListen,
      signal: force.signal,
    }, (request, info) => {
      if (stateOf(scope) !== "active") {
        return new Response(null, { status: 503 });
      }
      inFlight++;
      const answer = handleRequest(fn, config, request, info, scope);
      if (answer instanceof Response) {
        if (--inFlight === 0) onIdle?.();
        return answer;
      }
      return answer.finally(() => {
        if (--inFlight === 0) onIdle?.();
      });
    });
    let done = false;
    server.finished.then(() => done = true, () => done = true);
    const idle = () =>
      inFlight === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => onIdle = resolve);

    // --- What stops us: the signal, an OS signal (twice: at once), the
    // server ending by itself, or the enclosing scope's cancellation.
    // Not `Promise.withResolvers`: the npm build keeps to what Node 20 has,
    // even in this Deno-only module.
    let stopNow = () => {}, hurryNow = () => {};
    const stopped = new Promise<void>((resolve) => stopNow = resolve);
    const hurried = new Promise<void>((resolve) => hurryNow = resolve);
    let stopping = false;
    const onStop = () => {
      if (stopping) return hurryNow();
      stopping = true;
      stopNow();
    };
    signal?.addEventListener("abort", onStop, { once: true });
    const listening: Deno.Signal[] = [];
    for (const signalName of shutdownSignals) {
      try {
        deno.addSignalListener(signalName, onStop);
        listening.push(signalName);
      } catch {
        // Not supported here (SIGTERM on Windows): nothing to listen to.
      }
    }
    let hardStop = false;
    try {
      const outcome = await settleOrCancel(
        Promise.race([stopped, server.finished]),
      );
      stopping = true;
      hardStop = outcome.kind === "cancelled";
      const finished = server.shutdown(); // graceful: refuse new connections
      if (!hardStop) {
        // The grace period: settleOrCancel never throws, so the enclosing
        // scope's cancellation also just ends it, as a second signal does.
        const grace = new CancelScope({
          timeout: gracePeriod,
          name: `${name}: grace period`,
        });
        await grace.run(() => settleOrCancel(Promise.race([idle(), hurried])));
        if (inFlight > 0) {
          scope.cancel(`${name} shut down: the grace period is over`); // or cut short
        }
      }
      // Not checkpoints: the server must be gone before we return.
      await idle();
      await shielded(() =>
        moveOnAfter(
          Math.min(gracePeriod, MAX_FLUSH_MS),
          () => settleOrCancel(finished),
        )
      );
      // Responses still streaming now are cut. Only while the server runs:
      // aborting its signal after `finished` throws BadResource from inside
      // Deno's own abort listener (Deno 2.9.6), an uncaught error.
      if (!done) force.abort();
      await server.finished;
    } finally {
      signal?.removeEventListener("abort", onStop);
      for (const signalName of listening) {
        deno.removeSignalListener(signalName, onStop);
      }
    }
    // Rule 2: serve is a checkpoint. An enclosing cancellation (at once, or
    // during the grace period) goes on out as itself once the server is
    // gone; our own cancel of the stragglers is absorbed by our scope.
    const cancelled = cancellationOf(scope);
    if (cancelled !== undefined) throw cancelled;
  });
}
