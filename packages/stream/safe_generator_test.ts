// Copyright the corral authors. MIT license.
// Tests of safeGenerator() (Trio's @as_safe_channel, test_channel.py).
import assert from "node:assert/strict";
import { CancelScope, moveOnAfter, sleep, sleepForever } from "@corral/scope";
import { taskGroup } from "@corral/taskgroup";
import { safeGenerator } from "./mod.ts";
import {
  assertCancelled,
  collect,
  onClock,
  rejection,
} from "./_test_helpers.ts";

Deno.test("safeGenerator: Trio test_as_safe_channel_exhaust, with arguments", async () => {
  const upTo = safeGenerator(async function* (n: number) {
    for (let i = 0; i < n; i++) yield i;
  });
  assert.deepEqual(await onClock(() => collect(upTo(3))), [0, 1, 2]);
});

Deno.test("safeGenerator: Trio test_as_safe_channel_genexit_finally: break runs the generator's finally, and waits for it", async () => {
  await onClock(async (clock) => {
    const events: string[] = [];
    const numbers = safeGenerator(async function* () {
      try {
        for (let i = 0;; i++) yield i;
      } finally {
        events.push("finally");
        await new CancelScope({ shield: true }).run(() => sleep(20));
        events.push("cleaned");
      }
    });
    for await (const i of numbers()) if (i === 2) break;
    events.push("after");
    assert.deepEqual(events, ["finally", "cleaned", "after"]);
    assert.equal(clock.now(), 20);
  });
});

Deno.test("safeGenerator: Trio test_as_safe_channel_no_race: the generator's error reaches the loop once", async () => {
  await onClock(async () => {
    const seen: number[] = [];
    const failing = safeGenerator(async function* () {
      yield 1;
      throw new RangeError("oae");
    });
    const error = await rejection((async () => {
      for await (const x of failing()) seen.push(x);
    })());
    assert.ok(error instanceof RangeError);
    assert.deepEqual(seen, [1]);
  });
});

Deno.test("safeGenerator: Trio test_as_safe_channel_buffer_size_too_small: the generator is resumed only on demand", async () => {
  await onClock(async () => {
    const gen = safeGenerator(async function* () {
      yield 1;
      assert.fail("not asked for another value");
    });
    await moveOnAfter(5, async () => {
      for await (const _ of gen()) await sleepForever();
    });
  });
});

Deno.test("safeGenerator: the generator's waits are checkpoints of the producer's task: the consumer's scope cancels them", async () => {
  await onClock(async () => {
    let seen: unknown;
    const slow = safeGenerator(async function* () {
      try {
        await sleepForever();
        yield 1;
      } catch (error) {
        seen = error;
        throw error;
      }
    });
    assert.equal(
      await moveOnAfter(10, async () => {
        for await (const _ of slow()) assert.fail("no item");
        return "not reached";
      }),
      undefined,
    );
    assertCancelled(seen);
  });
});

Deno.test("safeGenerator: a generator may run a task group around each yield (the PEP 789 case)", async () => {
  await onClock(async () => {
    const pairs = safeGenerator(async function* () {
      for (let i = 0; i < 3; i++) {
        const both = await taskGroup(async (group) => {
          const a = group.spawn(async () => (await sleep(10), i));
          const b = group.spawn(async () => (await sleep(5), -i));
          return [await a.result, await b.result];
        });
        yield both!;
      }
    });
    assert.deepEqual(await collect(pairs()), [[0, -0], [1, -1], [2, -2]]);
  });
});

Deno.test("safeGenerator: sync generator functions work too; each call is a fresh run", async () => {
  const letters = safeGenerator(function* () {
    yield "a";
    yield "b";
  });
  const stream = letters();
  assert.deepEqual(await collect(stream), ["a", "b"]);
  assert.deepEqual(await collect(stream), ["a", "b"]);
});

Deno.test("safeGenerator: bad input", async () => {
  assert.throws(() => safeGenerator(undefined as never), {
    name: "TypeError",
    message:
      "Cannot safeGenerator: 'generatorFunction' must be a function: current value is undefined",
  });
  assert.throws(
    () => safeGenerator(async function* () {}, { buffer: -1 }),
    RangeError,
  );
  assert.throws(
    () => safeGenerator(async function* () {}, 3 as never),
    TypeError,
  );
  // A function that returns no iterator fails at the first next().
  const notAGenerator = safeGenerator((() => 42) as never);
  const error = await rejection(collect(notAGenerator()));
  assert.ok(error instanceof TypeError);
  assert.match(error.message, /must return an iterator/);
});
