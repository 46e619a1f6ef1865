// Copyright the corral authors. MIT license.
/**
 * The gateway: `GET /quote` races the upstreams Happy-Eyeballs style and
 * answers with the first quote.
 *
 * What it shows:
 * - `race(attempts, { stagger })`: attempt k+1 starts `STAGGER_MS` after
 *   attempt k, or at once when attempt k fails; the first answer wins and
 *   the other attempts are cancelled: their `fetch` is aborted, so their
 *   upstream sees the gateway disconnect and cleans up.
 * - Deadline propagation: the request runs under the client's
 *   `corral-timeout`; `fetchWithDeadline` sends what is left of it on to
 *   each upstream, and an attempt that no longer fits is skipped.
 * - The request id travels in the context: the attempt tasks `race` spawns
 *   see it, and forward it to the upstreams in a header.
 * - A limit per upstream across all requests: one `CapacityLimiter` per
 *   upstream, shared by every request's attempts (at most
 *   `UPSTREAM_LIMIT` calls in flight to each). An attempt waits for a
 *   token in line; cancelling it (its race was won, its client left) takes
 *   it out of the line without a trace, and the task tree shows who waits
 *   (`waiting on limiter "upstream-a"`).
 *
 * @module
 */
import { fetchWithDeadline, remainingTime } from "@corral/http";
import type { RequestContext } from "@corral/http";
import { Cancelled } from "@corral/scope";
import { CapacityLimiter } from "@corral/sync";
import { race, type TaskGroup } from "@corral/taskgroup";
import { log, ms, REQUEST_ID_HEADER, requestId } from "./log.ts";
import { type Server, startServer } from "./server.ts";

/** Happy Eyeballs: the delay before the next upstream is tried. */
export const STAGGER_MS = 300;
/** An attempt with less time left than this is not worth starting. */
const MIN_ATTEMPT_MS = 100;
/** Sent deadlines are this much shorter, so the callee gives up first. */
const OFFSET_MS = 50;
/** At most this many calls in flight to each upstream, across all requests. */
export const UPSTREAM_LIMIT = 3;

/** Starts the gateway in front of `upstreams`. */
export function startGateway(
  group: TaskGroup,
  upstreams: readonly Server[],
  gracePeriod: number,
): Promise<Server> {
  const limited = upstreams.map((upstream) => ({
    upstream,
    limiter: new CapacityLimiter(UPSTREAM_LIMIT, { name: upstream.name }),
  }));
  return startServer(group, "gateway", function gatewayHandler(req, context) {
    return quote(limited, req, context);
  }, gracePeriod);
}

/** An upstream and the limiter every request shares for it. */
interface Limited {
  upstream: Server;
  limiter: CapacityLimiter;
}

/** One client request: race the upstreams, answer with the winner. */
async function quote(
  upstreams: readonly Limited[],
  request: Request,
  { timeout }: RequestContext,
): Promise<Response> {
  const query = new URL(request.url).search;
  log(
    "gateway",
    `GET /quote${query}, deadline ${ms(timeout)} (corral-timeout)`,
  );
  const attempts = upstreams.map(({ upstream, limiter }, index) =>
    function tryUpstream() {
      return attempt(upstream, limiter, index, query, request);
    }
  );
  try {
    const winner = await race(attempts, { stagger: STAGGER_MS });
    log("gateway", `200 "${winner}"`);
    return new Response(winner);
  } catch (error) {
    const deadline = `the ${ms(timeout)} deadline ran out (corral-timeout)`;
    if (error instanceof Cancelled) {
      // The request's scope answers: 499 disconnect, 504 deadline, 503.
      const line = error.source === "deadline"
        ? `504: ${deadline}`
        : `cancelled: ${whyCancelled(error, request)}`;
      log("gateway", line);
      throw error;
    }
    if (remainingTime() < MIN_ATTEMPT_MS) { // the upstreams ran out first
      log("gateway", `504: ${deadline}`);
      return new Response(null, { status: 504 });
    }
    log("gateway", "502: every upstream failed");
    return new Response(null, { status: 502 });
  }
}

/** One attempt of the race: a task of the race's group. */
async function attempt(
  upstream: Server,
  limiter: CapacityLimiter,
  index: number,
  query: string,
  request: Request,
): Promise<string> {
  const label = `attempt ${index} (${upstream.name})`;
  const left = remainingTime();
  if (left < MIN_ATTEMPT_MS) {
    log("gateway", `${label} skipped: only ${ms(left)} left`);
    throw new Error(`${label}: no time left`);
  }
  log("gateway", `${label} started, ${ms(left)} left`);
  try {
    if (limiter.available === 0) {
      log("gateway", `${label} waits: ${UPSTREAM_LIMIT} calls in flight`);
    }
    // The attempt's task borrows a token for the call: in line behind the
    // other requests' attempts, and out of the line if it is cancelled.
    return await limiter.run(async () => {
      // Aborted with this task's scope; sends the time left minus OFFSET_MS.
      const url = `${upstream.url}/quote${query}`;
      const response = await fetchWithDeadline(url, {
        headers: { [REQUEST_ID_HEADER]: requestId.get() ?? "no-id" },
        timeoutOffset: OFFSET_MS,
      });
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`${upstream.name} answered ${response.status}`);
      }
      const text = await response.text();
      log("gateway", `${label} answered`);
      return text;
    });
  } catch (error) {
    log(
      "gateway",
      error instanceof Cancelled
        ? `${label} cancelled: ${whyCancelled(error, request)}`
        : `${label} failed: ${(error as Error).message}`,
    );
    throw error;
  }
}

/** Says what cancelled a gateway request or one of its attempts. */
function whyCancelled(error: Cancelled, request: Request): string {
  if (request.signal.aborted) return "the client disconnected";
  if (error.source === "deadline") return "its deadline passed";
  return String(error.reason);
}
