// Copyright the corral authors. MIT license.
// Tests of CapacityLimiter (Trio test_CapacityLimiter, _inf,
// _change_total_tokens, _memleak_548).
import assert from "node:assert/strict";
import { CancelScope, moveOnAfter, sleep, sleepForever } from "@corral/scope";
import { taskGroup } from "@corral/taskgroup";
import { onCancelled } from "@corral/scope/plumbing";
import { CapacityLimiter } from "./mod.ts";
import {
  allBlocked,
  assertCancelled,
  busyWait,
  onClock,
  rejection,
} from "./_test_helpers.ts";

Deno.test("CapacityLimiter: Trio test_CapacityLimiter: tokens per borrower, fairness", async () => {
  await onClock(async () => {
    assert.throws(() => new CapacityLimiter(1.5), RangeError);
    assert.throws(() => new CapacityLimiter(-1), RangeError);
    const c = new CapacityLimiter(2);
    assert.equal(c.total, 2);
    assert.equal(c.borrowed, 0);
    assert.equal(c.available, 2);
    assert.throws(() => c.release(), /holds no token/);
    assert.equal(c.borrowed, 0);
    assert.ok(c.tryAcquire());
    assert.equal(c.borrowed, 1);
    assert.equal(c.available, 1);
    const stats = c.statistics();
    assert.equal(stats.borrowed, 1);
    assert.equal(stats.total, 2);
    assert.equal(stats.borrowers.length, 1);
    assert.equal(stats.tasksWaiting, 0);

    // Can't re-acquire when we already have it.
    assert.throws(() => c.tryAcquire(), /already holds a token/);
    assert.equal(c.borrowed, 1);
    assert.match(String(await rejection(c.acquire())), /already holds a token/);
    assert.equal(c.borrowed, 1);

    // On behalf of someone else, though.
    await c.acquire("someone");
    assert.equal(c.borrowed, 2);
    assert.ok(!c.tryAcquire("third party"));
    assert.ok(c.statistics().borrowers.includes("someone"));
    c.release();
    assert.deepEqual(c.statistics().borrowers, ["someone"]);
    c.release("someone");
    assert.equal(c.borrowed, 0);
    await c.run(() => assert.equal(c.borrowed, 1));

    await taskGroup(async (group) => {
      await c.acquire("value 1");
      await c.acquire("value 2");
      group.spawn(() => c.acquire("value 3"));
      await allBlocked();
      assert.equal(c.borrowed, 2);
      assert.equal(c.statistics().tasksWaiting, 1);
      assert.deepEqual(c.statistics().waiters, ["value 3"]);
      c.release("value 2");
      // Fairness:
      assert.equal(c.borrowed, 2);
      assert.ok(!c.tryAcquire());
    });
    c.release("value 3");
    c.release("value 1");
    assert.equal(c.borrowed, 0);
  });
});

Deno.test("CapacityLimiter: Trio test_CapacityLimiter_inf, and total 0 (Trio 0.32)", async () => {
  const c = new CapacityLimiter(Infinity);
  assert.equal(c.total, Infinity);
  assert.equal(c.available, Infinity);
  assert.ok(c.tryAcquire());
  assert.equal(c.borrowed, 1);
  assert.equal(c.available, Infinity);
  c.release();
  const zero = new CapacityLimiter(0);
  assert.ok(!zero.tryAcquire());
  zero.total = 1;
  assert.ok(zero.tryAcquire());
  zero.release();
  await Promise.resolve();
});

Deno.test("CapacityLimiter: Trio test_CapacityLimiter_change_total_tokens: raising wakes waiters, lowering revokes nothing", async () => {
  await onClock(async () => {
    const c = new CapacityLimiter(2);
    assert.throws(() => (c.total = 1.5), RangeError);
    assert.throws(() => (c.total = -10), RangeError);
    assert.equal(c.total, 2);
    await taskGroup(async (group) => {
      for (let i = 0; i < 5; i++) {
        group.spawn(() => c.acquire(i));
        await allBlocked();
      }
      const borrowers = () => new Set(c.statistics().borrowers);
      assert.deepEqual(borrowers(), new Set([0, 1]));
      assert.equal(c.statistics().tasksWaiting, 3);
      c.total += 2;
      assert.deepEqual(borrowers(), new Set([0, 1, 2, 3]));
      assert.equal(c.statistics().tasksWaiting, 1);
      c.total -= 3;
      assert.equal(c.borrowed, 4);
      assert.equal(c.total, 1);
      assert.equal(c.available, 0);
      c.release(0);
      c.release(1);
      c.release(2);
      assert.deepEqual(borrowers(), new Set([3]));
      assert.equal(c.statistics().tasksWaiting, 1);
      c.release(3);
      assert.deepEqual(borrowers(), new Set([4]));
      assert.equal(c.statistics().tasksWaiting, 0);
      c.release(4);
    });
  });
});

Deno.test("CapacityLimiter: Trio test_CapacityLimiter_memleak_548: a cancelled acquire leaves nothing behind", async () => {
  await onClock(async () => {
    const limiter = new CapacityLimiter(1);
    await limiter.acquire();
    await taskGroup(async (group) => {
      group.spawn(() => limiter.acquire());
      await allBlocked();
      group.cancel();
    });
    assert.equal(limiter.statistics().tasksWaiting, 0);
    assert.equal(limiter.borrowed, 1);
    limiter.release();
    assert.equal(limiter.borrowed, 0);
  });
});

