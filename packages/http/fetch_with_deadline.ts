// Copyright the corral authors. MIT license.
import { cancellationOf, currentScope } from "@corral/scope/plumbing";
import {
  formatTimeout,
  parseTimeout,
  remainingTime,
  TIMEOUT_HEADER,
  TIMEOUT_HEADERS,
  type TimeoutHeader,
} from "./deadline_header.ts";
import { checkDuration, checkOptions, checkSignal, show } from "./_validate.ts";

export type { TimeoutHeader };

/** Options for {@linkcode fetchWithDeadline}: `fetch`'s, and two more. */
export interface FetchWithDeadlineInit extends RequestInit {
  /**
   * The header that carries the remaining time, in the format the callee
   * reads: ours, gRPC's (`grpc-timeout: 1500000u`) or Connect's
   * (`connect-timeout-ms: 1500`). @default {"corral-timeout"}
   */
  timeoutHeader?: TimeoutHeader;
  /**
   * A safety margin subtracted from the remaining time before it is sent,
   * in milliseconds, so the callee gives up before we do and its answer
   * still reaches us (Envoy's `grpc_timeout_header_offset`). @default {0}
   */
  timeoutOffset?: number;
}

/**
 * `fetch` under the current scope, with deadline propagation: sends the
 * time left before the scope's effective deadline, less `timeoutOffset`,
 * in the deadline header (`corral-timeout: <ms>` by default, or
 * `grpc-timeout` / `connect-timeout-ms` for a gRPC or Connect service), so
 * the service on the other side runs the request under the same deadline;
 * and is cancelled
 * with the scope: the scope's `signal` is passed to `fetch`, so the request
 * and the reading of the response body both stop when the scope is
 * cancelled.
 *
 * It is a checkpoint (rule 2 of docs/rules.md): in a cancelled scope it throws
 * without sending anything. A rejection after the scope's signal aborted is
 * the scope's `Cancelled` (which `fetch` rejects with already, as the
 * signal's reason). Without a deadline no header is sent; a header the
 * caller set is kept if it asks for less time. Outside any scope it is
 * plain `fetch`. A `signal` in `init` is combined with the scope's; the
 * `signal` of a `Request` passed as `input` is replaced by the scope's (pass
 * it as `init.signal` to keep it).
 *
 * @param input The URL or `Request`, as for `fetch`.
 * @param init `fetch`'s options, the header's name and the safety margin.
 * @returns The response; read or cancel its body.
 * @throws {Cancelled} If the scope is or becomes cancelled (its deadline
 * included) before the response arrives.
 * @throws {TypeError} As `fetch` does on a network error; or if `init` is
 * not an object, `init.signal` is not an `AbortSignal`, or `timeoutHeader`
 * is not one of the three deadline headers.
 * @throws {RangeError} If `timeoutOffset` is NaN or negative.
 *
 * @example Usage
 * ```ts
 * import { fetchWithDeadline, parseTimeout } from "@corral/http";
 * import { moveOnAfter } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * const server = Deno.serve(
 *   { port: 0, hostname: "127.0.0.1", onListen() {} },
 *   (request) => new Response(request.headers.get("corral-timeout")),
 * );
 * const sent = await moveOnAfter(5_000, async () => {
 *   const response = await fetchWithDeadline(`http://127.0.0.1:${server.addr.port}/`);
 *   return parseTimeout(await response.text());
 * });
 * assert.ok(sent !== undefined && sent <= 5_000 && sent > 4_000);
 * await server.shutdown();
 * ```
 */
export async function fetchWithDeadline(
  input: string | URL | Request,
  init?: FetchWithDeadlineInit,
): Promise<Response> {
  if (
    typeof input !== "string" && !(input instanceof URL) &&
    !(input instanceof Request)
  ) {
    throw new TypeError(
      `Cannot call fetchWithDeadline(): 'input' must be a string, a URL or a Request: current value is ${
        show(input)
      }`,
    );
  }
  checkOptions("call fetchWithDeadline()", init, "init");
  const {
    timeoutHeader = TIMEOUT_HEADER,
    timeoutOffset = 0,
    ...fetchInit
  } = init ?? {};
  if (!TIMEOUT_HEADERS.includes(timeoutHeader)) {
    throw new TypeError(
      `Cannot call fetchWithDeadline(): 'timeoutHeader' must be "corral-timeout", "grpc-timeout" or "connect-timeout-ms": current value is ${
        show(timeoutHeader)
      }`,
    );
  }
  checkDuration(
    "call fetchWithDeadline()",
    "timeoutOffset",
    timeoutOffset,
  );
  if (fetchInit.signal != null) {
    checkSignal("call fetchWithDeadline()", fetchInit.signal, "init.signal");
  }
  const scope = currentScope();
  if (scope === undefined) return await fetch(input, fetchInit);
  const pending = cancellationOf(scope);
  if (pending !== undefined) throw pending;

  const remaining = remainingTime();
  if (remaining !== Infinity) {
    const headers = new Headers(
      fetchInit.headers ?? (input instanceof Request ? input.headers : {}),
    );
    const budget = remaining - timeoutOffset;
    const theirs = parseTimeout(headers.get(timeoutHeader), timeoutHeader);
    if (theirs === undefined || theirs > budget) {
      headers.set(timeoutHeader, formatTimeout(budget, timeoutHeader));
    }
    fetchInit.headers = headers;
  }
  // The scope's own signal (one per scope, made once), not one per call:
  // it must outlive this call, to cancel the reading of the body too.
  fetchInit.signal = fetchInit.signal == null
    ? scope.signal
    : AbortSignal.any([fetchInit.signal, scope.signal]);
  try {
    return await fetch(input, fetchInit);
  } catch (error) {
    // A rejection after our abort is our Cancelled (abortable's rule).
    const cancelled = cancellationOf(scope);
    if (cancelled !== undefined && scope.signal.aborted) throw cancelled;
    throw error;
  }
}
