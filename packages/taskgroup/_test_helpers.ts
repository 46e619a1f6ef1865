// Copyright the corral authors. MIT license.
/**
 * Test helpers of `@corral/taskgroup`, not published (see `deno.json`
 * `publish.exclude`): outcomes of promises, checks of the errors the package
 * throws, and a mock clock per case.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Cancelled, type CancelSource } from "@corral/scope";
import { rejection } from "../../tools/testing/outcomes.ts";
import { TaskGroupError } from "./task_group_error.ts";

export { onClock, rejection, settle } from "../../tools/testing/outcomes.ts";
export type { Settled } from "../../tools/testing/outcomes.ts";

/**
 * Asserts that `promise` rejects with a `TaskGroupError` (an
 * `AggregateError`), and returns it.
 */
export async function groupError(
  promise: Promise<unknown>,
): Promise<TaskGroupError> {
  const error = await rejection(promise);
  assert.ok(
    error instanceof TaskGroupError,
    `expected TaskGroupError, got ${String(error)}`,
  );
  assert.ok(error instanceof AggregateError);
  assert.equal(error.name, "TaskGroupError");
  return error;
}

/** Asserts that `value` is a `Cancelled`, optionally of `source`. */
export function assertCancelled(
  value: unknown,
  source?: CancelSource,
): asserts value is Cancelled {
  assert.ok(value instanceof Cancelled, `expected Cancelled, got ${value}`);
  assert.equal(value.name, "Cancelled");
  if (source !== undefined) assert.equal(value.source, source);
}

/** Asserts that `promise` rejects with a `Cancelled`, and returns it. */
export async function cancellation(
  promise: Promise<unknown>,
  source?: CancelSource,
): Promise<Cancelled> {
  const error = await rejection(promise);
  assertCancelled(error, source);
  return error;
}

/**
 * Asserts that `call()` fails with `Class` and a message matching `message`,
 * whether it throws at once or returns a rejected promise (the contract
 * says which class, not whether bad input is reported synchronously).
 */
export async function assertFails(
  call: () => unknown,
  Class: new (...args: never[]) => Error,
  message: RegExp,
): Promise<void> {
  let error: unknown;
  try {
    await call();
  } catch (caught) {
    error = caught;
  }
  assert.ok(
    error instanceof Class,
    `expected ${Class.name}, got ${error === undefined ? "no error" : error}`,
  );
  assert.match((error as Error).message, message);
}

/** Waits `ms` of real time (tests keep this to a few milliseconds). */
export function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Records every `unhandledrejection` while `fn` runs, plus a few real
 * milliseconds after, so a rejection nobody handled has time to be reported.
 * The listener is removed at the end, whatever happens.
 */
export async function unhandledRejections(
  fn: () => Promise<void>,
): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (event: PromiseRejectionEvent) => {
    seen.push(event.reason);
    event.preventDefault();
  };
  globalThis.addEventListener("unhandledrejection", listener);
  try {
    await fn();
    await realDelay(2);
    await realDelay(2);
  } finally {
    globalThis.removeEventListener("unhandledrejection", listener);
  }
  return seen;
}
