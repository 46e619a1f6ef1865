// Copyright the corral authors. MIT license.
/**
 * One request's life in its scope, shared by `handler` (a root scope per
 * request), `serve` (a child of the server's scope) and the Hono
 * middleware: its budget from the deadline headers, its scope, the watch
 * for a client disconnect, and the answers for what went wrong.
 *
 * @module
 */
import { Cancelled, CancelScope } from "@corral/scope";
import {
  currentScope,
  queueMacrotask,
  runRootLike,
  runUnder,
  stateOf,
} from "@corral/scope/plumbing";
import {
  parseTimeout,
  TIMEOUT_HEADERS,
  type TimeoutHeader,
} from "./deadline_header.ts";
import type {
  HandlerInfo,
  HandlerOptions,
  RequestContext,
  RequestHandler,
} from "./handler.ts";
import { failureResponse } from "./_answer.ts";
import {
  checkCallback,
  checkDuration,
  checkOptions,
  show,
} from "./_validate.ts";

/** The settings one request is run with; shared by `handler`, `serve` and the Hono middleware. */
export interface RequestConfig {
  timeoutHeaders: readonly TimeoutHeader[];
  maxTimeout: number;
  defaultTimeout: number;
  onError:
    | ((error: unknown, request: Request) => Response | Promise<Response>)
    | undefined;
  scopeName: ((request: Request) => string) | undefined;
}

/** Checks the options every request-running entry point shares. */
export function toRequestConfig(
  action: string,
  options: HandlerOptions | undefined,
): RequestConfig {
  checkOptions(action, options);
  const {
    timeoutHeaders = TIMEOUT_HEADERS,
    maxTimeout = Infinity,
    defaultTimeout = Infinity,
    onError,
    scopeName,
  } = options ?? {};
  if (
    !Array.isArray(timeoutHeaders) ||
    !timeoutHeaders.every((header) => TIMEOUT_HEADERS.includes(header))
  ) {
    throw new TypeError(
      `Cannot ${action}: 'timeoutHeaders' must be an array of "corral-timeout", "grpc-timeout", "connect-timeout-ms": current value is ${
        show(timeoutHeaders)
      }`,
    );
  }
  checkDuration(action, "maxTimeout", maxTimeout);
  checkDuration(action, "defaultTimeout", defaultTimeout);
  if (onError !== undefined) checkCallback(action, onError, "onError");
  if (scopeName !== undefined) checkCallback(action, scopeName, "scopeName");
  return {
    timeoutHeaders: [...timeoutHeaders],
    maxTimeout,
    defaultTimeout,
    onError,
    scopeName,
  };
}

/**
 * The request's time budget in milliseconds: the smallest of the deadline
 * headers it carries, else `defaultTimeout`, capped by `maxTimeout`
 * (Envoy's `grpc_timeout_header_max`). A malformed header (negative,
 * `1e309`, 8,000 digits, sent twice, an unknown unit) gets the answer its
 * protocol specifies, as a `Response`: never a wrong deadline, never a crash.
 */
export function requestTimeout(
  config: RequestConfig,
  request: Request,
): number | Response {
  let timeout = Infinity;
  let found = false;
  const headers = request.headers;
  for (const header of config.timeoutHeaders) {
    const value = headers.get(header);
    if (value === null) continue;
    const ms = parseTimeout(value, header);
    if (ms === undefined) {
      return failureResponse(
        "malformed",
        request,
        `malformed ${header} header`,
      );
    }
    found = true;
    if (ms < timeout) timeout = ms;
  }
  return Math.min(found ? timeout : config.defaultTimeout, config.maxTimeout);
}

/**
 * The request's scope, named by `scopeName` or after its method and path
 * (`GET /users`), with `timeout` from now. Throws what `scopeName` throws.
 *
 * The default name is made when first read, not here: on Deno, reading
 * `method` and `url` calls into the runtime, and that was 10–15% of the
 * server CPU of a trivial request (2.8 µs of 19.1 on the AMD EPYC VM), for
 * a name most requests never show. Deno closes a request once it is
 * answered, and its `url` then throws: so `DisconnectWatch.watch()` makes
 * the name of every request that outlives its first turn, and a name read
 * later still than that says the request was closed (see `CancelScope`'s
 * `name` option).
 */
export function requestScope(
  config: RequestConfig,
  request: Request,
  timeout: number,
): CancelScope {
  let name: string | (() => string);
  if (config.scopeName === undefined) {
    name = () => `${request.method} ${pathOf(request.url)}`;
  } else {
    const made = config.scopeName(request);
    name = typeof made === "string" ? made : show(made);
  }
  return new CancelScope({
    name,
    timeout: timeout === Infinity ? undefined : timeout,
  });
}

