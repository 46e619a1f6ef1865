// Copyright the corral authors. MIT license.
import { currentEffectiveDeadline, now } from "@corral/scope";
import { show } from "./_validate.ts";

/**
 * The header that carries a request's remaining time between corral
 * services, in whole milliseconds: `corral-timeout: 1500`. A relative
 * duration, like gRPC's `grpc-timeout` and Connect's `connect-timeout-ms`,
 * so the two machines' clocks never need to agree.
 *
 * @example Usage
 * ```ts
 * import { formatTimeout, parseTimeout, TIMEOUT_HEADER } from "@corral/http";
 * import assert from "node:assert/strict";
 *
 * const headers = new Headers({ [TIMEOUT_HEADER]: formatTimeout(1500.4) });
 * assert.equal(parseTimeout(headers.get(TIMEOUT_HEADER)), 1500);
 * ```
 */
export const TIMEOUT_HEADER = "corral-timeout";

/**
 * The three deadline headers corral reads and writes:
 *
 * | header | format | from |
 * | --- | --- | --- |
 * | `corral-timeout` | 1 to 10 digits, milliseconds | corral |
 * | `grpc-timeout` | 1 to 8 digits and a unit `H M S m u n` | gRPC over HTTP/2, gRPC-Web (`PROTOCOL-HTTP2.md`) |
 * | `connect-timeout-ms` | 1 to 10 digits, milliseconds | Connect (`protocol.md`) |
 *
 * @example Usage
 * ```ts
 * import { formatTimeout, type TimeoutHeader } from "@corral/http";
 * import assert from "node:assert/strict";
 *
 * const header: TimeoutHeader = "grpc-timeout";
 * assert.equal(formatTimeout(1500, header), "1500000u");
 * ```
 */
export type TimeoutHeader =
  | "corral-timeout"
  | "grpc-timeout"
  | "connect-timeout-ms";

/**
 * Every {@linkcode TimeoutHeader}, in the order `handler()` reads them: its
 * default `timeoutHeaders`.
 *
 * @example Usage
 * ```ts
 * import { parseTimeout, TIMEOUT_HEADERS } from "@corral/http";
 * import assert from "node:assert/strict";
 *
 * const headers = new Headers({ "grpc-timeout": "250m" });
 * const budgets = TIMEOUT_HEADERS.map((name) => parseTimeout(headers.get(name), name));
 * assert.deepEqual(budgets, [undefined, 250, undefined]);
 * ```
 */
export const TIMEOUT_HEADERS: readonly TimeoutHeader[] = Object.freeze([
  "corral-timeout",
  "grpc-timeout",
  "connect-timeout-ms",
]);

/** The most digits of milliseconds (ours and Connect's: ~115 days). */
const MAX_MS_DIGITS = 10;
const MAX_MS = 10 ** MAX_MS_DIGITS - 1;
/** The most digits of a `grpc-timeout` value (`PROTOCOL-HTTP2.md`). */
const MAX_GRPC_DIGITS = 8;
const MAX_GRPC = 10 ** MAX_GRPC_DIGITS - 1;

/**
 * The `grpc-timeout` units, finest first (the order
 * {@linkcode formatTimeout} tries them in), with how many make a
 * millisecond (below 1 ms) or how many milliseconds make one (from 1 ms):
 * multiplying or dividing by a whole number keeps `20 ms` exactly
 * `20000000n`, where `20 / 1e-6` would not.
 */
const GRPC_UNITS: readonly (readonly [string, "per" | "of", number])[] = [
  ["n", "per", 1e6],
  ["u", "per", 1e3],
  ["m", "of", 1],
  ["S", "of", 1_000],
  ["M", "of", 60_000],
  ["H", "of", 3_600_000],
];

/** True if `value`'s first `end` characters are 1 to `max` ASCII digits. */
function isDigits(value: string, end: number, max: number): boolean {
  if (end === 0 || end > max) return false;
  for (let i = 0; i < end; i++) {
    const code = value.charCodeAt(i);
    if (code < 48 || code > 57) return false; // not 0-9
  }
  return true;
}

