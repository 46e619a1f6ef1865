// Copyright the corral authors. MIT license.
/**
 * `retry`: attempts in scopes of their own, waits that are checkpoints, and
 * backoff that respects the deadline. After `@std/async` `retry` (defaults,
 * the jitter formula, the bad-input checks) and the AWS architecture blog's
 * "Exponential Backoff And Jitter" (full jitter by default), with the gRPC
 * retry design's rule that one deadline spans every attempt (A6).
 *
 * @module
 */
import { CancelScope } from "./cancel_scope.ts";
import { Cancelled, TimeoutError } from "./cancelled.ts";
import { currentEffectiveDeadline, now, sleep } from "./checkpoint.ts";
import { checkCallback, show } from "./_validate.ts";

/**
 * The delay before retry number `attempt` (1 for the wait after the first
 * failure), in milliseconds, before `maxDelay` and `jitter` apply. It also
 * sees the error, so it can follow a server's `Retry-After`.
 */
export type BackoffFunction = (attempt: number, error: unknown) => number;

/** Exponential backoff: `initial · factor^(attempt − 1)` milliseconds. */
export interface ExponentialBackoff {
  /** The delay after the first failure, in ms. @default {100} */
  initial?: number;
  /** What each further delay is multiplied by; at least 1. @default {2} */
  factor?: number;
}

/** Options for {@linkcode retry}. */
export interface RetryOptions {
  /**
   * How many attempts in all, the first included: a positive integer, or
   * `Infinity` to retry until the deadline or `retryIf` says stop.
   * @default {5}
   */
  attempts?: number;
  /**
   * The delay before each retry, before `maxDelay` and `jitter`: a number
   * (the first delay, doubled each time), {@linkcode ExponentialBackoff}, or
   * a {@linkcode BackoffFunction}. @default {{ initial: 100, factor: 2 }}
   */
  backoff?: number | ExponentialBackoff | BackoffFunction;
  /**
   * How much of each delay is random, from 0 to 1: the wait is
   * `delay · (1 − jitter · random())`. 1 is "full jitter" (a uniform wait
   * between 0 and the delay), 0.5 "equal jitter", 0 none. @default {1}
   */
  jitter?: number;
  /** No delay is longer than this, in ms (applied before jitter). @default {20_000} */
  maxDelay?: number;
  /**
   * Called with each failure and the number of the attempt that failed;
   * `false` stops and throws that error. Never called for a `Cancelled`.
   * @default {() => true}
   */
  retryIf?: (error: unknown, attempt: number) => boolean;
  /**
   * The random source for jitter, a number in [0, 1) per call; give a
   * seeded one in tests. @default {Math.random}
   */
  random?: () => number;
}

