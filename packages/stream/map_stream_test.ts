// Copyright the corral authors. MIT license.
// Tests of mapStream() (std's pooledMap, made structured).
import assert from "node:assert/strict";
import {
  Cancelled,
  CancelScope,
  moveOnAfter,
  now,
  sleep,
  sleepForever,
} from "@corral/scope";
import { TaskGroupError } from "@corral/taskgroup";
import { Variable } from "jsr:@corral/context@0.1.0";
import { childrenOf } from "@corral/scope/plumbing";
import { mapStream, produce } from "./mod.ts";
import {
  assertCancelled,
  collect,
  onClock,
  rejection,
} from "./_test_helpers.ts";

Deno.test("mapStream: yields in input order by default", async () => {
  await onClock(async () => {
    const out = await collect(
      mapStream([30, 10, 20, 5], async (ms, index) => {
        await sleep(ms);
        return `${index}:${ms}`;
      }, { limit: 4 }),
    );
    assert.deepEqual(out, ["0:30", "1:10", "2:20", "3:5"]);
  });
});

Deno.test("mapStream: ordered: false yields as completed", async () => {
  await onClock(async () => {
    const out = await collect(
      mapStream([30, 10, 20, 5], async (ms) => (await sleep(ms), ms), {
        limit: 4,
        ordered: false,
      }),
    );
    assert.deepEqual(out, [5, 10, 20, 30]);
  });
});

Deno.test("mapStream: never more than `limit` calls at once, and the source is pulled lazily", async () => {
  for (const ordered of [true, false]) {
    await onClock(async () => {
      let running = 0, most = 0, pulled = 0, consumed = 0, ahead = 0;
      function* source() {
        for (let i = 0; i < 50; i++) {
          pulled++;
          ahead = Math.max(ahead, pulled - consumed);
          yield i;
        }
      }
      const out = mapStream(source(), async (i) => {
        running++;
        most = Math.max(most, running);
        await sleep(1 + (i * 7) % 5);
        running--;
        return i;
      }, { limit: 4, ordered });
      const got: number[] = [];
      for await (const i of out) {
        got.push(i);
        consumed++;
        await sleep(2);
      }
      assert.equal(most, 4);
      // Held: at most `limit` items, plus the one in the consumer's hands.
      assert.ok(ahead <= 4 + 1, `pulled ${ahead} ahead`);
      assert.deepEqual(got.sort((a, b) => a - b), [...Array(50).keys()]);
    });
  }
});

Deno.test("mapStream: memory is bounded by limit with an endless source", async () => {
  await onClock(async () => {
    let pulled = 0;
    async function* endless() {
      for (let i = 0;; i++) {
        pulled++;
        yield i;
      }
    }
    let consumed = 0;
    for await (
      const _ of mapStream(endless(), async (i) => {
        await sleep(i % 3);
        return new Uint8Array(1024); // what must not pile up
      }, { limit: 16, buffer: 4 })
    ) {
      consumed++;
      assert.ok(
        pulled - consumed <= 16 + 4 + 1,
        `${pulled} pulled, ${consumed} consumed`,
      );
      if (consumed === 2_000) break;
    }
    assert.ok(pulled <= 2_000 + 16 + 4 + 1);
  });
});

Deno.test("mapStream: the first failure stops pulling, cancels the calls in flight, then is thrown as itself", async () => {
  await onClock(async () => {
    let pulled = 0;
    const cancelled: number[] = [];
    let closed = false;
    function* source() {
      try {
        for (let i = 0; i < 100; i++) {
          pulled++;
          yield i;
        }
      } finally {
        closed = true;
      }
    }
    const thrown = new Error("item 5");
    const seen: number[] = [];
    const error = await rejection((async () => {
      for await (
        const i of mapStream(source(), async (i) => {
          try {
            if (i === 5) {
              await sleep(1);
              throw thrown;
            }
            await sleep(i < 5 ? 0 : 100);
            return i;
          } catch (error) {
            if (error instanceof Cancelled) cancelled.push(i);
            throw error;
          }
        }, { limit: 3 })
      ) seen.push(i);
    })());
    assert.equal(error, thrown);
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    assert.ok(cancelled.length > 0 && cancelled.every((i) => i > 5));
    assert.ok(pulled <= 5 + 3 + 1, `pulled ${pulled}`);
    assert.ok(closed, "the source was closed");
  });
});