Deno.test("CapacityLimiter.acquire(): a checkpoint: cancelled before, it borrows nothing; the next waiter is not skipped", async () => {
  await onClock(async () => {
    const limiter = new CapacityLimiter(1, { name: "api" });
    const scope = new CancelScope();
    await scope.run(async () => {
      scope.cancel();
      await assertCancelled(limiter.acquire());
    });
    assert.equal(limiter.borrowed, 0);
    const got: string[] = [];
    await taskGroup(async (group) => {
      group.spawn(() => limiter.run(sleepForever), { name: "holder" });
      await allBlocked();
      const a = group.spawn(() => limiter.run(() => void got.push("a")));
      await allBlocked();
      group.spawn(() => limiter.run(() => void got.push("b")));
      await allBlocked();
      a.cancel();
      await allBlocked();
      assert.equal(limiter.statistics().tasksWaiting, 1);
      assert.equal(await moveOnAfter(1, () => limiter.acquire("c")), undefined);
      assert.equal(limiter.statistics().tasksWaiting, 1);
      group.cancel();
    });
    assert.deepEqual(got, []);
    assert.equal(limiter.borrowed, 0);
    assert.equal(limiter.statistics().tasksWaiting, 0);
  });
});

Deno.test("CapacityLimiter: the same borrower queued twice: the second gets the error, not a second token", async () => {
  await onClock(async () => {
    const limiter = new CapacityLimiter(1);
    await limiter.acquire("holder");
    const first = limiter.acquire("x");
    const second = limiter.acquire("x");
    limiter.total = 3; // both could be served now
    await first;
    assert.match(String(await rejection(second)), /already holds a token/);
    assert.deepEqual(limiter.statistics().borrowers, ["holder", "x"]);
    limiter.release("x");
    limiter.release("holder");
    assert.equal(limiter.borrowed, 0);
  });
});

Deno.test("CapacityLimiter: shared by several groups, the limit holds across them", async () => {
  await onClock(async () => {
    const limiter = new CapacityLimiter(3, { name: "host" });
    let running = 0, most = 0;
    const work = () =>
      limiter.run(async () => {
        most = Math.max(most, ++running);
        for (let i = 0; i < 20; i++) await null; // every task is waiting now
        running--;
      });
    await taskGroup((outer) => {
      for (let g = 0; g < 3; g++) {
        outer.spawn(() =>
          taskGroup((group) => {
            for (let i = 0; i < 4; i++) group.spawn(work);
          })
        );
      }
    });
    assert.equal(most, 3);
    assert.equal(limiter.borrowed, 0);
    assert.match(
      String(limiter),
      /^CapacityLimiter "host" \(0\/3 borrowed, 0 waiting\)$/,
    );
  });
});

Deno.test("CapacityLimiter.release(): code run by a deadline that passed during the hand-off cannot make it lend past total", async () => {
  // The real clock: a mock clock's advance() fires the deadline at once.
  // A 100 ms timeout, not 2: a stall of the machine between entering the
  // scope and the wait must not let the deadline pass before the wait.
  const limiter = new CapacityLimiter(1);
  await limiter.acquire("a");
  let late: Promise<void> | undefined;
  await taskGroup(async (group) => {
    group.spawn(() => {
      const scope = new CancelScope({ timeout: 100 });
      return scope.run(() => {
        // Runs inside release(), when reading b's cancellation expires it:
        // the queue is empty then, so a token can be taken, and a new
        // waiter queued behind the taker.
        onCancelled(scope, () => {
          assert.ok(limiter.tryAcquire("intruder"));
          late = limiter.acquire("d");
        });
        return limiter.acquire("b");
      });
    });
    for (let i = 0; i < 20; i++) await null; // every task is waiting now
    busyWait(101); // b's deadline passes; its timer cannot run meanwhile
    limiter.release("a");
    assert.deepEqual(limiter.statistics().borrowers, ["intruder"]);
    assert.deepEqual(limiter.statistics().waiters, ["d"]);
    limiter.release("intruder");
    await late;
    assert.deepEqual(limiter.statistics().borrowers, ["d"]);
  });
  limiter.release("d");
  assert.equal(limiter.borrowed, 0);
});

Deno.test("CapacityLimiter.run(): two calls of one task at once (Promise.all) are one borrower: the second is the error; spawn tasks instead", async () => {
  await onClock(async () => {
    const limiter = new CapacityLimiter(2);
    await taskGroup((group) => {
      group.spawn(async () => {
        const [first, second] = await Promise.allSettled([
          limiter.run(() => sleep(1)),
          limiter.run(() => sleep(1)),
        ]);
        assert.equal(first.status, "fulfilled");
        assert.equal(second.status, "rejected");
        assert.match(
          String((second as PromiseRejectedResult).reason),
          /already holds a token; each borrower holds at most one/,
        );
      });
      for (let i = 0; i < 2; i++) {
        group.spawn(() => limiter.run(() => sleep(1)));
      }
    });
    assert.equal(limiter.borrowed, 0);
  });
});
