// Copyright the corral authors. MIT license.
/**
 * Starting and stopping one HTTP service as a task of the demo's group.
 *
 * `serve` from `@corral/http/deno` runs `Deno.serve` in a scope: each request
 * gets a child scope (cancelled when its client disconnects or its deadline
 * passes), and aborting `signal` shuts the server down gracefully. Started
 * with `group.start()`, the task reports its port once it listens, and the
 * group cannot finish before the server has.
 *
 * Every request's id arrives in the `x-request-id` header and is put in the
 * context here, so all the work the request starts, in any task, logs it.
 *
 * @module
 */
import { type RequestHandler, serve } from "@corral/http/deno";
import { waitUnlessCancelled } from "@corral/scope";
import type { TaskGroup } from "@corral/taskgroup";
import { REQUEST_ID_HEADER, requestId, say, type Service } from "./log.ts";

/** A running service. */
export interface Server {
  readonly name: Service;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /**
   * Graceful shutdown: refuses new connections at once, lets the running
   * requests finish within the grace period, cancels the rest; resolves
   * once the server is gone.
   */
  stop(): Promise<void>;
}

/** Starts `handler` on loopback, on a free port, as a task of `group`. */
export async function startServer(
  group: TaskGroup,
  name: Service,
  handler: RequestHandler,
  gracePeriod: number,
): Promise<Server> {
  const shutdown = new AbortController();
  const stopped = Promise.withResolvers<void>();
  const port = await group.start<number>(async function runServer(started) {
    try {
      await serve(withRequestId(handler), {
        name,
        hostname: "127.0.0.1",
        port: 0,
        gracePeriod,
        signal: shutdown.signal,
        shutdownSignals: [], // the demo stops its servers itself
        onListen: (addr) => started(addr.port),
        // The task tree shows which request is which.
        scopeName: (request) =>
          `${request.headers.get(REQUEST_ID_HEADER) ?? "no-id"} ${
            new URL(request.url).pathname
          }`,
      });
      say("stopped", name);
    } finally {
      stopped.resolve();
    }
  }, { name });
  say(`listening on 127.0.0.1:${port}`, name);
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      shutdown.abort();
      await waitUnlessCancelled(stopped.promise);
    },
  };
}

/** Runs `handler` with the request's id in the context. */
function withRequestId(handler: RequestHandler): RequestHandler {
  return function handleWithId(request, context) {
    const id = request.headers.get(REQUEST_ID_HEADER) ?? "no-id";
    return requestId.run(id, () => handler(request, context));
  };
}
