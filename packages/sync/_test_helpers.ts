// Copyright the corral authors. MIT license.
/**
 * Test helpers of `@corral/sync`, not published (see `deno.json`
 * `publish.exclude`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { Cancelled, sleep } from "@corral/scope";
import { MockClock } from "@corral/scope/testing";

/** Runs `fn` on a fresh mock clock with autojump; returns its value. */
export async function onClock<T>(
  fn: (clock: MockClock) => T | Promise<T>,
): Promise<T> {
  const clock = new MockClock({ autojump: true });
  return (await clock.run(() => fn(clock))) as T;
}

/**
 * Trio's `wait_all_tasks_blocked()`: on an autojump clock, a sleep returns
 * only once every other task is blocked (the clock jumps when the program
 * is idle).
 */
export function allBlocked(): Promise<void> {
  return sleep(1);
}

/** How a promise settled. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Waits for `promise` and says how it settled, never rejecting. */
export function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Asserts that `promise` rejects, and returns what it rejected with. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  const outcome = await settle(promise);
  if (outcome.ok) {
    assert.fail(`expected a rejection, got ${String(outcome.value)}`);
  }
  return outcome.error;
}

/** Asserts that `promise` rejects with a `Cancelled`. */
export async function assertCancelled(
  promise: Promise<unknown>,
): Promise<void> {
  const error = await rejection(promise);
  assert.ok(error instanceof Cancelled, `expected Cancelled, got ${error}`);
}

/** Whether `promise` settled by now (after a few microtask turns). */
export async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  for (let i = 0; i < 5; i++) await null;
  return settled;
}

/**
 * Blocks the thread until `ms` of real time have passed: a deadline then
 * has passed while its timer cannot have run (the state AnyIO #728 is
 * about). A few milliseconds at most.
 */
export function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}
