// Copyright the corral authors. MIT license.
// Tests of merge().
import assert from "node:assert/strict";
import { Cancelled, sleep, sleepForever } from "@corral/scope";
import { merge, produce } from "./mod.ts";
import { collect, onClock, rejection } from "./_test_helpers.ts";

const ticker = (name: string, every: number, count: number, log?: string[]) =>
  produce<string>(async (send) => {
    try {
      for (let i = 1; i <= count; i++) {
        await sleep(every);
        await send(`${name}${i}`);
      }
    } catch (error) {
      log?.push(`${name} ${(error as Error).name}`);
      throw error;
    } finally {
      log?.push(`${name} ended`);
    }
  });

Deno.test("merge: interleaves items as they arrive, ends when every source ended", async () => {
  await onClock(async () => {
    assert.deepEqual(
      await collect(
        merge<string | number>(ticker("a", 10, 3), ticker("b", 25, 2), [1, 2]),
      ),
      [1, 2, "a1", "a2", "b1", "a3", "b2"],
    );
  });
});

Deno.test("merge: one failing source cancels the others, which end before the error is thrown", async () => {
  await onClock(async () => {
    const log: string[] = [];
    async function* failing(): AsyncGenerator<string> {
      await sleep(15);
      if (seen.length >= 0) throw new RangeError("source b");
      yield "never";
    }
    const seen: string[] = [];
    const error = await rejection((async () => {
      for await (const x of merge(ticker("a", 10, 100, log), failing())) {
        seen.push(x as string);
      }
    })());
    assert.ok(error instanceof RangeError);
    assert.deepEqual(seen, ["a1"]);
    assert.deepEqual(log, ["a Cancelled", "a ended"]);
  });
});

Deno.test("merge: breaking cancels every source and waits for them", async () => {
  await onClock(async () => {
    const log: string[] = [];
    let silentClosed = false;
    async function* silent() {
      try {
        await sleepForever();
        yield "never";
      } catch (error) {
        assert.ok(error instanceof Cancelled);
        throw error;
      } finally {
        silentClosed = true;
      }
    }
    const silentStream = silent();
    for await (
      const x of merge<string>(
        ticker("a", 10, 100, log),
        ticker("b", 7, 100, log),
        silentStream,
      )
    ) {
      if (x === "a2") break;
    }
    assert.deepEqual(log.sort(), [
      "a Cancelled",
      "a ended",
      "b Cancelled",
      "b ended",
    ]);
    // An async generator cannot be interrupted while it awaits: its
    // return() runs once its pending next() settles. Its own sleep is a
    // checkpoint of the merge's task, so it was cancelled and ended.
    assert.ok(silentClosed);
  });
});

Deno.test("merge: no sources is an empty stream; bad input throws at once", async () => {
  assert.deepEqual(await collect(merge()), []);
  assert.throws(() => merge([1], 2 as never), {
    name: "TypeError",
    message:
      "Cannot merge: 'sources[1]' must be an iterable or an async iterable: current value is 2",
  });
});

Deno.test("merge: each source waits for the consumer, so none runs more than one item ahead", async () => {
  await onClock(async () => {
    const made = [0, 0];
    const source = (index: number) =>
      produce<number>(async (send) => {
        for (let i = 0; i < 10; i++) {
          made[index]!++;
          await send(i);
        }
      });
    let consumed = 0;
    for await (const _ of merge(source(0), source(1))) {
      consumed++;
      // Each source holds at most the item it is sending.
      assert.ok(
        made[0]! + made[1]! <= consumed + 2,
        `${made} made, ${consumed} consumed`,
      );
      await sleep(5);
    }
    assert.equal(consumed, 20);
  });
});
