// Copyright the corral authors. MIT license.
/**
 * Test helpers, not published: how a promise settled, its rejection, and a
 * mock clock per case, shared by the tests of `@corral/stream`,
 * `@corral/sync` and `@corral/taskgroup`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { MockClock } from "@corral/scope/testing";

/** How a promise settled. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Waits for `promise` and says how it settled, never rejecting. */
export function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Runs `fn` on a fresh mock clock with autojump; returns its value. */
export async function onClock<T>(
  fn: (clock: MockClock) => T | Promise<T>,
): Promise<T> {
  const clock = new MockClock({ autojump: true });
  return (await clock.run(() => fn(clock))) as T;
}

/** Asserts that `promise` rejects, and returns what it rejected with. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  const outcome = await settle(promise);
  if (outcome.ok) {
    assert.fail(
      `expected a rejection, but the promise resolved with ${
        String(outcome.value)
      }`,
    );
  }
  return outcome.error;
}
