// Copyright the corral authors. MIT license.
import { activity, queueMacrotask } from "./_clock.ts";
import { internals } from "./_internal.ts";
import { checkDeadline, checkDuration, isThenable, show } from "./_validate.ts";
import { CancelScope } from "./cancel_scope.ts";

const resolved: Promise<void> = Promise.resolve();

/**
 * How long (real milliseconds) checkpoints may keep answering from the
 * microtask queue before one of them yields a whole macrotask turn.
 */
const MACROTASK_INTERVAL_MS = 1;
let lastMacrotaskTurn = performance.now();

function nextMacrotask(resolve: () => void): void {
  // Counted when the turn is asked for, not when it runs: a mock clock's idle
  // check queued just before this turn runs before it (macrotasks are FIFO)
  // and must already see a busy program, or autojump would move time under a
  // task that is still looping (MockClock, docs/rules.md (MockClock, in "The public API these rules speak of")).
  activity.turns++;
  queueMacrotask(() => {
    lastMacrotaskTurn = performance.now();
    resolve();
  });
}

/**
 * A checkpoint: throws the scope's `Cancelled` if the current scope is
 * cancelled (even though nothing waits: rule 2), else yields to other tasks.
 * Like `await null`, except that it sees cancellation and that a loop of
 * checkpoints never starves timers and I/O.
 *
 * Rule 2 (yield often enough): a microtask yield (`await null`) is cheap but
 * lets a loop of checkpoints starve every timer, so the deadline that should
 * stop the loop would never fire; a macrotask yield every time (`setTimeout`,
 * `setImmediate`) is fair but costs microseconds. So a checkpoint yields a
 * microtask, unless a millisecond of real time has passed since a checkpoint
 * last yielded a macrotask turn: then it yields one. A checkpoint also looks
 * at the clock itself, so a deadline that has passed stops the loop even
 * before the clock's timer fires.
 *
 * Plain `await somePromise` is not a checkpoint: code waiting on foreign work
 * uses the scope's `signal` or `@corral/interop` (road not taken: patching
 * promises would cost every program, and could not see `await` anyway).
 *
 * @returns A promise that resolves after yielding, or rejects with
 * `Cancelled`.
 *
 * @example Usage
 * ```ts
 * import { CancelScope, checkpoint } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * const scope = new CancelScope();
 * let iterations = 0;
 * await scope.run(async () => {
 *   for (;;) {
 *     if (++iterations === 3) scope.cancel();
 *     await checkpoint();
 *   }
 * });
 * assert.equal(iterations, 3);
 * ```
 */
export function checkpoint(): Promise<void> {
  const scope = internals.current();
  if (scope !== undefined) {
    const cancelled = internals.pendingCancellation(scope);
    if (cancelled !== undefined) return Promise.reject(cancelled);
  }
  if (performance.now() - lastMacrotaskTurn < MACROTASK_INTERVAL_MS) {
    return resolved;
  }
  return new Promise(nextMacrotask);
}

/**
 * Waits until `promise` settles, as a checkpoint of the current scope: if
 * the scope is or becomes cancelled first, rejects with its `Cancelled` and
 * stops waiting (the promise itself runs on; hand foreign work the scope's
 * `signal` so it stops too). Registers one callback on the scope, never a
 * listener on an `AbortSignal`.
 *
 * @typeParam T The value of `promise`.
 * @param promise What to wait for; `undefined` waits until cancelled.
 * @returns The value of `promise`.
 *
 * @example Usage
 * ```ts
 * import { moveOnAfter, waitUnlessCancelled } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * const never = new Promise<string>(() => {});
 * const result = await clock.run(() =>
 *   moveOnAfter(50, () => waitUnlessCancelled(never))
 * );
 * assert.equal(result, undefined);
 * ```
 */
export function waitUnlessCancelled<T>(
  promise: PromiseLike<T> | undefined,
): Promise<T> {
  if (promise !== undefined && !isThenable(promise)) {
    throw new TypeError(
      `Cannot wait unless cancelled: 'promise' must be a promise or undefined: current value is ${
        show(promise)
      }`,
    );
  }
  const scope = internals.current();
  if (scope === undefined) {
    return promise === undefined
      ? new Promise<never>(() => {})
      : Promise.resolve(promise);
  }
  const cancelled = internals.pendingCancellation(scope);
  if (cancelled !== undefined) return Promise.reject(cancelled);
  // The promise's own `reject` is the scope's waiter: an idle task holds
  // the promise and its resolving functions and nothing else (a closure of
  // our own cost a tenth of an idle task's memory).
  if (promise === undefined) {
    return new Promise<T>((_, reject) => internals.addWaiter(scope, reject));
  }
  return new Promise<T>((resolve, reject) => {
    internals.addWaiter(scope, reject);
    promise.then(
      (value) => {
        internals.removeWaiter(scope, reject);
        resolve(value);
      },
      (error) => {
        internals.removeWaiter(scope, reject);
        reject(error);
      },
    );
  });
}

