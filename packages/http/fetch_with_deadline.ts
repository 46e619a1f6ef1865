// Copyright the corral authors. MIT license.
import { cancellationOf, currentScope } from "@corral/scope/plumbing";
import {
  formatTimeout,
  parseTimeout,
  remainingTime,
  TIMEOUT_HEADER,
} from "./deadline_header.ts";
import { checkDuration, checkSignal } from "./_validate.ts";

/** Options for {@linkcode fetchWithDeadline}: `fetch`'s, and two more. */
export interface FetchWithDeadlineInit extends RequestInit {
  /**
   * The header that carries the remaining time. @default {"corral-timeout"}
   */
  timeoutHeader?: string;
  /**
   * A safety margin subtracted from the remaining time before it is sent,
   * in milliseconds, so the callee gives up before we do and its answer
   * still reaches us (Envoy's `grpc_timeout_header_offset`). @default {0}
   */
  timeoutOffset?: number;
}

/**
 * `fetch` under the current scope, with deadline propagation: sends the
 * time left before the scope's effective deadline in the timeout header
 * (`corral-timeout: <ms>`), so a corral service on the other side runs the
 * request under the same deadline (gRPC's `grpc-timeout`), and is cancelled
 * with the scope: the scope's `signal` is passed to `fetch`, so the request
 * and the reading of the response body both stop when the scope is
 * cancelled.
 *
 * It is a checkpoint (DESIGN rule 2): in a cancelled scope it throws
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
 * @throws {TypeError} As `fetch` does on a network error, or if
 * `init.signal` is not an `AbortSignal`.
 * @throws {RangeError} If `timeoutOffset` is NaN or negative.
 *
 * @example Usage
 * ```ts
 * import { fetchWithDeadline, parseTimeout } from "@corral/interop";
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
  init: FetchWithDeadlineInit = {},
): Promise<Response> {
  const {
    timeoutHeader = TIMEOUT_HEADER,
    timeoutOffset = 0,
    ...fetchInit
  } = init;
  checkDuration("call fetchWithDeadline()", "timeoutOffset", timeoutOffset);
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
    const ours = formatTimeout(remaining - timeoutOffset);
    const theirs = parseTimeout(headers.get(timeoutHeader));
    if (theirs === undefined || theirs > Number(ours)) {
      headers.set(timeoutHeader, ours);
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