Deno.test("mapStream: a failing source is thrown as itself", async () => {
  await onClock(async () => {
    async function* source() {
      yield 1;
      throw new EvalError("source");
    }
    const error = await rejection(
      collect(mapStream(source(), (x) => x, { limit: 2 })),
    );
    assert.ok(error instanceof EvalError);
  });
});

Deno.test("mapStream: a TaskGroupError thrown by fn arrives intact (Trio test_as_safe_channel_dont_unwrap_user_exceptiongroup)", async () => {
  await onClock(async () => {
    const own = new TaskGroupError([new Error("inner")], "mine");
    const error = await rejection(collect(mapStream([1], () => {
      throw own;
    }, { limit: 1 })));
    assert.equal(error, own);
  });
});

Deno.test("mapStream: breaking out cancels the calls in flight and closes the source, before the loop exits", async () => {
  await onClock(async () => {
    let inFlight = 0, closed = false;
    const cancelled: unknown[] = [];
    async function* source() {
      try {
        for (let i = 0;; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (
      const i of mapStream(source(), async (i) => {
        inFlight++;
        try {
          if (i > 0) await sleepForever();
          return i;
        } catch (error) {
          cancelled.push(error);
          throw error;
        } finally {
          inFlight--;
        }
      }, { limit: 8 })
    ) {
      assert.equal(i, 0);
      await sleep(1); // let the other calls start
      assert.equal(inFlight, 8);
      break;
    }
    assert.equal(inFlight, 0);
    assert.equal(cancelled.length, 8);
    cancelled.forEach(assertCancelled);
    assert.ok(closed);
  });
});

Deno.test("mapStream: maps a produce() stream, and an empty source", async () => {
  await onClock(async () => {
    const numbers = produce<number>(async (send) => {
      for (let i = 1; i <= 5; i++) await send(i);
    });
    assert.deepEqual(
      await collect(mapStream(numbers, (n) => n * 10, { limit: 2 })),
      [10, 20, 30, 40, 50],
    );
    assert.deepEqual(await collect(mapStream([], (n) => n, { limit: 2 })), []);
  });
});

Deno.test("mapStream: bad input throws before anything starts", () => {
  let pulled = false;
  const source = {
    *[Symbol.iterator]() {
      pulled = true;
      yield 1;
    },
  };
  const fn = (x: number) => x;
  for (const limit of [0, -1, 1.5, NaN, Infinity]) {
    assert.throws(() => mapStream(source, fn, { limit }), {
      name: "RangeError",
      message:
        `Cannot mapStream: 'limit' must be a positive integer: current value is ${limit}`,
    });
  }
  assert.throws(() => mapStream(source, fn, {} as never), RangeError);
  assert.throws(() => mapStream(source, fn, undefined as never), TypeError);
  assert.throws(
    () => mapStream(source, fn, { limit: 1, buffer: -1 }),
    RangeError,
  );
  assert.throws(
    () => mapStream(source, fn, { limit: 1, ordered: "no" as never }),
    TypeError,
  );
  assert.throws(() => mapStream(source, 1 as never, { limit: 1 }), TypeError);
  for (const bad of [42, null, undefined, {}, Object.create(null)]) {
    assert.throws(() => mapStream(bad as never, fn, { limit: 1 }), {
      name: "TypeError",
      message:
        /^Cannot mapStream: 'source' must be an iterable or an async iterable/,
    });
  }
  assert.ok(!pulled);
});

Deno.test("mapStream: fn runs in the producer's task and sees the context of the first next()", async () => {
  const user = new Variable<string>({ name: "user" });
  await onClock(async () => {
    const stream = user.run("creator", () =>
      mapStream([1, 2], async (n) => {
        await sleep(n);
        return `${user.get()} ${n}`;
      }, { limit: 2 }));
    const seen = await user.run("consumer", () => collect(stream));
    assert.deepEqual(seen, ["consumer 1", "consumer 2"]);
  });
});

Deno.test("mapStream: a consumer that was slow does not leave fewer than `limit` calls running once it catches up", async () => {
  for (const ordered of [true, false]) {
    await onClock(async () => {
      let running = 0, mostLate = 0;
      const source = Array.from({ length: 60 }, (_, i) => i);
      let consumed = 0;
      for await (
        const _ of mapStream(source, async (i) => {
          running++;
          if (i >= 30) mostLate = Math.max(mostLate, running);
          await sleep(10);
          running--;
          return i;
        }, { limit: 4, ordered })
      ) {
        // Slow at first (the ring fills up and the workers wait), then
        // faster than the calls: all four must run again.
        if (++consumed < 10) await sleep(50);
      }
      assert.equal(mostLate, 4, `ordered: ${ordered}`);
    });
  }
});

Deno.test("mapStream: next() calls made without waiting get one result each, in order", async () => {
  await onClock(async () => {
    const iterator = mapStream([30, 10, 20], async (ms) => {
      await sleep(ms);
      return ms;
    }, { limit: 3 })[Symbol.asyncIterator]();
    const results = await Promise.all([
      iterator.next(),
      iterator.next(),
      iterator.next(),
      iterator.next(),
    ]);
    assert.deepEqual(results, [
      { done: false, value: 30 },
      { done: false, value: 10 },
      { done: false, value: 20 },
      { done: true, value: undefined },
    ]);
  });
});

Deno.test("mapStream: a next() waiting in a scope of its own is a checkpoint of that scope; its cancel ends the map", async () => {
  await onClock(async () => {
    let running = 0, closed = false;
    function* source() {
      try {
        for (let i = 0;; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const iterator = mapStream(source(), async (i) => {
      running++;
      try {
        if (i > 0) await sleepForever();
        return i;
      } finally {
        running--;
      }
    }, { limit: 2 })[Symbol.asyncIterator]();
    assert.deepEqual(await iterator.next(), { done: false, value: 0 });
    // The wait for item 1 (forever) is cut at 10 ms by its own scope.
    const start = now();
    assert.equal(await moveOnAfter(10, () => iterator.next()), undefined);
    assert.equal(now() - start, 10);
    assert.equal(running, 0, "the calls in flight ended first");
    assert.ok(closed, "the source was closed");
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
  });
});

Deno.test("mapStream: cancelling the consumer's scope while it waits ends the loop once the calls have ended", async () => {
  for (const ordered of [true, false]) {
    await onClock(async () => {
      let running = 0;
      const cancelled: unknown[] = [];
      const scope = new CancelScope();
      setTimeout(() => scope.cancel("enough"), 5);
      const seen: number[] = [];
      await scope.run(async () => {
        for await (
          const i of mapStream([0, 1, 2, 3], async (i) => {
            running++;
            try {
              if (i > 0) await sleepForever();
              return i;
            } catch (error) {
              cancelled.push(error);
              throw error;
            } finally {
              running--;
            }
          }, { limit: 4, ordered })
        ) seen.push(i);
        assert.fail("the loop must not end normally");
      });
      assert.ok(scope.cancelCaught);
      assert.deepEqual(seen, [0]);
      assert.equal(running, 0);
      assert.equal(cancelled.length, 3);
      cancelled.forEach(assertCancelled);
    });
  }
});

Deno.test("mapStream: return() while a next() waits: that next() says done, the calls have ended", async () => {
  await onClock(async () => {
    let running = 0;
    const iterator = mapStream([1, 2], async (i) => {
      running++;
      try {
        await sleepForever();
        return i;
      } finally {
        running--;
      }
    }, { limit: 2 })[Symbol.asyncIterator]();
    const waiting = iterator.next();
    await sleep(1);
    assert.equal(running, 2);
    assert.deepEqual(await iterator.return(), {
      done: true,
      value: undefined,
    });
    assert.equal(running, 0);
    assert.deepEqual(await waiting, { done: true, value: undefined });
  });
});

Deno.test("mapStream: many next() calls made at once keep their order, across the periodic checkpoints", async () => {
  for (const ordered of [true, false]) {
    await onClock(async () => {
      const items = Array.from({ length: 200 }, (_, i) => i);
      const iterator = mapStream(items, (i) => i, { limit: 8, ordered })
        [Symbol.asyncIterator]();
      const results = await Promise.all(items.map(() => iterator.next()));
      const values = results.map((result) => result.value);
      if (ordered) assert.deepEqual(values, items);
      else assert.deepEqual([...values].sort((a, b) => a - b), items);
      assert.deepEqual(await iterator.next(), { done: true, value: undefined });
    });
  }
});

Deno.test("mapStream: an array is read as its iterator reads it (items pushed while mapping count; its own iterator is used)", async () => {
  await onClock(async () => {
    const growing = [0, 1];
    const seen = await collect(mapStream(growing, (i) => {
      if (i < 4) growing.push(i + 2);
      return i;
    }, { limit: 1 }));
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5]);

    const custom = [1, 2, 3];
    Object.defineProperty(custom, Symbol.iterator, {
      value: function* () {
        yield 10;
      },
    });
    assert.deepEqual(
      await collect(mapStream(custom, (n) => n, { limit: 2 })),
      [10],
    );
  });
});

Deno.test("mapStream: a loop over an endless source with a synchronous fn still lets timers run (rule 2)", async () => {
  let fired = false;
  const timer = setTimeout(() => fired = true, 1);
  function* endless() {
    for (let i = 0;; i++) yield i;
  }
  let count = 0;
  for await (const _ of mapStream(endless(), (i) => i, { limit: 4 })) {
    // Bounded, so that a loop that starves the timer fails, not hangs.
    if (fired || ++count === 1_000_000) break;
  }
  clearTimeout(timer);
  assert.ok(fired, `the timer did not run in ${count} items`);
});

Deno.test("mapStream: a consumer whose items turn slow still lets timers run within a bounded number of items (rule 2)", async () => {
  // next() reads the clock every 8 to 128 calls, fewer apart as the
  // consumer slows down: from a cold start and after a fast phase (which
  // spaced the reads out), a timer due now runs within a bounded number of
  // slow items.
  const busy = (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end) { /* the consumer's own work */ }
  };
  for (const fast of [0, 5_000]) {
    let fired = false, slow = 0, count = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const endless = function* () {
      for (let i = 0;; i++) yield i;
    };
    for await (const _ of mapStream(endless(), (i) => i, { limit: 4 })) {
      if (++count <= fast) continue;
      timer ??= setTimeout(() => fired = true, 0);
      // Bounded, so that a loop that starves the timer fails, not hangs.
      if (fired || ++slow === 1_000) break;
      busy(0.2);
    }
    clearTimeout(timer);
    assert.ok(fired, `the timer did not run in ${slow} slow items`);
    const bound = fast === 0 ? 40 : 160;
    assert.ok(
      slow <= bound,
      `the timer ran after ${slow} slow items (after ${fast} fast ones), more than ${bound}`,
    );
  }
});

Deno.test("mapStream: each iteration maps afresh; return() before the first next() starts nothing", async () => {
  await onClock(async () => {
    let calls = 0;
    const stream = mapStream([1, 2, 3], (n) => (calls++, n * 2), { limit: 2 });
    assert.deepEqual(await collect(stream), [2, 4, 6]);
    assert.deepEqual(await collect(stream), [2, 4, 6]);
    assert.equal(calls, 6);
    const iterator = stream[Symbol.asyncIterator]();
    assert.deepEqual(await iterator.return(), { done: true, value: undefined });
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
    assert.equal(calls, 6);
  });
});

Deno.test("mapStream: no task or scope per item: under the loop live only the map's scope, its group's and one per worker", async () => {
  for (const ordered of [true, false]) {
    const home = new CancelScope();
    const seen = new Set<CancelScope>();
    const walk = (scope: CancelScope) => {
      for (const child of childrenOf(scope)) {
        seen.add(child);
        walk(child);
      }
    };
    let count = 0;
    await home.run(async () => {
      const items = Array.from({ length: 1_000 }, (_, i) => i);
      for await (
        const _ of mapStream(items, async (i) => {
          await null;
          walk(home);
          return i;
        }, { limit: 8, ordered })
      ) {
        walk(home);
        count++;
      }
    });
    assert.equal(count, 1_000);
    // The walk sees them (the map's, its group's, eight workers'), and
    // nothing more: a task or scope per item would show here.
    assert.equal(seen.size, 2 + 8, `${seen.size} scopes seen`);
  }
});
