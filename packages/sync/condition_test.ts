// Copyright the corral authors. MIT license.
// Tests of Condition (Trio test_Condition).
import assert from "node:assert/strict";
import { CancelScope } from "@corral/scope";
import { taskGroup } from "@corral/taskgroup";
import { Condition, Lock, Semaphore } from "./mod.ts";
import { allBlocked, onClock, rejection } from "./_test_helpers.ts";

Deno.test("Condition: Trio test_Condition: wait, notify(n), notifyAll, and the lock held after a cancelled wait", async () => {
  await onClock(async () => {
    assert.throws(
      () => new Condition({ lock: new Semaphore(1) as never }),
      TypeError,
    );
    const l = new Lock();
    let c = new Condition({ lock: l });
    assert.ok(!l.locked && !c.locked);
    await c.acquire();
    assert.ok(l.locked && c.locked);
    c.release();

    c = new Condition();
    assert.ok(!c.locked);
    assert.ok(c.tryAcquire());
    assert.ok(c.locked);
    assert.throws(() => c.tryAcquire(), /already holds/);
    c.release();
    // Can't wait or notify without holding the lock.
    assert.match(String(await rejection(c.wait())), /does not hold its lock/);
    assert.throws(() => c.notify(), /does not hold its lock/);
    assert.throws(() => c.notifyAll(), /does not hold its lock/);

    let finished = new Set<number>();
    const waiter = (i: number) => async () => {
      await c.run(() => c.wait());
      finished.add(i);
    };
    await taskGroup(async (group) => {
      for (let i = 0; i < 3; i++) {
        group.spawn(waiter(i));
        await allBlocked();
      }
      await c.run(() => c.notify());
      assert.ok(c.locked); // handed to the notified waiter
      await allBlocked();
      assert.deepEqual(finished, new Set([0]));
      await c.run(() => c.notifyAll());
      await allBlocked();
      assert.deepEqual(finished, new Set([0, 1, 2]));
    });

    finished = new Set();
    await taskGroup(async (group) => {
      for (let i = 0; i < 3; i++) {
        group.spawn(waiter(i));
        await allBlocked();
      }
      await c.run(() => {
        c.notify(2);
        const stats = c.statistics();
        assert.equal(stats.tasksWaiting, 1);
        assert.equal(stats.lockStatistics.tasksWaiting, 2);
      });
      // Leaving run() handed the lock to the first notified task.
      assert.equal(c.statistics().lockStatistics.tasksWaiting, 1);
      await allBlocked();
      assert.deepEqual(finished, new Set([0, 1]));
      await c.run(() => c.notifyAll());
    });

    // After being cancelled, still holds the lock (!)
    const scope = new CancelScope();
    await scope.run(() =>
      c.run(async () => {
        scope.cancel();
        try {
          await c.wait();
        } finally {
          assert.ok(c.locked);
        }
      })
    );
    assert.ok(!c.locked);
  });
});

Deno.test("Condition.wait(): cancelled after notify, while waiting for the lock: takes the lock back, skips no one", async () => {
  await onClock(async () => {
    const c = new Condition({ name: "queue" });
    const log: string[] = [];
    await taskGroup(async (group) => {
      const a = group.spawn(() =>
        c.run(async () => {
          try {
            await c.wait();
            log.push("a woke");
          } finally {
            log.push(`a holds: ${c.locked}`);
          }
        })
      );
      await allBlocked();
      group.spawn(() =>
        c.run(async () => {
          await c.wait();
          log.push("b woke");
        })
      );
      await allBlocked();
      await c.acquire();
      c.notifyAll();
      a.cancel(); // a waits for the lock now, cancelled
      c.release();
    });
    assert.deepEqual(log, ["b woke", "a holds: true"]);
    assert.ok(!c.locked);
  });
});

Deno.test("Condition.notify(): a bad count is a RangeError naming the condition", async () => {
  const c = new Condition({ name: "q" });
  await c.acquire();
  assert.throws(
    () => c.notify(-1),
    /^RangeError: Cannot notify condition "q": 'n' must be/,
  );
  assert.throws(() => c.notify(1.5), RangeError);
  c.notify(0);
  c.release();
});
