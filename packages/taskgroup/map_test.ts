// Copyright the corral authors. MIT license.
// Tests of map(): input order kept, `limit` respected, a failure cancels
// the rest (docs/rules.md "The public API these rules speak of", rules 10 and 12).
import assert from "node:assert/strict";
import {
  type CancelScope,
  checkpoint,
  currentScope,
  moveOnAfter,
  now,
  sleep,
} from "@corral/scope";
import { map, taskGroup } from "./mod.ts";
import {
  assertCancelled,
  assertFails,
  groupError,
  onClock,
  rejection,
} from "./_test_helpers.ts";

Deno.test("map() keeps input order, whatever order the calls finish in", async () => {
  await onClock(async (clock) => {
    const result = await map([30, 10, 20], async (ms, index) => {
      await sleep(ms);
      return `${index}:${ms}`;
    });
    assert.deepEqual(result, ["0:30", "1:10", "2:20"]);
    assert.equal(clock.now(), 30);
  });
});

Deno.test("map() takes any iterable and passes item, index and the call's own scope", async () => {
  await onClock(async () => {
    const scopes: CancelScope[] = [];
    function* letters() {
      yield "a";
      yield "b";
    }
    const result = await map(letters(), (item, index, scope) => {
      assert.equal(currentScope(), scope);
      scopes.push(scope);
      return item.repeat(index + 1);
    });
    assert.deepEqual(result, ["a", "bb"]);
    assert.notEqual(scopes[0], scopes[1]);
    assert.deepEqual(await map(new Set([1, 2]), (n) => n * 2), [2, 4]);
    assert.deepEqual(await map([], () => 1), []);
  });
});

Deno.test("map() with limit runs at most limit calls at once, starting them in input order", async () => {
  await onClock(async (clock) => {
    let running = 0;
    let most = 0;
    const starts: [number, number][] = [];
    const result = await map([5, 1, 3, 2, 4], async (ms, index) => {
      starts.push([index, now()]);
      running++;
      most = Math.max(most, running);
      await sleep(ms * 10);
      running--;
      return ms;
    }, { limit: 2 });
    assert.deepEqual(result, [5, 1, 3, 2, 4]);
    assert.equal(most, 2);
    assert.deepEqual(starts, [[0, 0], [1, 0], [2, 10], [3, 40], [4, 50]]);
    assert.equal(clock.now(), 90);
  });
});

Deno.test("map(): a failure cancels the running calls, and no further item is pulled", async () => {
  // Rule 10 and rule 12.
  await onClock(async (clock) => {
    const boom = new Error("item 1 failed");
    const worked: number[] = [];
    const cancelled: number[] = [];
    const error = await groupError(map([0, 1, 2, 3, 4], async (item) => {
      try {
        if (item === 1) {
          await sleep(5);
          throw boom;
        }
        await sleep(100);
        worked.push(item);
      } catch (error) {
        if (error !== boom) {
          assertCancelled(error, "group");
          cancelled.push(item);
        }
        throw error;
      }
    }, { limit: 2 }));
    assert.deepEqual(error.errors, [boom]);
    assert.match(error.message, /^Task group "map" failed with 1 error/);
    assert.equal(worked.length, 0);
    assert.deepEqual(cancelled, [0]); // 2, 3 and 4 were never pulled
    assert.equal(clock.now(), 5);
  });
});

Deno.test("map() lets an enclosing cancellation propagate as Cancelled", async () => {
  await onClock(async () => {
    let thrown: unknown;
    const calls: number[] = [];
    const result = await moveOnAfter(15, async () => {
      thrown = await rejection(map([1, 2, 3], async (item) => {
        calls.push(item);
        await sleep(10);
        await checkpoint();
      }, { limit: 1 }));
      throw thrown;
    });
    assert.equal(result, undefined);
    assertCancelled(thrown, "deadline");
    assert.deepEqual(calls, [1, 2]); // 3 was never pulled
  });
});

Deno.test("map() rejects bad input before calling fn, disturbing nothing", async () => {
  await onClock(async () => {
    let calls = 0;
    const fn = () => {
      calls++;
    };
    const value = await taskGroup(async (group) => {
      const running = group.spawn(async () => {
        await sleep(10);
        return "undisturbed";
      });
      for (const bad of [undefined, 3, "fn", {}]) {
        await assertFails(
          () => map([1], bad as () => void),
          TypeError,
          /^Cannot map: 'fn' must be a function: current value is /,
        );
      }
      await assertFails(
        () => map([1], function* gen() {}),
        TypeError,
        /^Cannot map: 'fn' must not be a generator function: current value is gen$/,
      );
      for (const limit of [0, -1, 1.5, NaN, Infinity, "2"]) {
        await assertFails(
          () => map([1, 2], fn, { limit: limit as number }),
          RangeError,
          new RegExp(
            `^Cannot map: 'limit' must be a positive integer: current value is ${
              String(limit).replace(".", "\\.")
            }$`,
          ),
        );
      }
      for (const items of [undefined, null, 42, {}, { length: 1, 0: "a" }]) {
        await assertFails(
          () => map(items as never, fn),
          TypeError,
          /^Cannot map: 'items' must be an iterable or an async iterable: current value is /,
        );
      }
      await assertFails(
        () => map([1], fn, null as never),
        TypeError,
        /^Cannot map: 'options' must be an object: current value is null$/,
      );
      assert.equal(calls, 0);
      return await running.result;
    });
    assert.equal(value, "undisturbed");
  });
});

Deno.test("map() pulls lazily: with limit 2 an endless source is read two items ahead at most, and closed when map stops", async () => {
  await onClock(async () => {
    let pulled = 0, closed = false;
    function* endless() {
      try {
        for (let i = 0;; i++) {
          pulled++;
          yield i;
        }
      } finally {
        closed = true;
      }
    }
    const boom = new Error("stop at 5");
    const error = await groupError(map(endless(), async (item) => {
      await sleep(10);
      if (item === 5) throw boom;
      return item;
    }, { limit: 2 }));
    assert.deepEqual(error.errors, [boom]);
    assert.ok(pulled <= 7, `pulled ${pulled}`);
    assert.ok(closed, "the source was closed");
  });
});

Deno.test("map() takes an async iterable, keeps input order, and waiting for its next item is a checkpoint", async () => {
  await onClock(async () => {
    async function* slowSource() {
      for (const word of ["a", "bbb", "cc"]) {
        await sleep(5);
        yield word;
      }
    }
    assert.deepEqual(
      await map(slowSource(), async (word) => {
        await sleep(10 * (4 - word.length));
        return word.length;
      }),
      [1, 3, 2],
    );
    // A source that never answers does not hold map past a deadline.
    const never: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<number>>(() => {}),
      }),
    };
    assert.equal(await moveOnAfter(20, () => map(never, (x) => x)), undefined);
  });
});