/**
 * Watches one request's `signal` for a client disconnect while its handler
 * runs. Made per request whose handler did not answer synchronously, in
 * its first turn; `close()` when the handler has returned.
 *
 * The signal is read lazily (road not taken: reading it at once). In Deno
 * 2.9 reading `request.signal` costs the server about 13 µs of CPU per
 * request in the default legacy-abort mode, 2 to 4 µs with
 * `--unstable-no-legacy-abort`: in legacy mode it doubles the cost of a
 * trivial request. It also makes Deno print a one-time notice about legacy
 * abort. So a request is watched only once its handler has outlived the
 * macrotask it started in, i.e. once it waits for real I/O, where a
 * disconnect matters; a disconnect before that is not lost, since
 * `signal.aborted` stays true. Except on Deno before 2.8.3: there a
 * `request.signal` first read after the client went never aborts (seen on
 * 2.1.0 through 2.8.2: read in the request's first turn it aborts, read in
 * a later macrotask it never does; 2.8.3 and 2.9 abort it), so there the
 * signal is read at once (`READ_SIGNAL_AT_ONCE`). Those releases have no
 * legacy-abort mode and print no notice.
 *
 * All requests started in one turn share one macrotask turn
 * (`queueMacrotask`: `setImmediate`, on Deno 2.1 from `node:timers`), which
 * is never cancelled: a request that finished in its turn stays in
 * `waiting`, closed, until the flush, or until every request in it is
 * closed. Road not taken: a `Set` of waiting
 * requests and `clearImmediate` once it empties (the first version). A
 * request then paid a `Set` insertion and deletion and, when it was alone
 * in its turn, a `setImmediate` and a `clearImmediate`: 0.2 µs batched
 * and 0.6 µs alone, against 0.04 and 0.5 µs now (Deno 2.9, in-process).
 */
export class DisconnectWatch {
  readonly #request: Request;
  readonly #scope: CancelScope;
  /** True once the client went away while the handler ran. */
  disconnected = false;
  /** "waiting" (in `waiting`) → "watching" (listener added) → "closed". */
  #state: "waiting" | "watching" | "closed" = "waiting";
  #onAbort: (() => void) | undefined;
  /** The request's signal, once read (each read may cost the runtime). */
  #signal: AbortSignal | undefined;

  constructor(request: Request, scope: CancelScope) {
    this.#request = request;
    this.#scope = scope;
    if (READ_SIGNAL_AT_ONCE) {
      this.watch();
      return;
    }
    waiting.push(this);
    stillWaiting++;
    if (!flushQueued) {
      flushQueued = true;
      queueMacrotask(flushWaiting);
    }
  }

