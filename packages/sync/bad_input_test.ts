// Copyright the corral authors. MIT license.
// docs/rules.md "Bad input": a clear error naming the primitive, thrown before
// anything starts, and nothing already waiting is disturbed.
import assert from "node:assert/strict";
import { taskGroup } from "@corral/taskgroup";
import {
  CapacityLimiter,
  Condition,
  Event,
  Lock,
  openChannel,
  Receiver,
  Semaphore,
  Sender,
} from "./mod.ts";
import { allBlocked, onClock } from "./_test_helpers.ts";

const badCounts = [-1, 1.5, NaN, -Infinity];

Deno.test("bad input: a negative or non-integer capacity, total or initial is a RangeError naming the parameter", () => {
  for (const bad of badCounts) {
    assert.throws(() => openChannel(bad), {
      name: "RangeError",
      message:
        `Cannot open channel: 'capacity' must be a non-negative integer or Infinity: current value is ${bad}`,
    });
    assert.throws(() => new CapacityLimiter(bad, { name: "api" }), {
      name: "RangeError",
      message:
        `Cannot create capacity limiter "api": 'total' must be a non-negative integer or Infinity: current value is ${bad}`,
    });
    assert.throws(() => new Semaphore(bad), {
      name: "RangeError",
      message:
        `Cannot create semaphore: 'initial' must be a non-negative integer: current value is ${bad}`,
    });
    assert.throws(() => new Semaphore(0, { max: bad }), RangeError);
  }
  assert.throws(() => new Semaphore(Infinity), RangeError);
  for (const bad of ["3", null, {}, Symbol("x")]) {
    assert.throws(() => openChannel(bad as never), TypeError);
    assert.throws(() => new CapacityLimiter(bad as never), TypeError);
    assert.throws(() => new Semaphore(bad as never), TypeError);
  }
});

Deno.test("bad input: options must be an object, a name a string", () => {
  for (
    const make of [
      (o: unknown) => new Event(o as never),
      (o: unknown) => new Lock(o as never),
      (o: unknown) => new Semaphore(1, o as never),
      (o: unknown) => new CapacityLimiter(1, o as never),
      (o: unknown) => new Condition(o as never),
      (o: unknown) => openChannel(0, o as never),
    ]
  ) {
    assert.throws(() => make(null), TypeError);
    assert.throws(() => make(5), TypeError);
    assert.throws(() => make({ name: 5 }), TypeError);
    assert.throws(() => make({ name: Object.create(null) }), TypeError);
  }
});

Deno.test("bad input: run() of a non-function or a promise is a TypeError; the promise is marked handled", async () => {
  const promise = Promise.reject(new Error("never awaited"));
  for (
    const primitive of [
      new Lock(),
      new Semaphore(1),
      new CapacityLimiter(1),
      new Condition(),
    ]
  ) {
    assert.throws(() => primitive.run(5 as never), TypeError);
    assert.throws(() => primitive.run(promise as never), /pass a function/);
  }
  await new Promise((resolve) => setTimeout(resolve, 0));
});

Deno.test("bad input: a misuse leaves the waiters as they were", async () => {
  await onClock(async () => {
    const lock = new Lock({ name: "db" });
    const limiter = new CapacityLimiter(1, { name: "api" });
    const [sender, receiver] = openChannel<number>(0, { name: "jobs" });
    const got: number[] = [];
    await taskGroup(async (group) => {
      await lock.acquire();
      await limiter.acquire();
      group.spawn(() => lock.run(() => {}));
      group.spawn(() => limiter.run(() => {}));
      group.spawn(async () => void got.push(await receiver.receive()));
      await allBlocked();
      await assert.rejects(lock.acquire(), /Cannot acquire lock "db"/);
      await assert.rejects(
        limiter.acquire(),
        /Cannot acquire capacity limiter "api"/,
      );
      assert.throws(
        () => limiter.release("nobody"),
        /^Error: Cannot release capacity limiter "api": "nobody" holds no token$/,
      );
      assert.throws(() => limiter.total = -1, RangeError);
      const other = sender.clone();
      other.close();
      assert.throws(() => other.trySend(1), /channel "jobs"/);
      assert.equal(lock.statistics().tasksWaiting, 1);
      assert.equal(limiter.statistics().tasksWaiting, 1);
      assert.equal(receiver.statistics().tasksWaitingReceive, 1);
      lock.release();
      limiter.release();
      await sender.send(7);
    });
    assert.deepEqual(got, [7]);
  });
});

Deno.test("bad input: channel ends come from openChannel() only", () => {
  assert.throws(
    () => new Sender({} as never),
    /^TypeError: Cannot create Sender: channel ends are made by openChannel\(\)$/,
  );
  assert.throws(() => new Receiver(undefined as never), TypeError);
});
