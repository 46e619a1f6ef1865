// Copyright the corral authors. MIT license.
/**
 * Test helpers of `@corral/sync`, not published (see `deno.json`
 * `publish.exclude`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { Cancelled, sleep } from "@corral/scope";
import { rejection } from "../../tools/testing/outcomes.ts";

export { onClock, rejection, settle } from "../../tools/testing/outcomes.ts";
export type { Settled } from "../../tools/testing/outcomes.ts";

/**
 * Trio's `wait_all_tasks_blocked()`: on an autojump clock, a sleep returns
 * only once every other task is blocked (the clock jumps when the program
 * is idle).
 */
export function allBlocked(): Promise<void> {
  return sleep(1);
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
