// Copyright the corral authors. MIT license.
/**
 * Test helper, not published: runs a context case from every starting state
 * that matters, as the TC39 polyfill's harness does
 * (`tc39/proposal-async-context` `tests/async-context.test.ts` runs each case
 * from the initial state, from an unfrozen and from a frozen mapping).
 *
 * @module
 */
import assert from "node:assert/strict";
import { Snapshot } from "./snapshot.ts";
import { Variable } from "./variable.ts";

const unrelated = new Variable<string>({ name: "unrelated" });
const unrelatedSnapshot = unrelated.run("captured", () => new Snapshot());

/** Enters a starting context and calls `fn` in it. */
export type Enter = <R>(fn: () => R) => R;

/** Each starting state: the empty context, an unrelated run, a snapshot. */
export const startStates: ReadonlyArray<readonly [string, Enter]> = [
  ["from the empty context", (fn) => fn()],
  ["inside a run of an unrelated variable", (fn) => unrelated.run("outer", fn)],
  ["inside a snapshot of an unrelated run", (fn) => unrelatedSnapshot.run(fn)],
];

/**
 * Registers one `Deno.test` with a step per starting state, each running
 * `fn` there and checking that the unrelated variable kept its value.
 */
export function testInEveryState(
  name: string,
  fn: () => void | Promise<void>,
): void {
  Deno.test(name, async (t) => {
    for (const [state, enter] of startStates) {
      await t.step(state, async () => {
        await enter(async () => {
          const expected = unrelated.get();
          await fn();
          assert.equal(unrelated.get(), expected);
        });
        assert.equal(unrelated.get(), undefined);
      });
    }
  });
}
