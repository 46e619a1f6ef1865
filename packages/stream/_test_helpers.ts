// Copyright the corral authors. MIT license.
/**
 * Test helpers of `@corral/stream`, not published (see `deno.json`
 * `publish.exclude`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { Cancelled } from "@corral/scope";
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
    assert.fail(`expected a rejection, got ${String(outcome.value)}`);
  }
  return outcome.error;
}

/** Asserts `error` is a `Cancelled`. */
export function assertCancelled(error: unknown): asserts error is Cancelled {
  assert.ok(error instanceof Cancelled, `expected Cancelled, got ${error}`);
}

/** Lets every ready microtask and a macrotask turn run. */
export function idle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Collects a stream's items. */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}
