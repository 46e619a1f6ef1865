// Copyright the corral authors. MIT license.
/**
 * `@corral/stream` on every runtime: a producer runs in lock-step with its
 * loop, leaving the loop cancels it and waits for its cleanup, its error
 * reaches the loop once, the producer sees the context of the first
 * `next()`, `mapStream` keeps order and a limit, `merge` cancels the other
 * sources when one fails.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Variable } from "@corral/context";
import { Cancelled, shielded, sleep } from "@corral/scope";
import { MockClock } from "@corral/scope/testing";
import { mapStream, merge, produce, safeGenerator } from "@corral/stream";
import { test } from "./harness.ts";

function onClock<T>(fn: () => Promise<T>): Promise<T | undefined> {
  return new MockClock({ autojump: true }).run(fn);
}

test("stream: produce runs in lock-step; break cancels the producer and waits for its async cleanup", async () => {
  await onClock(async () => {
    const log: string[] = [];
    const stream = produce<number>(async (send) => {
      try {
        for (let i = 0;; i++) {
          log.push(`make ${i}`);
          await send(i);
        }
      } catch (error) {
        log.push(error instanceof Cancelled ? "cancelled" : "other");
        throw error;
      } finally {
        await shielded(() => sleep(10));
        log.push("cleaned");
      }
    });
    for await (const i of stream) {
      log.push(`got ${i}`);
      if (i === 1) break;
    }
    log.push("after");
    assert.deepEqual(log, [
      "make 0",
      "got 0",
      "make 1",
      "got 1",
      "cancelled",
      "cleaned",
      "after",
    ]);
  });
});

test("stream: a producer's error reaches the loop once, as itself", async () => {
  await onClock(async () => {
    const thrown = new RangeError("producer");
    const seen: number[] = [];
    const error = await (async () => {
      for await (
        const i of produce<number>(async (send) => {
          await send(1);
          throw thrown;
        })
      ) seen.push(i);
    })().then(() => undefined, (error) => error);
    assert.equal(error, thrown);
    assert.deepEqual(seen, [1]);
  });
});

test("stream: the producer sees the context of the first next()", async () => {
  const user = new Variable<string>({ name: "user" });
  await onClock(async () => {
    const stream = user.run(
      "creator",
      () =>
        produce<string | undefined>(async (send) => {
          await sleep(1);
          await send(user.get());
        }),
    );
    const seen: (string | undefined)[] = [];
    await user.run("consumer", async () => {
      for await (const value of stream) seen.push(value);
    });
    assert.deepEqual(seen, ["consumer"]);
  });
});

test("stream: safeGenerator runs the generator's finally when the loop breaks", async () => {
  await onClock(async () => {
    let closed = false;
    const numbers = safeGenerator(async function* () {
      try {
        for (let i = 0;; i++) yield i;
      } finally {
        closed = true;
      }
    });
    for await (const i of numbers()) if (i === 2) break;
    assert.ok(closed);
  });
});

test("stream: mapStream keeps input order, never exceeds its limit, and pulls lazily", async () => {
  await onClock(async () => {
    let running = 0, most = 0, pulled = 0;
    function* items() {
      for (let i = 0; i < 20; i++) {
        pulled++;
        yield i;
      }
    }
    const out: number[] = [];
    for await (
      const value of mapStream(items(), async (i) => {
        running++;
        most = Math.max(most, running);
        await sleep((i * 7) % 5);
        running--;
        return i * 2;
      }, { limit: 3 })
    ) {
      out.push(value);
      assert.ok(pulled <= out.length + 3 + 1);
    }
    assert.deepEqual(out, Array.from({ length: 20 }, (_, i) => i * 2));
    assert.equal(most, 3);
  });
});

test("stream: merge interleaves, and one failing source cancels the others", async () => {
  await onClock(async () => {
    let otherCancelled = false;
    const ticks = produce<string>(async (send) => {
      try {
        for (let i = 0;; i++) {
          await sleep(10);
          await send(`tick ${i}`);
        }
      } catch (error) {
        otherCancelled = error instanceof Cancelled;
        throw error;
      }
    });
    const failing = () =>
      produce<string>(async () => {
        await sleep(25);
        throw new TypeError("source failed");
      });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const item of merge(ticks, failing())) seen.push(item);
    })().then(() => undefined, (error) => error);
    assert.ok(error instanceof TypeError);
    assert.deepEqual(seen, ["tick 0", "tick 1"]);
    assert.ok(otherCancelled);
  });
});