/**
 * Reads a deadline header's value, trusting nothing, as milliseconds:
 *
 * - `corral-timeout`, `connect-timeout-ms`: only 1 to 10 ASCII digits;
 * - `grpc-timeout`: only 1 to 8 ASCII digits and one unit of `H M S m u n`
 *   (`1500u` is 1.5 ms).
 *
 * A negative, fractional, signed, spaced, empty or longer value, `1e309`,
 * `NaN`, an unknown unit, or several values joined by a comma (a header
 * sent twice, as `headers.get()` joins it) give `undefined`: malformed,
 * never a wrong deadline. `0` is an expired deadline. The caller still caps
 * the result with its own maximum (Envoy's `grpc_timeout_header_max`).
 *
 * @param value The header's value, as `headers.get()` returns it.
 * @param header Which header it came from. @default {"corral-timeout"}
 * @returns The timeout in milliseconds, or `undefined` when absent or
 * malformed.
 * @throws {TypeError} If `header` is not one of the three headers.
 *
 * @example Usage
 * ```ts
 * import { parseTimeout } from "@corral/http";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseTimeout("1500"), 1500);
 * assert.equal(parseTimeout("2S", "grpc-timeout"), 2_000);
 * assert.equal(parseTimeout("250", "connect-timeout-ms"), 250);
 * for (const hostile of ["-5", "NaN", "1e309", "5s", "1, 2", "", "99999999999"]) {
 *   assert.equal(parseTimeout(hostile), undefined);
 *   assert.equal(parseTimeout(hostile, "grpc-timeout"), undefined);
 * }
 * assert.equal(parseTimeout(null), undefined);
 * ```
 */
export function parseTimeout(
  value: string | null | undefined,
  header: TimeoutHeader = TIMEOUT_HEADER,
): number | undefined {
  if (header === "grpc-timeout") {
    if (typeof value !== "string") return undefined;
    const digits = value.length - 1;
    if (!isDigits(value, digits, MAX_GRPC_DIGITS)) return undefined;
    return grpcToMs(Number(value.slice(0, digits)), value.charCodeAt(digits));
  }
  if (header !== TIMEOUT_HEADER && header !== "connect-timeout-ms") {
    throw badHeader("parse timeout", header);
  }
  if (typeof value !== "string") return undefined;
  if (!isDigits(value, value.length, MAX_MS_DIGITS)) return undefined;
  return Number(value);
}

/** `count` of the `grpc-timeout` unit with this character code, in ms. */
function grpcToMs(count: number, unit: number): number | undefined {
  switch (unit) {
    case 72: // H
      return count * 3_600_000;
    case 77: // M
      return count * 60_000;
    case 83: // S
      return count * 1_000;
    case 109: // m
      return count;
    case 117: // u
      return count / 1e3;
    case 110: // n
      return count / 1e6;
    default: // an unknown unit
      return undefined;
  }
}

function badHeader(action: string, header: unknown): TypeError {
  return new TypeError(
    `Cannot ${action}: 'header' must be "corral-timeout", "grpc-timeout" or "connect-timeout-ms": current value is ${
      show(header)
    }`,
  );
}

/**
 * Writes a remaining time as a deadline header's value, rounded down (the
 * callee must give up no later than we do), never below 0 and never above
 * what {@linkcode parseTimeout} accepts:
 *
 * - `corral-timeout`, `connect-timeout-ms`: whole milliseconds;
 * - `grpc-timeout`: the finest unit whose value fits 8 digits (grpc-go's
 *   choice), so `1500` ms is `1500000u`. grpc-go rounds up; we round down,
 *   so a chain of hops never grows a budget.
 *
 * `0` (or `0n`) is an expired deadline: a corral callee answers it at once.
 *
 * @param ms The remaining time in milliseconds.
 * @param header Which header the value is for. @default {"corral-timeout"}
 * @returns The header value.
 * @throws {TypeError} If `ms` is not a number, or `header` is not one of
 * the three headers.
 * @throws {RangeError} If `ms` is NaN.
 *
 * @example Usage
 * ```ts
 * import { formatTimeout, parseTimeout } from "@corral/http";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatTimeout(1499.9), "1499");
 * assert.equal(formatTimeout(-3), "0");
 * assert.equal(formatTimeout(20, "grpc-timeout"), "20000000n");
 * assert.equal(formatTimeout(30_000, "grpc-timeout"), "30000000u");
 * assert.equal(formatTimeout(Infinity, "grpc-timeout"), "99999999H");
 * assert.equal(parseTimeout(formatTimeout(Infinity)), 9_999_999_999);
 * ```
 */
export function formatTimeout(
  ms: number,
  header: TimeoutHeader = TIMEOUT_HEADER,
): string {
  if (typeof ms !== "number") {
    throw new TypeError(
      `Cannot format timeout: 'ms' must be a number: current value is ${
        show(ms)
      }`,
    );
  }
  if (Number.isNaN(ms)) {
    throw new RangeError(
      "Cannot format timeout: 'ms' must not be NaN: current value is NaN",
    );
  }
  if (header === "grpc-timeout") {
    if (ms <= 0) return "0n";
    for (const [unit, kind, size] of GRPC_UNITS) {
      const value = Math.floor(kind === "per" ? ms * size : ms / size);
      if (value <= MAX_GRPC) return `${value}${unit}`;
    }
    return `${MAX_GRPC}H`;
  }
  if (header !== TIMEOUT_HEADER && header !== "connect-timeout-ms") {
    throw badHeader("format timeout", header);
  }
  return String(Math.min(MAX_MS, Math.max(0, Math.floor(ms))));
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
 * import { remainingTime } from "@corral/http";
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
