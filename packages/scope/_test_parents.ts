// Copyright the corral authors. MIT license.
/**
 * Test helpers, not published. {@linkcode testUnderEachParent} runs a scope
 * case under every parent that matters (STYLE "For corral" 12): at the root
 * of a mock clock, inside a plain scope, and inside a shield whose enclosing
 * scope is cancelled. The shield must hide that cancellation completely
 * (rule 7), so a case has to pass unchanged under all three.
 *
 * @module
 */
import assert from "node:assert/strict";
import { CancelScope } from "./cancel_scope.ts";
import { Cancelled } from "./cancelled.ts";
import { MockClock } from "./mock_clock.ts";

/** Runs `fn` on `clock` below some parent; resolves when it finished. */
type Under = (clock: MockClock, fn: () => Promise<void>) => Promise<unknown>;

/** Each parent a case runs under, by name. */
export const parents: ReadonlyArray<readonly [string, Under]> = [
  ["at the root", (clock, fn) => clock.run(fn)],
  [
    "inside a scope",
    (clock, fn) => clock.run(() => new CancelScope({ name: "parent" }).run(fn)),
  ],
  [
    "inside a shield in a cancelled scope",
    (clock, fn) =>
      clock.run(() => {
        const cancelled = new CancelScope({ name: "cancelled-parent" });
        return cancelled.run(() => {
          cancelled.cancel("the parent was cancelled");
          return new CancelScope({ shield: true, name: "shield" }).run(fn);
        });
      }),
  ],
];

/** Options for {@linkcode testUnderEachParent}. */
export interface TestUnderEachParentOptions {
  /** Give the mock clock autojump. @default {false} */
  autojump?: boolean;
}

/**
 * Registers one `Deno.test` with a step per parent. Each step gets a fresh
 * `MockClock` and fails if `fn` did not run to its end (a parent's
 * cancellation leaking through would cut it short).
 */
export function testUnderEachParent(
  name: string,
  fn: (clock: MockClock) => Promise<void>,
  options: TestUnderEachParentOptions = {},
): void {
  Deno.test(name, async (t) => {
    for (const [where, under] of parents) {
      await t.step(where, async () => {
        const clock = new MockClock({ autojump: options.autojump ?? false });
        let finished = false;
        await under(clock, async () => {
          await fn(clock);
          finished = true;
        });
        assert.ok(finished, "the case was cut short by its parent");
      });
    }
  });
}

/**
 * Asserts that `promise` rejects with a `Cancelled` and returns it, so the
 * caller can check its `reason` and `source`.
 */
export async function assertCancelled(
  promise: Promise<unknown>,
): Promise<Cancelled> {
  try {
    await promise;
  } catch (error) {
    assert.ok(
      error instanceof Cancelled,
      `expected Cancelled, got ${String(error)}`,
    );
    return error;
  }
  assert.fail("expected Cancelled, but the promise resolved");
}

/** Waits `ms` of real time on a plain timer (tests keep this to a few ms). */
export function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Blocks the thread for `ms` of real time, so no timer can fire meanwhile. */
export function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

/**
 * Counts the `setTimeout` timers armed while `fn` runs (the clocks call the
 * global `setTimeout` when they arm, so replacing it sees every timer).
 * `live()` is how many are armed and neither fired nor cleared.
 */
export async function withTimerCount<T>(
  fn: (timers: { live(): number; armed(): number }) => Promise<T>,
): Promise<T> {
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const live = new Set<unknown>();
  let armed = 0;
  globalThis.setTimeout = ((
    callback: (...args: unknown[]) => void,
    ms?: number,
    ...args: unknown[]
  ) => {
    const id = realSetTimeout(() => {
      live.delete(id);
      callback(...args);
    }, ms);
    live.add(id);
    armed++;
    return id;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((id?: number) => {
    live.delete(id);
    realClearTimeout(id);
  }) as typeof clearTimeout;
  try {
    return await fn({ live: () => live.size, armed: () => armed });
  } finally {
    globalThis.setTimeout = realSetTimeout;
    globalThis.clearTimeout = realClearTimeout;
  }
}
