// Copyright the corral authors. MIT license.
// Tests of Semaphore (Trio test_Semaphore, test_Semaphore_bounded).
import assert from "node:assert/strict";
import { CancelScope, moveOnAfter } from "@corral/scope";
import { taskGroup } from "@corral/taskgroup";
import { Semaphore } from "./mod.ts";
import { allBlocked, assertCancelled, onClock } from "./_test_helpers.ts";

Deno.test("Semaphore: Trio test_Semaphore: value, acquire, release, fairness", async () => {
  await onClock(async () => {
    const s = new Semaphore(1);
    assert.equal(s.value, 1);
    assert.equal(s.max, undefined);
    s.release();
    assert.equal(s.value, 2);
    assert.equal(s.statistics().tasksWaiting, 0);
    assert.ok(s.tryAcquire());
    assert.equal(s.value, 1);
    await s.acquire();
    assert.equal(s.value, 0);
    assert.ok(!s.tryAcquire());
    s.release();
    assert.equal(s.value, 1);
    await s.run(() => assert.equal(s.value, 0));
    assert.equal(s.value, 1);
    assert.ok(s.tryAcquire());

    const record: string[] = [];
    await taskGroup(async (group) => {
      group.spawn(async () => {
        record.push("started");
        await s.acquire();
        record.push("finished");
      });
      await allBlocked();
      assert.deepEqual(record, ["started"]);
      assert.equal(s.value, 0);
      s.release();
      // Fairness: the unit went to the waiter, the value stays 0.
      assert.equal(s.value, 0);
      assert.ok(!s.tryAcquire());
    });
    assert.deepEqual(record, ["started", "finished"]);
  });
});

Deno.test("Semaphore: Trio test_Semaphore_bounded: a release past max throws and changes nothing", () => {
  assert.throws(() => new Semaphore(2, { max: 1 }), RangeError);
  const bs = new Semaphore(1, { max: 1, name: "pool" });
  assert.equal(bs.max, 1);
  assert.throws(
    () => bs.release(),
    /^Error: Cannot release semaphore "pool": released too many times/,
  );
  assert.equal(bs.value, 1);
  assert.ok(bs.tryAcquire());
  assert.equal(bs.value, 0);
  bs.release();
  assert.equal(bs.value, 1);
});

Deno.test("Semaphore.acquire(): a checkpoint that takes nothing when cancelled; a cancelled waiter is not counted", async () => {
  await onClock(async () => {
    const s = new Semaphore(1);
    const scope = new CancelScope();
    await scope.run(async () => {
      scope.cancel();
      await assertCancelled(s.acquire());
    });
    assert.equal(s.value, 1);
    await s.acquire();
    assert.equal(await moveOnAfter(5, () => s.acquire()), undefined);
    assert.equal(s.statistics().tasksWaiting, 0);
    s.release();
    assert.equal(s.value, 1);
  });
});

Deno.test("Semaphore: Semaphore(0) as a signal: release from anywhere wakes the first waiter", async () => {
  await onClock(async () => {
    const s = new Semaphore(0, { name: "items" });
    const got: number[] = [];
    await taskGroup(async (group) => {
      for (let i = 0; i < 3; i++) {
        group.spawn(async () => {
          await s.acquire();
          got.push(i);
        });
      }
      await allBlocked();
      assert.equal(String(s), 'Semaphore "items" (value 0, 3 waiting)');
      s.release();
      s.release();
      await allBlocked();
      assert.deepEqual(got, [0, 1]);
      s.release();
    });
    assert.deepEqual(got, [0, 1, 2]);
  });
});
