// Copyright the corral authors. MIT license.
import { currentEffectiveDeadline, now } from "@corral/scope";

/**
 * The header that carries a request's remaining time between services, in
 * whole milliseconds: `corral-timeout: 1500`. A relative duration, like
 * gRPC's `grpc-timeout` and Connect's `connect-timeout-ms`, so the two
 * machines' clocks never need to agree.
 *
 * @example Usage
 * ```ts
 * import { formatTimeout, parseTimeout, TIMEOUT_HEADER } from "@corral/interop";
 * import assert from "node:assert/strict";
 *
 * const headers = new Headers({ [TIMEOUT_HEADER]: formatTimeout(1500.4) });
 * assert.equal(parseTimeout(headers.get(TIMEOUT_HEADER)), 1500);
 * ```
 */
export const TIMEOUT_HEADER = "corral-timeout";

/** The most digits {@linkcode parseTimeout} accepts (Connect's limit: ~115 days). */
const MAX_DIGITS = 10;

/**
 * Reads a timeout header's value, trusting nothing: only 1 to 10 ASCII
 * digits (milliseconds) are accepted. A negative, fractional, signed,
 * spaced, empty or longer value, `NaN`, a unit suffix, or several values
 * joined by a comma (a header sent twice) give `undefined`: the request is
 * treated as carrying no deadline, never as carrying a wrong one. The
 * caller still caps the result with its own maximum (Envoy's
 * `grpc_timeout_header_max`).
 *
 * @param value The header's value, as `headers.get()` returns it.
 * @returns The timeout in milliseconds, or `undefined` when absent or
 * malformed.
 *
 * @example Usage
 * ```ts
 * import { parseTimeout } from "@corral/interop";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseTimeout("1500"), 1500);
 * for (const hostile of ["-5", "NaN", "1e9", "5s", "1, 2", "", "99999999999"]) {
 *   assert.equal(parseTimeout(hostile), undefined);
 * }
 * assert.equal(parseTimeout(null), undefined);
 * ```
 */
export function parseTimeout(
  value: string | null | undefined,
): number | undefined {
  if (typeof value !== "string") return undefined;
  const length = value.length;
  if (length === 0 || length > MAX_DIGITS) return undefined;
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code < 48 || code > 57) return undefined; // not 0-9
  }
  return Number(value);
}

/**
 * Writes a remaining time as a timeout header's value: whole milliseconds,
 * rounded down (the callee must give up no later than we do), never below 0
 * and never above what {@linkcode parseTimeout} accepts.
 *
 * @param ms The remaining time in milliseconds.
 * @returns The header value.
 * @throws {RangeError} If `ms` is NaN.
 *
 * @example Usage
 * ```ts
 * import { formatTimeout, parseTimeout } from "@corral/interop";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatTimeout(1499.9), "1499");
 * assert.equal(formatTimeout(-3), "0");
 * assert.equal(parseTimeout(formatTimeout(Infinity)), 9_999_999_999);
 * ```
 */
export function formatTimeout(ms: number): string {
  if (Number.isNaN(ms)) {
    throw new RangeError(
      "Cannot format timeout: 'ms' must not be NaN: current value is NaN",
    );
  }
  return String(Math.min(10 ** MAX_DIGITS - 1, Math.max(0, Math.floor(ms))));
}

/**
 * The time left before the earliest deadline that can cancel the current
 * code, in milliseconds: `currentEffectiveDeadline() - now()`, never below
 * 0; `Infinity` when no deadline applies, 0 once the scope is cancelled.
 * Like connect-es's `timeoutMs()` on a handler context: what to forward
 * to the next service, or to decide whether a slow path still fits.
 *
 * @returns The remaining time in milliseconds.
 *
 * @example Usage
 * ```ts
 * import { remainingTime } from "@corral/interop";
 * import { moveOnAfter, sleep } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * assert.equal(remainingTime(), Infinity);
 * const clock = new MockClock({ autojump: true });
 * await clock.run(() =>
 *   moveOnAfter(1_000, async () => {
 *     await sleep(300);
 *     assert.equal(remainingTime(), 700);
 *   })
 * );
 * ```
 */
export function remainingTime(): number {
  const deadline = currentEffectiveDeadline();
  if (deadline === Infinity) return Infinity;
  return Math.max(0, deadline - now());
}
