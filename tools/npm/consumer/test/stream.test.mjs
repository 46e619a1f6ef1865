// Copyright the corral authors. MIT license.
// @corral/stream as installed from its npm tarball.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHook } from "node:async_hooks";
import { mapStream, produce } from "@corral/stream";
import { moveOnAfter, sleep } from "@corral/scope";

test("a producer runs in its own task and is cancelled when the loop breaks", async () => {
  let cleaned = false;
  const stream = produce(async (send) => {
    try {
      for (let i = 0;; i++) await send(i);
    } finally {
      cleaned = true;
    }
  });
  /** @type {number[]} */
  const seen = [];
  for await (const item of stream) {
    seen.push(item);
    if (item === 2) break;
  }
  assert.deepEqual(seen, [0, 1, 2]);
  assert.equal(cleaned, true); // before the loop's exit, not later
});

test("a per-read timeout in the producer, around the read alone", async () => {
  const stream = produce(async (send) => {
    for (const delay of [1, 1, 200]) {
      const value = await moveOnAfter(50, async () => {
        await sleep(delay);
        return delay;
      });
      if (value === undefined) return; // the slow read timed out
      await send(value);
    }
  });
  /** @type {number[]} */
  const seen = [];
  for await (const item of stream) seen.push(item);
  assert.deepEqual(seen, [1, 1]);
});

test("mapStream keeps input order and at most `limit` calls in flight", async () => {
  let running = 0, most = 0;
  /** @type {number[]} */
  const results = [];
  for await (
    const value of mapStream([5, 1, 3, 2], async (x) => {
      running++;
      most = Math.max(most, running);
      await sleep(x);
      running--;
      return x * 10;
    }, { limit: 2 })
  ) results.push(value);
  assert.deepEqual(results, [50, 10, 30, 20]);
  assert.equal(most, 2);
});

// Node's promise hooks call `before` once per promise reaction job: one
// microtask turn. Bun's `createHook` calls no promise hooks.
let turns = 0;
const hook = createHook({ before: () => void turns++ });

/**
 * Microtask turns per item of `run` over `items` items, counted by `hook`.
 *
 * @param {number} items
 * @param {() => Promise<unknown>} run
 */
async function turnsPerItem(items, run) {
  await run(); // warm: one-time work takes turns too
  hook.enable();
  turns = 0;
  try {
    await run();
  } finally {
    hook.disable();
  }
  return turns / items;
}

const counting = await turnsPerItem(1, async () => {
  await null;
}) > 0;

test(
  "mapStream takes one microtask turn per item more than a pool summing in place: the async iterator protocol's own, and no more",
  {
    skip: counting ? false : "this runtime's async_hooks run no promise hooks",
  },
  async () => {
    const items = Array.from({ length: 5_000 }, (_, i) => i);
    const double = async (/** @type {number} */ x) => {
      await null;
      return x * 2;
    };
    // What `mapStream` replaces for a caller who needs no stream: 16
    // workers summing in place.
    const pool = async () => {
      let next = 0, sum = 0;
      const worker = async () => {
        while (next < items.length) sum += await double(items[next++]);
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      return sum;
    };
    const streamed = (/** @type {boolean} */ ordered) => async () => {
      let sum = 0;
      for await (const x of mapStream(items, double, { limit: 16, ordered })) {
        sum += x;
      }
      return sum;
    };
    const inPool = await turnsPerItem(items.length, pool);
    // Two: the `await` inside `double`, the worker's (and a few per pool,
    // to start and to finish).
    assert.ok(inPool >= 2 && inPool < 2.05, `${inPool} turns per item`);
    for (const ordered of [true, false]) {
      const inStream = await turnsPerItem(items.length, streamed(ordered));
      // The consumer's `await` of `next()`: one turn. Besides, each stream
      // takes some 50 turns to start and finish, and one each time it lets
      // the event loop run (once a millisecond): 3.02–3.05 in all here,
      // where a second turn per item would make 4.
      assert.ok(
        inStream >= inPool + 1 && inStream < inPool + 1.2,
        `ordered: ${ordered}: ${inStream} turns per item`,
      );
    }
  },
);
