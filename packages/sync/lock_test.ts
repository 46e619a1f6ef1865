// Copyright the corral authors. MIT license.
// Tests of Lock (Trio test_Lock_and_StrictFIFOLock, AnyIO test_lock_*).
import assert from "node:assert/strict";
import {
  CancelScope,
  checkpoint,
  currentScope,
  moveOnAfter,
  sleepForever,
} from "@corral/scope";
import { taskGroup } from "@corral/taskgroup";
import { Lock } from "./mod.ts";
import {
  allBlocked,
  assertCancelled,
  busyWait,
  onClock,
  rejection,
} from "./_test_helpers.ts";

Deno.test("Lock: Trio test_Lock_and_StrictFIFOLock: acquire, release, ownership, statistics", async () => {
  await onClock(async () => {
    const lock = new Lock();
    assert.ok(!lock.locked);
    await lock.run(() => assert.ok(lock.locked));
    assert.ok(!lock.locked);
    assert.ok(lock.tryAcquire());
    assert.ok(lock.locked);
    lock.release();
    await lock.acquire();
    assert.ok(lock.locked);
    lock.release();

    assert.ok(lock.tryAcquire());
    assert.throws(() => lock.tryAcquire(), /already holds it/);
    lock.release();
    assert.throws(
      () => lock.release(),
      /^Error: Cannot release lock: it is not held$/,
    );

    let holderTask: object | undefined;
    await taskGroup(async (group) => {
      const holder = () =>
        lock.run(async () => {
          holderTask ??= lock.statistics().owner;
          await sleepForever();
        });
      group.spawn(holder);
      await allBlocked();
      assert.ok(lock.locked);
      assert.ok(!lock.tryAcquire()); // someone else holds it
      assert.throws(() => lock.release(), /held by another task/);
      let stats = lock.statistics();
      assert.ok(stats.locked);
      assert.equal(stats.owner, holderTask);
      assert.equal(stats.tasksWaiting, 0);
      group.spawn(holder);
      await allBlocked();
      stats = lock.statistics();
      assert.equal(stats.tasksWaiting, 1);
      assert.notEqual(stats.waiters[0], holderTask);
      group.cancel();
    });
    const stats = lock.statistics();
    assert.ok(!stats.locked);
    assert.equal(stats.owner, undefined);
    assert.equal(stats.tasksWaiting, 0);
  });
});

Deno.test("Lock.acquire(): a second acquire by the owning task rejects, naming the lock", async () => {
  await onClock(async () => {
    const lock = new Lock({ name: "db" });
    await lock.acquire();
    const error = await rejection(lock.acquire());
    assert.match(
      String(error),
      /^Error: Cannot acquire lock "db": the current task already holds it/,
    );
    assert.ok(lock.locked);
    lock.release();
  });
});

Deno.test("Lock.release(): the lock goes straight to the longest waiter (Trio ParkingLot hand-off)", async () => {
  await onClock(async () => {
    const lock = new Lock();
    const order: number[] = [];
    await taskGroup(async (group) => {
      await lock.acquire();
      for (let i = 0; i < 3; i++) {
        group.spawn(() => lock.run(() => void order.push(i)));
        await allBlocked();
      }
      lock.release();
      // Fairness: handed over, so no barging by a nowait acquire.
      assert.ok(lock.locked);
      assert.ok(!lock.tryAcquire());
    });
    assert.deepEqual(order, [0, 1, 2]);
  });
});

Deno.test("Lock.acquire() is a checkpoint: throws in a cancelled scope even when free, and takes nothing", async () => {
  const lock = new Lock();
  const scope = new CancelScope();
  await scope.run(async () => {
    scope.cancel();
    await assertCancelled(lock.acquire());
    assert.ok(!lock.locked);
  });
  // Uncontended, it still yields: the caller does not run on synchronously.
  let after = false;
  const acquiring = lock.acquire().then(() => after = true);
  assert.ok(!after);
  await acquiring;
  lock.release();
});

