// Copyright the corral authors. MIT license.

/**
 * Whether the stack has room for a few dozen more frames of bookkeeping
 * (a thousand calls are probed, to spare). Code that has just caught a
 * synchronous throw from user code may stand at the very end of the stack,
 * where that throw was a stack overflow: before its own bookkeeping there,
 * it asks this and, on `false`, goes on after an `await`, on a fresh stack
 * (rule 19). Costs microseconds: ask it on a failure path, not on every
 * call. Never throws; a call that overflows on the way in throws its
 * `RangeError` to the caller, so call it in a `try`.
 *
 * @returns `true` when the stack has room.
 *
 * @example Usage
 * ```ts
 * import { hasHeadroom } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * assert.equal(hasHeadroom(), true);
 * let atTheEnd: boolean | undefined;
 * function dive(): void {
 *   try {
 *     dive();
 *   } catch {
 *     // The deepest frame that caught the overflow.
 *     atTheEnd ??= hasHeadroom();
 *   }
 * }
 * dive();
 * assert.equal(atTheEnd, false);
 * ```
 */
export function hasHeadroom(): boolean {
  try {
    return probe(HEADROOM) === HEADROOM;
  } catch {
    return false;
  }
}

const HEADROOM = 1_000;

function probe(depth: number): number {
  return depth === 0 ? 0 : probe(depth - 1) + 1;
}