/**
 * Calls `fn` until it succeeds, waiting with exponential backoff between
 * attempts (like `@std/async` `retry`, but structured). Each attempt runs in
 * a `CancelScope` of its own, which `fn` receives: a failed attempt has
 * finished, `finally` blocks and all, before the wait for the next one
 * starts, and setting that scope's `deadline` times one attempt (it then
 * fails with a `TimeoutError` and may be retried).
 *
 * - The waits are `sleep`s, so checkpoints: cancelling the caller stops
 *   them at once, and a `MockClock` runs them in virtual time.
 * - A `Cancelled` is never retried: it propagates at once.
 * - It never starts an attempt that the current deadline
 *   (`currentEffectiveDeadline()`) leaves no time for: when the wait would
 *   reach the deadline, or the caller's scope is already cancelled, it
 *   gives up and throws the last error, rather than start an attempt
 *   certain to be cancelled (one deadline spans every attempt, as in gRPC).
 * - When attempts run out, or `retryIf` returns `false`, it throws the last
 *   error itself, not a wrapper.
 *
 * The wait before retry k is `min(maxDelay, backoff(k)) · (1 − jitter ·
 * random())`: with the defaults, a uniform wait between 0 and 100 ms, 200
 * ms, 400 ms, 800 ms ("full jitter", which the AWS article found does the
 * least work in total).
 *
 * @typeParam T The value of a successful attempt.
 * @param fn One attempt; receives the attempt's scope and its number (1 for
 * the first).
 * @param options Attempts, backoff, jitter, `maxDelay`, `retryIf`, `random`.
 * @returns The value of the first successful attempt.
 * @throws The last attempt's error when no further attempt will run.
 * @throws {Cancelled} If the caller's scope is cancelled during an attempt
 * or a wait.
 * @throws {TypeError} If `fn`, `retryIf` or `random` is not a function (a
 * promise given for `fn` is marked handled), `options` is not an object, or
 * an option is not a number.
 * @throws {RangeError} If `attempts` is not a positive integer or
 * `Infinity`, a delay, `factor` or `maxDelay` is out of range, or `jitter`
 * is outside [0, 1]; also later, if `backoff` or `random` returns a value
 * out of range.
 *
 * @example Retry HTTP 500s within a deadline
 * ```ts
 * import { moveOnAfter, now, retry } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * class HttpError extends Error {
 *   constructor(readonly status: number) {
 *     super(`HTTP ${status}`);
 *   }
 * }
 * let calls = 0;
 * async function fetchReport(): Promise<string> {
 *   if (++calls < 3) throw new HttpError(500);
 *   return "report";
 * }
 *
 * const clock = new MockClock({ autojump: true });
 * const report = await clock.run(() =>
 *   moveOnAfter(5_000, () =>
 *     retry(fetchReport, {
 *       attempts: 5,
 *       backoff: { initial: 100, factor: 2 },
 *       retryIf: (error) => error instanceof HttpError && error.status >= 500,
 *       random: () => 0.5, // a fixed source, for a predictable example
 *     })
 *   )
 * );
 * assert.equal(report, "report");
 * assert.equal(calls, 3);
 * assert.equal(clock.now(), 50 + 100); // half of 100 ms, then half of 200 ms
 * ```
 */
export function retry<T>(
  fn: (scope: CancelScope, attempt: number) => T | Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  checkCallback("retry", fn);
  const plan = checkRetryOptions(options);
  return retryValidated(fn, plan);
}

/** The options, checked, with their defaults. */
interface RetryPlan {
  attempts: number;
  delay: BackoffFunction;
  jitter: number;
  maxDelay: number;
  retryIf: (error: unknown, attempt: number) => boolean;
  random: () => number;
}

async function retryValidated<T>(
  fn: (scope: CancelScope, attempt: number) => T | Promise<T>,
  plan: RetryPlan,
): Promise<T> {
  for (let attempt = 1;; attempt++) {
    let error: unknown;
    const scope = new CancelScope({ name: `retry attempt ${attempt}` });
    try {
      const value = await scope.run((attemptScope) =>
        fn(attemptScope, attempt)
      );
      if (!scope.cancelCaught) return value as T;
      // The attempt's own scope absorbed its cancellation: its own deadline
      // (a per-attempt timeout) or its own cancel(). Not the caller's: that
      // one would have come out as a Cancelled.
      error = scope.reason?.source === "deadline"
        ? new TimeoutError(`Attempt ${attempt} of retry timed out`, {
          cause: scope.reason,
        })
        : new Error(`Attempt ${attempt} of retry cancelled its own scope`, {
          cause: scope.reason,
        });
    } catch (thrown) {
      // Never retry a cancellation: it belongs to an enclosing scope.
      if (thrown instanceof Cancelled) throw thrown;
      error = thrown;
    }
    if (attempt >= plan.attempts || !plan.retryIf(error, attempt)) throw error;
    const wait = waitBefore(plan, attempt, error);
    // Never schedule an attempt the deadline leaves no time for: an attempt
    // starting at the deadline is cancelled on entry (rule 6), so give up
    // now with the real error. A cancelled caller (-Infinity) gives up too.
    if (now() + wait >= currentEffectiveDeadline()) throw error;
    await sleep(wait);
  }
}