Deno.test("Lock.acquire(): a cancelled waiter holds nothing and the next waiter is not skipped (rule 17)", async () => {
  await onClock(async () => {
    const lock = new Lock();
    const got: string[] = [];
    await taskGroup(async (group) => {
      await lock.acquire();
      const a = group.spawn(() => lock.run(() => void got.push("a")));
      await allBlocked();
      group.spawn(() => lock.run(() => void got.push("b")));
      await allBlocked();
      assert.equal(lock.statistics().tasksWaiting, 2);
      a.cancel();
      await allBlocked();
      assert.equal(lock.statistics().tasksWaiting, 1);
      lock.release();
    });
    assert.deepEqual(got, ["b"]);
    assert.ok(!lock.locked);
  });
});

Deno.test("Lock.acquire(): a waiter whose deadline passed before its timer fired is skipped (AnyIO #728)", async () => {
  // The real clock: a mock clock's advance() fires the deadline at once.
  // A 100 ms timeout, not 2: a stall of the machine between entering the
  // scope and the wait must not let the deadline pass before the wait.
  const lock = new Lock();
  await lock.acquire();
  const got: string[] = [];
  await taskGroup(async (group) => {
    group.spawn(() =>
      new CancelScope({ timeout: 100 }).run(async () => {
        await lock.acquire();
        got.push("late");
      })
    );
    group.spawn(() => lock.run(() => void got.push("next")));
    for (let i = 0; i < 20; i++) await null; // every task is waiting now
    assert.equal(lock.statistics().tasksWaiting, 2);
    busyWait(101); // the deadline passes; its timer cannot run meanwhile
    lock.release(); // skips the late waiter, hands the lock to the next
    assert.equal(lock.statistics().tasksWaiting, 0);
  });
  assert.deepEqual(got, ["next"]);
  assert.ok(!lock.locked);
});

Deno.test("Lock: moveOnAfter around an acquire leaves no trace when it times out", async () => {
  await onClock(async () => {
    const lock = new Lock();
    await lock.acquire();
    await taskGroup((group) => {
      group.spawn(async () => {
        for (let i = 0; i < 100; i++) {
          assert.equal(await moveOnAfter(1, () => lock.acquire()), undefined);
        }
      });
    });
    assert.equal(lock.statistics().tasksWaiting, 0);
    lock.release();
    assert.ok(!lock.locked);
  });
});

Deno.test("Lock: owned by the task: acquire in a nested scope, release outside it", async () => {
  await onClock(async () => {
    const lock = new Lock();
    await taskGroup((group) => {
      group.spawn(async () => {
        const outer = currentScope();
        await new CancelScope().run(() => lock.acquire());
        assert.equal(currentScope(), outer);
        lock.release();
      });
    });
    assert.ok(!lock.locked);
  });
});

Deno.test("Lock: code outside any task is one owner (Trio's main task), and a group's body belongs to the task around it", async () => {
  const lock = new Lock();
  await lock.acquire();
  await assert.rejects(
    new CancelScope().run(() => lock.acquire()),
    /already holds it/,
  );
  await taskGroup(() => lock.release());
  await moveOnAfter(10, () => lock.acquire());
  lock.release();
  // A loop of uncontended acquires yields to timers now and then (rule 2).
  let fired = false;
  const timer = setTimeout(() => fired = true, 0);
  const start = performance.now();
  while (!fired && performance.now() - start < 1000) {
    await lock.acquire();
    lock.release();
  }
  clearTimeout(timer);
  assert.ok(fired);
  await checkpoint();
});

Deno.test("Lock: a waiter handed the lock and cancelled before it runs still holds it, and run() releases it (Trio #2973)", async () => {
  await onClock(async () => {
    const lock = new Lock();
    const log: string[] = [];
    await taskGroup(async (group) => {
      await lock.acquire();
      const waiter = group.spawn(() =>
        lock.run(async () => {
          log.push("in the critical section");
          await checkpoint(); // throws: the task was cancelled
          log.push("not reached");
        })
      );
      await allBlocked();
      lock.release(); // handed over...
      waiter.cancel(); // ...and cancelled in the same turn
      assert.equal(lock.statistics().owner, waiter); // owned by the task
      assert.ok(lock.locked);
    });
    assert.deepEqual(log, ["in the critical section"]);
    assert.ok(!lock.locked);
  });
});
