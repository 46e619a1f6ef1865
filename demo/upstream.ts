// Copyright the corral authors. MIT license.
/**
 * An upstream service: `GET /quote` answers after the service's latency
 * (a stand-in for a database query), or fails on purpose with a 503 when
 * the query string says `fail=<its name>`.
 *
 * What it shows: the handler runs in the request's scope, under the
 * deadline the gateway sent in the `corral-timeout` header, and is
 * cancelled when the gateway hangs up (it lost a race, or its own client
 * went away). Either way its `finally` runs: the cleanup is logged.
 *
 * upstream-a does its "query" as CPU work in a `WorkerPool` of
 * `@corral/worker` (two workers): the call is part of the request's scope,
 * so when the request is cancelled, the work in the worker is cancelled
 * with it (its checkpoints throw), and the request's deadline is the
 * worker scope's deadline too.
 *
 * @module
 */
import type { RequestContext } from "@corral/http";
import { Cancelled, sleep } from "@corral/scope";
import type { TaskGroup } from "@corral/taskgroup";
import type { WorkerPool } from "@corral/worker";
import { elapsed, log, ms } from "./log.ts";
import type { Service } from "./log.ts";
import { type Server, startServer } from "./server.ts";

/** How long a failing upstream takes to fail. */
const FAIL_AFTER_MS = 30;

/** The upstreams' names. */
export type UpstreamName = Extract<Service, `upstream-${string}`>;

/**
 * Starts an upstream whose answer takes `latency` ms: sleeping, or
 * computing in `pool` (a `WorkerPool` running `quote_work.ts`).
 */
export function startUpstream(
  group: TaskGroup,
  name: UpstreamName,
  latency: number,
  pool?: WorkerPool,
): Promise<Server> {
  return startServer(group, name, function upstreamHandler(request, context) {
    return answer(name, latency, request, context, pool);
  }, 300);
}

/** One request's work, in the request's scope. */
async function answer(
  name: UpstreamName,
  latency: number,
  request: Request,
  { timeout }: RequestContext,
  pool: WorkerPool | undefined,
): Promise<Response> {
  const began = elapsed();
  const failing = new URL(request.url).searchParams.getAll("fail")
    .includes(name);
  log(name, `started, deadline ${ms(timeout)} (corral-timeout from gateway)`);
  let answered = false;
  try {
    if (failing) {
      await sleep(FAIL_AFTER_MS);
      log(name, "fails on purpose: 503");
      answered = true;
      return new Response(null, { status: 503 });
    }
    if (pool === undefined) {
      await sleep(latency); // the "query": a checkpoint, cancellable
    } else {
      // The "query" computes in a worker, under this request's scope.
      await pool.run("quote", [latency]);
    }
    answered = true;
    log(name, `answered after ${ms(elapsed() - began)}`);
    return new Response(`quote from ${name}`);
  } catch (error) {
    if (error instanceof Cancelled) {
      log(name, `cancelled: ${whyCancelled(error, request, timeout)}`);
    }
    throw error; // the request's scope absorbs it and answers 499/503/504
  } finally {
    if (!answered) {
      log(
        name,
        `finally: cleaned up after ${ms(elapsed() - began)} of work${
          pool === undefined ? "" : " (its work in the worker pool stopped too)"
        }`,
      );
    }
  }
}

/** Says what cancelled an upstream request. */
function whyCancelled(
  error: Cancelled,
  request: Request,
  timeout: number,
): string {
  if (error.source === "deadline") {
    return `its deadline passed (${ms(timeout)} from corral-timeout)`;
  }
  if (request.signal.aborted) return "the gateway disconnected";
  return String(error.reason);
}
