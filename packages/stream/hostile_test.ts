// Copyright the corral authors. MIT license.
// Rule 19 for streams: iteration begun at any distance from the end of the
// stack either starts or fails with the overflow; either way the stream
// ends, its producer's `finally` runs before the loop's exit, no item comes
// twice or out of order, and no scope is left in the tree.
import assert from "node:assert/strict";
import { roots } from "@corral/scope/plumbing";
import { TaskGroupError } from "@corral/taskgroup";
import { mapStream, merge, produce } from "./mod.ts";
import { sweep, within } from "../../tools/testing/stack_end.ts";

const ITEMS = [0, 1, 2];

/** Reads the rest of `iterator` after `first`, or breaks out at once. */
async function finish(
  iterator: AsyncIterator<number>,
  first: Promise<IteratorResult<number>>,
  breakOut: boolean,
): Promise<number[]> {
  const seen: number[] = [];
  let result = await first;
  if (breakOut) {
    await iterator.return?.();
    if (!result.done) seen.push(result.value);
    return seen;
  }
  while (!result.done) {
    seen.push(result.value);
    result = await iterator.next();
  }
  return seen;
}

Deno.test("rule 19: a stream whose iteration begins at any distance from the end of the stack starts or fails cleanly, and nothing outlives it", async () => {
  for (let round = 0, remeasured = 0; round < 3; round++) {
    let running = 0, started = 0;
    // Filled by assignment, which needs no stack: a `push` at the end of
    // the stack could overflow after the iteration began, and lose it.
    const iterators: AsyncIterator<number>[] = new Array(3 * 1_000);
    const firsts: Promise<IteratorResult<number>>[] = new Array(3 * 1_000);
    const producer = async (send: (item: number) => Promise<void>) => {
      running++;
      try {
        for (const item of ITEMS) await send(item);
      } finally {
        running--;
      }
    };
    // Three iterators per distance, made here so that only their first
    // next() stands at the end of the stack (it starts the producer there,
    // and then waits); kept alive, so that one whose first next() threw
    // does not have its producer ended by the garbage collector.
    const kept = Array.from({ length: 1_000 }, () =>
      [
        produce(producer),
        mapStream(ITEMS, async (x) => {
          await null;
          return x;
        }, { limit: 2 }),
        merge(produce(producer)),
      ].map((stream) => stream[Symbol.asyncIterator]()));
    const thrownSync = sweep(1_000, (margin) => {
      for (let k = 0; k < 3; k++) {
        const iterator = kept[margin]![k]!;
        // The index moves only once `next()` returned: `a[i++] = f()`
        // moves it first, and leaves a hole if `f` throws.
        const first = iterator.next();
        iterators[started] = iterator;
        firsts[started] = first;
        started++;
      }
    });
    // Watched at once: an iteration that overflowed has rejected already.
    const all = Promise.allSettled(
      firsts.slice(0, started).map((first, i) =>
        finish(iterators[i]!, first, i % 2 === 0)
      ),
    );
    if (thrownSync === 1_000 && remeasured++ < 3) {
      // No margin reached our code: measure again.
      await all;
      round--;
      continue;
    }
    const settled = await within(all, "a stream");
    let failed = 0;
    for (
      const [i, outcome] of settled
        .entries()
    ) {
      if (outcome.status === "rejected") {
        failed++;
        const error = outcome.reason;
        assert.ok(
          error instanceof RangeError || error instanceof TaskGroupError,
          `unexpected ${error}`,
        );
        continue;
      }
      // In order, none twice: every item, or after a break at most the
      // first. (A stream that failed part way is counted above.)
      const seen = outcome.value;
      assert.deepEqual(
        seen,
        i % 2 === 0 ? ITEMS.slice(0, seen.length) : ITEMS,
      );
      assert.ok(seen.length <= (i % 2 === 0 ? 1 : ITEMS.length));
    }
    assert.ok(thrownSync < 1_000);
    assert.ok(failed < started, "no stream ran");
    assert.equal(running, 0, "a producer outlived its loop");
    assert.deepEqual([...roots()].map(String), []);
  }
});
