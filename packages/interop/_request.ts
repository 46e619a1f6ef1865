// Copyright the corral authors. MIT license.
/**
 * One request's life in its scope, shared by `handler` (a root scope per
 * request) and `serve` (a child of the server's scope).
 *
 * @module
 */
import { Cancelled, CancelScope } from "@corral/scope";
import { internals } from "@corral/scope/internal";
import { parseTimeout, TIMEOUT_HEADER } from "./deadline_header.ts";
import type {
  HandlerInfo,
  HandlerOptions,
  RequestContext,
  RequestHandler,
} from "./handler.ts";
import { checkDuration, checkFunction, show } from "./_validate.ts";

/** The settings one request is run with; shared by `handler` and `serve`. */
export interface RequestConfig {
  fn: RequestHandler;
  timeoutHeader: string | null;
  maxTimeout: number;
  defaultTimeout: number;
  onError:
    | ((error: unknown, request: Request) => Response | Promise<Response>)
    | undefined;
}

/** Checks `handler`'s arguments; shared with `serve`. */
export function toRequestConfig(
  action: string,
  fn: unknown,
  options: HandlerOptions,
): RequestConfig {
  checkFunction(action, fn);
  const {
    timeoutHeader = TIMEOUT_HEADER,
    maxTimeout = Infinity,
    defaultTimeout = Infinity,
    onError,
  } = options;
  if (timeoutHeader !== null && typeof timeoutHeader !== "string") {
    throw new TypeError(
      `Cannot ${action}: 'timeoutHeader' must be a string or null: current value is ${
        show(timeoutHeader)
      }`,
    );
  }
  checkDuration(action, "maxTimeout", maxTimeout);
  checkDuration(action, "defaultTimeout", defaultTimeout);
  if (onError !== undefined) checkFunction(action, onError, "onError");
  return {
    fn: fn as RequestHandler,
    timeoutHeader,
    maxTimeout,
    defaultTimeout,
    onError,
  };
}

/**
 * Runs one request in its scope: a root (on the current clock) when
 * `parent` is undefined, else a child of `parent` (a server's scope).
 */
export async function handleRequest(
  config: RequestConfig,
  request: Request,
  info: HandlerInfo | undefined,
  parent: CancelScope | undefined,
): Promise<Response> {
  const timeout = Math.min(
    (config.timeoutHeader === null
      ? undefined
      : parseTimeout(request.headers.get(config.timeoutHeader))) ??
      config.defaultTimeout,
    config.maxTimeout,
  );
  const scope = new CancelScope({
    name: `${request.method} ${pathOf(request.url)}`,
    timeout: timeout === Infinity ? undefined : timeout,
  });
  const signal = request.signal;
  let disconnected = false;
  let responded = false;
  const onAbort = () => {
    // Deno's legacy abort after a completed response is no disconnect;
    // by then `responded` is true and the listener gone (belt and braces).
    if (responded) return;
    disconnected = true;
    scope.cancel(signal.reason);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  const context: RequestContext = { scope, info, timeout };
  try {
    const response = parent === undefined
      ? await internals.runWithClock(
        scope,
        internals.clockOf(internals.current()),
        () => config.fn(request, context),
      )
      : await internals.runWithParent(
        scope,
        parent,
        () => config.fn(request, context),
      );
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
    if (disconnected) return new Response(null, { status: 499 });
    return scope.reason?.source === "deadline"
      ? new Response(null, { status: 504, statusText: "Gateway Timeout" })
      : new Response(null, { status: 503, statusText: "Service Unavailable" });
  } catch (error) {
    if (error instanceof Cancelled) {
      return new Response(null, {
        status: 503,
        statusText: "Service Unavailable",
      });
    }
    if (error instanceof Error && error.name === "TimeoutError") {
      return new Response(null, { status: 504, statusText: "Gateway Timeout" });
    }
    return await errorResponse(config, request, error);
  } finally {
    responded = true;
    signal.removeEventListener("abort", onAbort);
  }
}

async function errorResponse(
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
  return new Response(null, {
    status: 500,
    statusText: "Internal Server Error",
  });
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
