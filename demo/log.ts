// Copyright the corral authors. MIT license.
/**
 * The demo's log: one aligned, timestamped line per event,
 *
 * ```text
 *   312 ms  [req-3] gateway     attempt 1 (upstream-b) started, 1826 ms left
 * ```
 *
 * The request id in brackets is never passed in: every line reads it from
 * the `requestId` context variable, so it shows which request each task
 * works for, in the gateway's tasks and in the upstreams' handlers alike.
 * Lines also go to `events`, which the final checks read.
 *
 * @module
 */
import { Variable } from "@corral/context";

/** The request a piece of work belongs to: set by the client and by each server. */
export const requestId = new Variable<string>({ name: "requestId" });

/** The header that carries the request id between services. */
export const REQUEST_ID_HEADER = "x-request-id";

/** Who logs: the client, the gateway, an upstream, or the demo itself. */
export type Service =
  | "client"
  | "gateway"
  | "upstream-a"
  | "upstream-b"
  | "upstream-c"
  | "ticker"
  | "demo";

/** One logged line, kept for the checks at the end. */
export interface LogEvent {
  at: number;
  id: string | undefined;
  service: Service;
  message: string;
}

/** Every line logged so far, in order. */
export const events: LogEvent[] = [];

/** Lines logged by request work that had lost its request id. */
export const contextLost: LogEvent[] = [];

const start = performance.now();

/** Milliseconds since the demo started. */
export function elapsed(): number {
  return performance.now() - start;
}

/** A duration for humans: `120 ms`, or `no deadline` for Infinity. */
export function ms(duration: number): string {
  return duration === Infinity ? "no deadline" : `${Math.round(duration)} ms`;
}

/** Prints one line of request work: the id comes from the context. */
export function log(service: Service, message: string): void {
  const event = emit(requestId.get(), service, message);
  if (event.id === undefined) contextLost.push(event);
}

/** Prints a line outside any request: the demo's, or a server's own. */
export function say(message: string, service: Service = "demo"): void {
  emit(undefined, service, message);
}

/** Prints a block of text (the task tree) under a timestamped title. */
export function block(title: string, text: string): void {
  say(title);
  for (const line of text.split("\n")) console.log(`${" ".repeat(19)}${line}`);
}

/** True if `service` logged a line for request `id` matching `pattern`. */
export function logged(id: string, service: Service, pattern: RegExp): boolean {
  return events.some((event) =>
    event.id === id && event.service === service && pattern.test(event.message)
  );
}

/** Records and prints one line. */
function emit(
  id: string | undefined,
  service: Service,
  message: string,
): LogEvent {
  const event = { at: elapsed(), id, service, message };
  events.push(event);
  const time = `${event.at.toFixed(0).padStart(5)} ms`;
  const tag = `[${id ?? "-"}]`.padEnd(7);
  console.log(`${time}  ${tag} ${service.padEnd(10)}  ${message}`);
  return event;
}