/**
 * Waits until the current scope is cancelled, then throws its `Cancelled`.
 * A checkpoint; costs no timer and no `AbortSignal` listener.
 *
 * @returns A promise that only ever rejects (with `Cancelled`).
 *
 * @example Usage
 * ```ts
 * import { moveOnAfter, sleepForever } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * await clock.run(() => moveOnAfter(60_000, sleepForever));
 * assert.equal(clock.now(), 60_000);
 * ```
 */
export function sleepForever(): Promise<never> {
  return waitUnlessCancelled<never>(undefined);
}

/**
 * Waits until the scope's clock reaches `time`, as a checkpoint. Like a
 * `setTimeout` promise, but cancellable by the enclosing scopes and measured
 * on their clock (a `MockClock` inside `MockClock.run`).
 *
 * @param time An absolute time on the clock (compare with `now()`); a time
 * already past only checkpoints.
 * @returns A promise that resolves at `time`, or rejects with `Cancelled`.
 * @throws {RangeError} If `time` is NaN.
 *
 * @example Usage
 * ```ts
 * import { now, sleepUntil } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * await clock.run(async () => {
 *   await sleepUntil(now() + 250);
 *   assert.equal(now(), 250);
 * });
 * ```
 */
export function sleepUntil(time: number): Promise<void> {
  checkDeadline("sleep", time, "time");
  return sleepInScope(time, "sleepUntil");
}

/** Trio's sleep: a scope with the deadline around `sleepForever()`. */
function sleepInScope(time: number, name: string): Promise<void> {
  if (time <= now()) return checkpoint();
  const scope = new CancelScope({ deadline: time, name });
  return scope.run(sleepForever) as Promise<undefined>;
}

/**
 * Waits `ms` milliseconds on the scope's clock, as a checkpoint:
 * `sleep(0)` inside a cancelled scope throws.
 *
 * @param ms How long; 0 only checkpoints.
 * @returns A promise that resolves after `ms`, or rejects with `Cancelled`.
 * @throws {RangeError} If `ms` is NaN or negative.
 *
 * @example Usage
 * ```ts
 * import { now, sleep } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * await clock.run(() => sleep(3_600_000)); // an hour, in milliseconds of real time
 * assert.equal(clock.now(), 3_600_000);
 * ```
 */
export function sleep(ms: number): Promise<void> {
  checkDuration("sleep", "ms", ms);
  if (ms === 0) return checkpoint();
  return sleepInScope(now() + ms, `sleep(${ms})`);
}

/**
 * The current time on the current scope's clock, in milliseconds: the mock
 * clock's time inside `MockClock.run`, else `performance.now()`.
 *
 * @returns The time deadlines are compared with.
 *
 * @example Usage
 * ```ts
 * import { now } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock();
 * clock.advance(42);
 * assert.equal(await clock.run(() => now()), 42);
 * ```
 */
export function now(): number {
  return internals.clockOf(internals.current()).now();
}

/**
 * The earliest deadline that can cancel the current code: the minimum of the
 * deadlines of the enclosing scopes, stopping at a shield; `-Infinity` once
 * the current scope is cancelled; `Infinity` when there is none (rule 9).
 * Send it to other services to propagate deadlines.
 *
 * @returns An absolute time on the scope's clock.
 *
 * @example Usage
 * ```ts
 * import { currentEffectiveDeadline, moveOnAt } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * await moveOnAt(1e12, () =>
 *   moveOnAt(2e12, () => assert.equal(currentEffectiveDeadline(), 1e12))
 * );
 * ```
 */
export function currentEffectiveDeadline(): number {
  const scope = internals.current();
  if (scope === undefined) return Infinity;
  if (internals.pendingCancellation(scope) !== undefined) return -Infinity;
  let deadline = Infinity;
  for (
    let enclosing: CancelScope | undefined = scope;
    enclosing !== undefined;
    enclosing = internals.parentOf(enclosing)
  ) {
    deadline = Math.min(deadline, enclosing.deadline);
    if (enclosing.shield) break;
  }
  return deadline;
}