/** `min(maxDelay, backoff) · (1 − jitter · random())`, checked. */
function waitBefore(plan: RetryPlan, attempt: number, error: unknown): number {
  const delay = plan.delay(attempt, error);
  if (typeof delay !== "number" || Number.isNaN(delay) || delay < 0) {
    throw new RangeError(
      `Cannot retry: 'backoff' must return a non-negative number: current value is ${
        show(delay)
      }`,
    );
  }
  const capped = Math.min(plan.maxDelay, delay);
  if (plan.jitter === 0 || capped === 0) return capped;
  const random = plan.random();
  if (typeof random !== "number" || !(random >= 0 && random < 1)) {
    throw new RangeError(
      `Cannot retry: 'random' must return a number in [0, 1): current value is ${
        show(random)
      }`,
    );
  }
  return capped * (1 - plan.jitter * random);
}

// ---------------------------------------------------------------------------
// Bad input (docs/rules.md "Bad input"): all of it is checked
// here, before the first attempt.

function checkRetryOptions(options: unknown): RetryPlan {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot retry: 'options' must be an object: current value is ${
        show(options)
      }`,
    );
  }
  const {
    attempts = 5,
    backoff,
    jitter = 1,
    maxDelay = 20_000,
    retryIf,
    random,
  } = options as RetryOptions;
  checkNumber("attempts", attempts);
  if (
    !(Number.isInteger(attempts) && attempts >= 1) && attempts !== Infinity
  ) {
    throw new RangeError(
      `Cannot retry: 'attempts' must be a positive integer or Infinity: current value is ${attempts}`,
    );
  }
  checkNumber("jitter", jitter);
  if (!(jitter >= 0 && jitter <= 1)) {
    throw new RangeError(
      `Cannot retry: 'jitter' must be a number from 0 to 1: current value is ${jitter}`,
    );
  }
  checkDelay("maxDelay", maxDelay);
  checkOptionalFunction("retryIf", retryIf);
  checkOptionalFunction("random", random);
  return {
    attempts,
    delay: toBackoffFunction(backoff),
    jitter,
    maxDelay,
    retryIf: retryIf ?? (() => true),
    random: random ?? Math.random,
  };
}

function toBackoffFunction(backoff: unknown): BackoffFunction {
  if (typeof backoff === "function") {
    return backoff as BackoffFunction;
  }
  let initial: unknown = 100;
  let factor: unknown = 2;
  if (typeof backoff === "number") {
    initial = backoff;
  } else if (typeof backoff === "object" && backoff !== null) {
    ({ initial = 100, factor = 2 } = backoff as ExponentialBackoff);
  } else if (backoff !== undefined) {
    throw new TypeError(
      `Cannot retry: 'backoff' must be a number, an object or a function: current value is ${
        show(backoff)
      }`,
    );
  }
  checkDelay(
    typeof backoff === "number" ? "backoff" : "backoff.initial",
    initial,
  );
  checkNumber("backoff.factor", factor);
  if (!(factor >= 1) || factor === Infinity) {
    throw new RangeError(
      `Cannot retry: 'backoff.factor' must be a finite number of at least 1: current value is ${factor}`,
    );
  }
  const first = initial as number;
  const growth = factor as number;
  // `0 · Infinity` would be NaN once the powers overflow.
  return (attempt) => first === 0 ? 0 : first * growth ** (attempt - 1);
}

function checkNumber(
  argument: string,
  value: unknown,
): asserts value is number {
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot retry: '${argument}' must be a number: current value is ${
        show(value)
      }`,
    );
  }
}

function checkDelay(argument: string, value: unknown): void {
  checkNumber(argument, value);
  if (Number.isNaN(value) || value < 0) {
    throw new RangeError(
      `Cannot retry: '${argument}' must be a non-negative number: current value is ${value}`,
    );
  }
}

function checkOptionalFunction(argument: string, value: unknown): void {
  if (value !== undefined && typeof value !== "function") {
    throw new TypeError(
      `Cannot retry: '${argument}' must be a function: current value is ${
        show(value)
      }`,
    );
  }
}
