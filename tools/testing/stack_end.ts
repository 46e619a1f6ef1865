// Copyright the corral authors. MIT license.
/**
 * Test helpers, not published: reaching the end of the stack at a chosen
 * distance, every distance in turn, and a bound on how long a sweep waits
 * after, for the rule 19 sweeps of `@corral/sync`, `@corral/stream` and
 * `@corral/taskgroup` (`hostile_test.ts` in each).
 *
 * ```ts
 * import { maxDepth, sweep } from "./stack_end.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(maxDepth() > 100);
 * // (Where the stack ends moves as V8 compiles `dive` again: a depth near
 * // `maxDepth()` may overflow or not, so only the sweep's total is sure.)
 * const reached: number[] = [];
 * const overflowed = sweep(100, (margin) => void reached.push(margin));
 * assert.equal(reached.length + overflowed, 100);
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { currentScope } from "@corral/scope";

/**
 * The deepest recursion of {@linkcode dive} that does not overflow, found
 * by bisection. Where the stack ends moves as V8 compiles `dive` again, so
 * a sweep measures it once per round.
 *
 * @returns The depth.
 */
export function maxDepth(): number {
  let low = 100, high = 1_000_000;
  while (low + 1 < high) {
    const middle = (low + high) >> 1;
    try {
      dive(middle, () => {});
      low = middle;
    } catch {
      high = middle;
    }
  }
  return low;
}

/**
 * Calls `fn` from `depth` frames down.
 *
 * @param depth How many frames.
 * @param fn What to call there.
 */
export function dive(depth: number, fn: () => void): void {
  if (depth === 0) return fn();
  dive(depth - 1, fn);
}

/**
 * Calls `at(margin)` from `margin` frames above the end of the stack, for
 * each `margin` below `margins`: the code `at` starts meets the end of the
 * stack at every point in turn. A call that overflows throws a
 * `RangeError` (either before `at` ran, which is the caller's own, or from
 * code that gives the overflow back synchronously); anything else fails.
 * After each call the current scope is what it was before.
 *
 * @param margins How many distances, from 0 frames on.
 * @param at What to call at each.
 * @returns How many calls threw a `RangeError`.
 */
export function sweep(margins: number, at: (margin: number) => void): number {
  const limit = maxDepth();
  const scope = currentScope();
  let overflowed = 0;
  for (let margin = 0; margin < margins; margin++) {
    try {
      dive(limit - margin, () => at(margin));
    } catch (error) {
      assert.ok(error instanceof RangeError, `unexpected ${error}`);
      overflowed++;
    }
    assert.equal(currentScope(), scope);
  }
  return overflowed;
}

/**
 * `promise`'s value, or an `AssertionError` saying `what` if it has not
 * settled within `ms`: a sweep that hangs fails, and says where.
 *
 * @typeParam T The value.
 * @param promise What the sweep waits for.
 * @param what What it is, for the error ("a group").
 * @param ms How long to wait. @default {10000}
 * @returns The value.
 */
export async function within<T>(
  promise: Promise<T>,
  what: string,
  ms = 10_000,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = Symbol("hung");
  const settled = await Promise.race([
    promise,
    new Promise<typeof hung>((resolve) =>
      timer = setTimeout(resolve, ms, hung)
    ),
  ]);
  clearTimeout(timer);
  assert.notEqual(settled, hung, `${what} never ended`);
  return settled as T;
}