  /** Starts listening if the handler is still running after its first turn. */
  watch(): void {
    if (this.#state !== "waiting") return; // finished in its turn
    this.#state = "watching";
    void this.#scope.name; // made while the request is open (`requestScope`)
    const signal = this.#signal = this.#request.signal;
    // Made here, not per request: most requests are never watched.
    const onAbort = this.#onAbort = () => {
      if (this.#state !== "watching") return; // belt and braces, see close()
      this.disconnected = true;
      this.#scope.cancel(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  }

  /**
   * Stops watching; called as the handler returns, before the runtime gets
   * the response. Deno's legacy abort after a completed response therefore
   * reaches no listener of ours, and is never taken for a disconnect.
   */
  close(): void {
    if (this.#state === "watching") {
      this.#signal!.removeEventListener("abort", this.#onAbort!);
    } else if (this.#state === "waiting" && --stillWaiting === 0) {
      waiting.length = 0; // every request of the turn is done: drop them now
    }
    this.#state = "closed";
  }
}

/**
 * Whether the signal must be read in the request's first turn: on Deno
 * before 2.8.3 (see `DisconnectWatch`). Other runtimes abort a signal read
 * late, as their tests show (`runtimes_test.ts`).
 */
const READ_SIGNAL_AT_ONCE: boolean = lateSignalNeverAborts(
  (globalThis as { Deno?: { version?: { deno?: unknown } } }).Deno?.version
    ?.deno,
);

/** True for a Deno release (`"2.8.2"`) before 2.8.3. */
export function lateSignalNeverAborts(denoVersion: unknown): boolean {
  if (typeof denoVersion !== "string") return false;
  const [major = 0, minor = 0, patch = 0] = denoVersion.split(".").map((part) =>
    parseInt(part, 10)
  );
  if (major !== 2) return major < 2;
  return minor < 8 || (minor === 8 && patch < 3);
}

/**
 * Requests started since the last flush (closed ones included, until all
 * are closed), how many of them are still waiting, and whether a flush is
 * queued. Writers: the constructor, `close()` and the flush.
 */
let waiting: DisconnectWatch[] = [];
let stillWaiting = 0;
let flushQueued = false;

function flushWaiting(): void {
  const watches = waiting;
  waiting = [];
  stillWaiting = 0;
  flushQueued = false;
  for (const watch of watches) watch.watch();
}

/**
 * Runs one request in its scope: a root (on the current clock) when
 * `parent` is undefined, else a child of `parent` (a server's scope).
 *
 * A handler that returns its `Response` synchronously is answered
 * synchronously: its scope has exited by the time `runRootLike` returns
 * (a body that ends synchronously exits its scope at once), so the
 * `Response` goes back as it is, with no promise and no `await`. Deno
 * answers a returned `Response` on a faster path than a promise. Such a
 * request has no `DisconnectWatch` either (it could only be closed at once,
 * yet would have queued a macrotask turn if first in its turn). Anything
 * else (a promise, a throw, a scope that could not exit at once) gets its
 * watch right after the body's synchronous part, still in the request's
 * first turn, and is answered by `settleRequest`.
 */
export function handleRequest(
  fn: RequestHandler,
  config: RequestConfig,
  request: Request,
  info: HandlerInfo | undefined,
  parent: CancelScope | undefined,
): Response | Promise<Response> {
  try {
    const timeout = requestTimeout(config, request);
    if (typeof timeout !== "number") return timeout;
    let scope: CancelScope;
    try {
      scope = requestScope(config, request, timeout);
    } catch (error) {
      return errorResponse(config, request, error); // scopeName threw
    }
    const context: RequestContext = { scope, info, timeout };
    let returned: unknown;
    const body = () => returned = fn(request, context);
    let running: Promise<Response | undefined>;
    try {
      running = parent === undefined
        ? runRootLike(scope, currentScope(), body)
        : runUnder(scope, parent, body);
    } catch (error) {
      running = Promise.reject(error); // only our bookkeeping throws here
    }
    // `running` resolves to `returned` too (a value is handed on as it is);
    // it never rejects once the body returned.
    if (returned instanceof Response && stateOf(scope) === "exited") {
      return returned;
    }
    // Still in the request's first turn: the watch starts as the body's
    // first await, as it would have before it.
    const watch = new DisconnectWatch(request, scope);
    return settleRequest(running, config, request, scope, watch);
  } catch (error) {
    return Promise.reject(error); // as an async function would
  }
}

/** The answer for a request whose handler did not answer synchronously. */
async function settleRequest(
  running: Promise<Response | undefined>,
  config: RequestConfig,
  request: Request,
  scope: CancelScope,
  watch: DisconnectWatch,
): Promise<Response> {
  try {
    const response = await running;
    if (response instanceof Response) return response;
    if (response !== undefined || !scope.cancelCaught) {
      return await errorResponse(
        config,
        request,
        new TypeError(
          `Cannot respond to ${scope.name}: the handler must return a Response: current value is ${
            show(response)
          }`,
        ),
      );
    }
    // The scope absorbed its own cancellation.
    return cancelledResponse(request, scope, watch);
  } catch (error) {
    if (error instanceof Cancelled) {
      return failureResponse("unavailable", request, "shutting down");
    }
    if (error instanceof Error && error.name === "TimeoutError") {
      return failureResponse("deadline", request, "deadline exceeded");
    }
    return await errorResponse(config, request, error);
  } finally {
    watch.close();
  }
}

/** The answer for a request whose own scope was cancelled. */
export function cancelledResponse(
  request: Request,
  scope: CancelScope,
  watch: DisconnectWatch,
): Response {
  if (watch.disconnected) {
    return failureResponse("disconnected", request, "client disconnected");
  }
  return scope.reason?.source === "deadline"
    ? failureResponse("deadline", request, "deadline exceeded")
    : failureResponse("unavailable", request, "request cancelled");
}

/**
 * The answer for an error: `onError`'s, else (or if it fails) a bare 500
 * in the caller's protocol, after `console.error`.
 */
export async function errorResponse(
  config: RequestConfig,
  request: Request,
  error: unknown,
): Promise<Response> {
  if (config.onError !== undefined) {
    try {
      const response = await config.onError(error, request);
      if (response instanceof Response) return response;
    } catch (hookError) {
      console.error(hookError);
    }
  } else {
    console.error(error);
  }
  return failureResponse("internal", request, "internal error");
}

/** The path of a URL without parsing it all (one per request). */
function pathOf(url: string): string {
  const scheme = url.indexOf("://");
  const start = url.indexOf("/", scheme < 0 ? 0 : scheme + 3);
  if (start < 0) return "/";
  let end = url.length;
  const query = url.indexOf("?", start);
  if (query >= 0) end = query;
  const hash = url.indexOf("#", start);
  if (hash >= 0 && hash < end) end = hash;
  return url.slice(start, end);
}
