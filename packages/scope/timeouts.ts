// Copyright the corral authors. MIT license.
// Thin wrappers over CancelScope (STYLE 11): each is a scope with one option.
// Each checks its own argument first, so a bad value is reported under the
// name the caller used (`ms`, `time`), not the scope option it becomes.
import { CancelScope } from "./cancel_scope.ts";
import { TimeoutError } from "./cancelled.ts";
import { internals } from "./_internal.ts";
import { checkDeadline, checkDuration } from "./_validate.ts";

/**
 * Runs `fn` in a scope that is cancelled `ms` milliseconds after it starts;
 * returns `fn`'s result, or `undefined` if the timeout cut it short (the
 * scope absorbs its own cancellation). Like `AbortSignal.timeout`, but
 * level-triggered and nested.
 *
 * @typeParam T The result of `fn`.
 * @param ms The timeout, counted from the call.
 * @param fn Called with the scope.
 * @returns `fn`'s result, or `undefined` on timeout.
 * @throws {RangeError} If `ms` is NaN or negative.
 *
 * @example Usage
 * ```ts
 * import { moveOnAfter, sleep } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * const result = await clock.run(() =>
 *   moveOnAfter(100, async () => {
 *     await sleep(1_000);
 *     return "done";
 *   })
 * );
 * assert.equal(result, undefined);
 * ```
 */
export function moveOnAfter<T>(
  ms: number,
  fn: (scope: CancelScope) => T | Promise<T>,
): Promise<T | undefined> {
  checkDuration("call moveOnAfter()", "ms", ms);
  return new CancelScope({ timeout: ms, name: `moveOnAfter(${ms})` }).run(fn);
}

/**
 * Like {@linkcode moveOnAfter}, with an absolute deadline on the scope's
 * clock (compare with `now()`).
 *
 * @typeParam T The result of `fn`.
 * @param time The deadline; a time already past cancels at once.
 * @param fn Called with the scope.
 * @returns `fn`'s result, or `undefined` on timeout.
 * @throws {RangeError} If `time` is NaN.
 *
 * @example Usage
 * ```ts
 * import { moveOnAt, now, sleepForever } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * await clock.run(() => moveOnAt(now() + 30, sleepForever));
 * assert.equal(clock.now(), 30);
 * ```
 */
export function moveOnAt<T>(
  time: number,
  fn: (scope: CancelScope) => T | Promise<T>,
): Promise<T | undefined> {
  checkDeadline("call moveOnAt()", time, "time");
  return new CancelScope({ deadline: time, name: "moveOnAt" }).run(fn);
}

/**
 * Runs `fn` in a scope that is cancelled `ms` milliseconds after it starts,
 * and throws {@linkcode TimeoutError} if that deadline cut it short.
 *
 * Rule 9 (AnyIO's rule, not Trio's #698): `TimeoutError` only when the
 * deadline caused the cancellation. An explicit `cancel()` of the scope `fn`
 * receives is absorbed and gives `undefined`; an enclosing scope's
 * cancellation passes through as itself.
 *
 * @typeParam T The result of `fn`.
 * @param ms The timeout, counted from the call.
 * @param fn Called with the scope.
 * @returns `fn`'s result.
 * @throws {TimeoutError} If the deadline passed first (`cause`: the `Cancelled`).
 * @throws {RangeError} If `ms` is NaN or negative.
 *
 * @example Usage
 * ```ts
 * import { failAfter, sleep, TimeoutError } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * await assert.rejects(
 *   clock.run(() => failAfter(100, () => sleep(1_000))),
 *   (error: Error) => error instanceof TimeoutError && error.name === "TimeoutError",
 * );
 * ```
 */
export function failAfter<T>(
  ms: number,
  fn: (scope: CancelScope) => T | Promise<T>,
): Promise<T | undefined> {
  checkDuration("call failAfter()", "ms", ms);
  const scope = new CancelScope({ timeout: ms, name: `failAfter(${ms})` });
  return failIfDeadline(scope, scope.run(fn), `Timed out after ${ms} ms`);
}

/**
 * Like {@linkcode failAfter}, with an absolute deadline.
 *
 * @typeParam T The result of `fn`.
 * @param time The deadline on the scope's clock.
 * @param fn Called with the scope.
 * @returns `fn`'s result.
 * @throws {TimeoutError} If the deadline passed first.
 * @throws {RangeError} If `time` is NaN.
 *
 * @example Usage
 * ```ts
 * import { failAt, now, sleepForever, TimeoutError } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * await assert.rejects(clock.run(() => failAt(now() + 5, sleepForever)), TimeoutError);
 * ```
 */
export function failAt<T>(
  time: number,
  fn: (scope: CancelScope) => T | Promise<T>,
): Promise<T | undefined> {
  checkDeadline("call failAt()", time, "time");
  const scope = new CancelScope({ deadline: time, name: "failAt" });
  return failIfDeadline(scope, scope.run(fn), `Deadline ${time} passed`);
}

async function failIfDeadline<T>(
  scope: CancelScope,
  result: Promise<T | undefined>,
  message: string,
): Promise<T | undefined> {
  const value = await result;
  // Rule 9: the deadline must be what cancelled this scope itself; its
  // `reason` may be an enclosing scope's that arrived first.
  if (
    scope.cancelCaught && internals.ownCancelSource(scope) === "deadline"
  ) {
    throw new TimeoutError(message, { cause: scope.reason });
  }
  return value;
}

/**
 * Runs `fn` in a shielded scope: the cancellation of enclosing scopes does
 * not reach inside (rule 7). For cleanup that must finish, such as closing a
 * connection politely; give it its own timeout so it cannot hang.
 *
 * @typeParam T The result of `fn`.
 * @param fn Called with the shielded scope.
 * @returns `fn`'s result.
 *
 * @example Usage
 * ```ts
 * import { CancelScope, checkpoint, shielded } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * const outer = new CancelScope();
 * let cleanedUp = false;
 * await outer.run(async () => {
 *   outer.cancel();
 *   await shielded(async () => {
 *     await checkpoint(); // does not throw: the shield holds
 *     cleanedUp = true;
 *   });
 *   await checkpoint(); // throws: back in the cancelled scope
 * });
 * assert.ok(cleanedUp && outer.cancelCaught);
 * ```
 */
export function shielded<T>(
  fn: (scope: CancelScope) => T | Promise<T>,
): Promise<T | undefined> {
  return new CancelScope({ shield: true, name: "shielded" }).run(fn);
}
