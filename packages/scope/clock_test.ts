// Copyright the corral authors. MIT license.
// Tests of the deadline queue every clock keeps (_clock.ts): an indexed
// binary min-heap with one wake-up for the earliest deadline (rule 6).
import assert from "node:assert/strict";
import {
  Clock,
  type DeadlineEntry,
  macrotaskQueue,
  type MacrotaskRuntime,
} from "./_clock.ts";

/** A clock whose time the test sets, recording every wake-up it asks for. */
class TestClock extends Clock {
  time = 0;
  wakes: (number | undefined)[] = [];
  now(): number {
    return this.time;
  }
  protected wakeAt(time: number | undefined): void {
    this.wakes.push(time);
  }
}

function entry(
  deadline: number,
  onExpire: (entry: DeadlineEntry) => void = () => {},
): DeadlineEntry {
  const made: DeadlineEntry = {
    deadline,
    index: -1,
    expire: () => onExpire(made),
  };
  return made;
}

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("Clock expires deadlines in order, a deadline equal to now included", () => {
  const clock = new TestClock();
  const expired: number[] = [];
  for (const deadline of [5, 1, 4, 2, 3, 3]) {
    clock.schedule(entry(deadline, (e) => expired.push(e.deadline)));
  }
  assert.equal(clock.pending, 6);
  assert.equal(clock.nextDeadline, 1);
  clock.time = 2.5;
  clock.expireDue();
  assert.deepEqual(expired, [1, 2]);
  clock.time = 3; // equal to now has passed (rule 4 of docs/rules.md)
  clock.expireDue();
  assert.deepEqual(expired, [1, 2, 3, 3]);
  clock.time = 100;
  clock.expireDue();
  assert.deepEqual(expired, [1, 2, 3, 3, 4, 5]);
  assert.equal(clock.pending, 0);
  assert.equal(clock.nextDeadline, Infinity);
});

Deno.test("Clock asks to wake only when the earliest deadline changes", () => {
  const clock = new TestClock();
  const first = entry(10);
  clock.schedule(first);
  assert.deepEqual(clock.wakes, [10]);
  clock.schedule(entry(20)); // later: no new wake-up
  clock.schedule(entry(15));
  assert.deepEqual(clock.wakes, [10]);
  const earlier = entry(5);
  clock.schedule(earlier);
  assert.deepEqual(clock.wakes, [10, 5]);
  clock.unschedule(first); // not the earliest: nothing to re-arm
  assert.deepEqual(clock.wakes, [10, 5]);
  clock.unschedule(earlier);
  assert.deepEqual(clock.wakes, [10, 5, 15]);
  clock.expireDue(); // nothing due: no wake-up asked
  assert.deepEqual(clock.wakes, [10, 5, 15]);
  clock.time = 100;
  clock.expireDue();
  assert.deepEqual(clock.wakes, [10, 5, 15, undefined], "all done: disarm");
});

Deno.test("Clock.schedule() moves an entry already queued instead of adding it", () => {
  // trio: _run.py Deadlines._prune (a scope can move back and forth between
  // the same two deadlines; the queue must not keep stale copies)
  const clock = new TestClock();
  const moving = entry(5);
  clock.schedule(moving);
  for (let i = 0; i < 100; i++) {
    moving.deadline = i % 2 === 0 ? 10 : 5;
    clock.schedule(moving);
  }
  assert.equal(clock.pending, 1);
  let expired = 0;
  moving.expire = () => expired++;
  clock.time = 10;
  clock.expireDue();
  assert.equal(expired, 1);
  assert.equal(moving.index, -1);
  clock.unschedule(moving); // no longer queued: a no-op
  assert.equal(clock.pending, 0);
});

Deno.test("Clock keeps heap order under random schedule, move and unschedule", () => {
  const next = random(42);
  const clock = new TestClock();
  const live = new Set<DeadlineEntry>();
  const expired: DeadlineEntry[] = [];
  for (let step = 0; step < 5_000; step++) {
    const action = next();
    if (action < 0.5 || live.size === 0) {
      const made = entry(clock.time + Math.floor(next() * 1_000), (e) => {
        assert.ok(e.deadline <= clock.time, "expired early");
        assert.ok(live.delete(e), "expired twice or after removal");
        expired.push(e);
      });
      live.add(made);
      clock.schedule(made);
    } else if (action < 0.7) {
      const target = [...live][Math.floor(next() * live.size)]!;
      target.deadline = clock.time + Math.floor(next() * 1_000);
      clock.schedule(target);
    } else if (action < 0.85) {
      const target = [...live][Math.floor(next() * live.size)]!;
      clock.unschedule(target);
      live.delete(target);
    } else {
      clock.time += Math.floor(next() * 50);
      const before = expired.length;
      clock.expireDue();
      const batch = expired.slice(before).map((e) => e.deadline);
      assert.deepEqual(batch, [...batch].sort((a, b) => a - b), "in order");
    }
    assert.equal(clock.pending, live.size);
    const earliest = Math.min(...[...live].map((e) => e.deadline));
    assert.equal(clock.nextDeadline, earliest);
    for (const e of live) assert.ok(e.index >= 0);
  }
  clock.time = Infinity;
  clock.expireDue();
  assert.equal(live.size, 0);
});

Deno.test("Clock.expireDue() copes with expiry callbacks that change the queue", () => {
  const clock = new TestClock();
  const record: string[] = [];
  const removedByCallback = entry(3, () => record.push("unreachable"));
  const addedByCallback = entry(2, () => record.push("added expired"));
  clock.schedule(entry(1, () => {
    record.push("first expired");
    clock.unschedule(removedByCallback);
    clock.schedule(addedByCallback); // due too, at the same pass
    clock.schedule(entry(50, () => record.push("later")));
  }));
  clock.schedule(removedByCallback);
  clock.time = 10;
  clock.expireDue();
  assert.deepEqual(record, ["first expired", "added expired"]);
  assert.equal(clock.pending, 1);
  assert.equal(clock.nextDeadline, 50);
  assert.equal(clock.wakes.at(-1), 50);
});

Deno.test("queueMacrotask without setImmediate (a browser): turns run in the order asked for, a cancelled one never runs, and no port stays open", async () => {
  // Messages on two MessageChannels have no order between them: with a
  // channel per turn, a mock clock's idle check could run before a
  // checkpoint's turn asked for earlier, and jump time under a busy task.
  const queue = macrotaskQueue({ MessageChannel });
  for (let round = 0; round < 20; round++) {
    const order: number[] = [];
    const cancels = [];
    for (let i = 0; i < 50; i++) cancels.push(queue(() => order.push(i)));
    cancels[7]!();
    await new Promise<void>((resolve) => queue(resolve));
    const expected = Array.from({ length: 50 }, (_, i) => i).filter((i) =>
      i !== 7
    );
    assert.deepEqual(order, expected);
  }
  // The test's resource sanitizer fails it if a port is left open.
});

Deno.test("queueMacrotask with node:timers' setImmediate or only setTimeout uses them, in order", async () => {
  for (
    const runtime of [
      { process } as MacrotaskRuntime, // node:timers (Deno 2.1)
      { setTimeout, clearTimeout } as MacrotaskRuntime,
    ]
  ) {
    const queue = macrotaskQueue(runtime);
    const order: number[] = [];
    const cancel = queue(() => order.push(0));
    queue(() => order.push(1));
    cancel();
    await new Promise<void>((resolve) => queue(resolve));
    assert.deepEqual(order, [1]);
  }
});
