// Copyright the corral authors. MIT license.
/**
 * The client: sends one `GET /quote` to the gateway under its own deadline
 * (`failAfter`), which `fetchWithDeadline` sends along in the
 * `corral-timeout` header, and records how it ended. A request may ask for
 * less time by setting the header itself (`fetchWithDeadline` keeps the
 * smaller one). A client may also "close the tab" midway: its task is
 * cancelled, which aborts the fetch and closes the connection.
 *
 * @module
 */
import { fetchWithDeadline, TIMEOUT_HEADER } from "@corral/http";
import { Cancelled, failAfter, sleep } from "@corral/scope";
import type { TaskGroup } from "@corral/taskgroup";
import { elapsed, log, ms, REQUEST_ID_HEADER, requestId } from "./log.ts";

/** One request the demo sends. */
export interface Plan {
  id: string;
  /** A shorter deadline than the client's own, sent in the header, in ms. */
  deadline?: number;
  /** Upstreams told to fail this request (`?fail=upstream-b`). */
  fail?: string[];
  /** Disconnect after this many ms. */
  disconnectAfter?: number;
}

/** How a request ended, as its client saw it. */
export type Outcome =
  | "success"
  | "timeout"
  | "cancelled by shutdown"
  | "disconnected"
  | "refused"
  | "failed";

/** How long a client waits for any answer. */
const PATIENCE_MS = 2_000;

/** Each request's outcome, by id. */
export const outcomes: Map<string, Outcome> = new Map();

/** Sends `plan` as tasks of `group`, in the request's context. */
export function sendRequest(group: TaskGroup, url: string, plan: Plan): void {
  requestId.run(plan.id, function spawnClient() {
    const task = group.spawn(() => exchange(url, plan), { name: plan.id });
    const after = plan.disconnectAfter;
    if (after === undefined) return;
    group.spawn(async function closeTheTab() {
      await sleep(after);
      log("client", `disconnects after ${ms(after)}`);
      task.cancel("the client disconnected");
    }, { name: `${plan.id} disconnect` });
  });
}

/** The request and its response, under the client's deadline. */
async function exchange(url: string, plan: Plan): Promise<void> {
  const began = elapsed();
  const query = (plan.fail ?? []).map((name) => `fail=${name}`).join("&");
  const path = `/quote${query === "" ? "" : `?${query}`}`;
  log("client", `GET ${path}, deadline ${ms(plan.deadline ?? PATIENCE_MS)}`);
  const headers = new Headers({ [REQUEST_ID_HEADER]: requestId.get() ?? "" });
  if (plan.deadline) headers.set(TIMEOUT_HEADER, String(plan.deadline));
  try {
    const { status, body } = await failAfter(PATIENCE_MS, async () => {
      const response = await fetchWithDeadline(`${url}${path}`, {
        headers,
        timeoutOffset: 50, // the gateway gives up first, even on a slow network
      });
      return { status: response.status, body: await response.text() };
    }) ?? { status: 0, body: "" }; // undefined only if cancelled explicitly
    const outcome: Outcome = status === 200
      ? "success"
      : status === 504
      ? "timeout"
      : status === 503
      ? "cancelled by shutdown"
      : "failed";
    outcomes.set(plan.id, outcome);
    const took = ms(elapsed() - began);
    log("client", `got ${status} after ${took}${body ? `: "${body}"` : ""}`);
  } catch (error) {
    if (error instanceof Cancelled) {
      outcomes.set(plan.id, "disconnected");
      log("client", "connection closed, request abandoned");
      throw error; // absorbed by this task's scope, which was cancelled
    }
    // Deno's message is "fetch failed"; the cause says why.
    const message = `${(error as Error).message} (${(error as Error).cause})`;
    if (error instanceof TypeError && /refused/i.test(message)) {
      outcomes.set(plan.id, "refused");
      log("client", "connection refused: the gateway is shutting down");
      return;
    }
    outcomes.set(
      plan.id,
      error instanceof Error && error.name === "TimeoutError"
        ? "timeout"
        : "failed",
    );
    log("client", `failed: ${message}`);
  }
}
