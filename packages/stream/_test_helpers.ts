// Copyright the corral authors. MIT license.
/**
 * Test helpers of `@corral/stream`, not published (see `deno.json`
 * `publish.exclude`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { Cancelled } from "@corral/scope";

export { onClock, rejection, settle } from "../../tools/testing/outcomes.ts";
export type { Settled } from "../../tools/testing/outcomes.ts";

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
