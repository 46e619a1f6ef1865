// Copyright the corral authors. MIT license.
/**
 * The answers `handler()` and the Hono middleware make themselves (a
 * malformed deadline header, a disconnect, a deadline, a shutdown, an
 * error), in the protocol the caller speaks, so that a gRPC or Connect
 * client reads the status it expects rather than a bare HTTP status:
 *
 * | failure | plain HTTP | Connect (`protocol.md`) | gRPC, gRPC-Web (`statuscodes.md`) |
 * | --- | --- | --- | --- |
 * | malformed deadline header | 400 | 400 `invalid_argument` | `grpc-status: 3` INVALID_ARGUMENT |
 * | client disconnected | 499 | 499 `canceled` | `grpc-status: 1` CANCELLED |
 * | deadline passed | 504 | 504 `deadline_exceeded` | `grpc-status: 4` DEADLINE_EXCEEDED |
 * | server shutting down | 503 | 503 `unavailable` | `grpc-status: 14` UNAVAILABLE |
 * | handler error | 500 | 500 `internal` | `grpc-status: 13` INTERNAL |
 *
 * A gRPC answer is a Trailers-Only response (HTTP 200, the status in the
 * headers), as `PROTOCOL-HTTP2.md` allows for an immediate error. A Connect
 * streaming call (`application/connect+…`) gets HTTP 200 and an end-stream
 * message, as its protocol requires. Neither spec says what a malformed
 * timeout gets: connect-es answers `invalid_argument`, grpc-go INTERNAL over
 * HTTP 400, gRPC core ignores the header; we follow connect-es in both
 * protocols, since the caller sent a bad argument. No answer carries more
 * than the failure's name: nothing of the handler leaks.
 *
 * @module
 */

/** What went wrong, independent of the protocol. */
export type Failure =
  | "malformed"
  | "disconnected"
  | "deadline"
  | "unavailable"
  | "internal";

const HTTP: Record<Failure, readonly [number, string]> = {
  malformed: [400, "Bad Request"],
  disconnected: [499, "Client Closed Request"],
  deadline: [504, "Gateway Timeout"],
  unavailable: [503, "Service Unavailable"],
  internal: [500, "Internal Server Error"],
};

const CONNECT: Record<Failure, string> = {
  malformed: "invalid_argument",
  disconnected: "canceled",
  deadline: "deadline_exceeded",
  unavailable: "unavailable",
  internal: "internal",
};

const GRPC: Record<Failure, string> = {
  malformed: "3",
  disconnected: "1",
  deadline: "4",
  unavailable: "14",
  internal: "13",
};

/**
 * The answer to `request` for `failure`. `message` (ASCII, no secrets)
 * goes in the protocol's message field; a plain HTTP answer has a body
 * only for a malformed header, so that a curl user sees why.
 */
export function failureResponse(
  failure: Failure,
  request: Request,
  message: string,
): Response {
  const contentType = request.headers.get("content-type") ?? "";
  if (contentType.startsWith("application/grpc")) {
    return new Response(null, {
      status: 200,
      headers: {
        "content-type": contentType,
        "grpc-status": GRPC[failure],
        "grpc-message": encodeURIComponent(message),
      },
    });
  }
  const [status, statusText] = HTTP[failure];
  const code = CONNECT[failure];
  if (contentType.startsWith("application/connect+")) {
    return new Response(endStream({ error: { code, message } }), {
      status: 200,
      headers: { "content-type": contentType },
    });
  }
  if (
    request.headers.has("connect-protocol-version") ||
    request.headers.has("connect-timeout-ms")
  ) {
    return new Response(JSON.stringify({ code, message }), {
      status,
      statusText,
      headers: { "content-type": "application/json" },
    });
  }
  return new Response(failure === "malformed" ? message : null, {
    status,
    statusText,
  });
}

/** A Connect end-stream message: flags 0b10, a 4-byte length, JSON. */
function endStream(json: unknown): Uint8Array<ArrayBuffer> {
  const body = new TextEncoder().encode(JSON.stringify(json));
  const frame = new Uint8Array(5 + body.length);
  frame[0] = 0b10;
  new DataView(frame.buffer).setUint32(1, body.length);
  frame.set(body, 5);
  return frame;
}
