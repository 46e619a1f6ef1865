// Copyright the corral authors. MIT license.
/**
 * `@corral/sync` on every runtime: each wait is a checkpoint, a cancelled
 * wait leaves no trace, locks and tokens are handed over first come first
 * served, memory channels end and break as Trio's do, and a limiter is
 * shared by task groups.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Cancelled,
  CancelScope,
  checkpoint,
  moveOnAfter,
  sleep,
  sleepForever,
} from "@corral/scope";
import { MockClock } from "@corral/scope/testing";
import {
  BrokenResourceError,
  CapacityLimiter,
  Condition,
  EndOfChannel,
  Event,
  Lock,
  openChannel,
  Semaphore,
  WouldBlock,
} from "@corral/sync";
import { taskGroup } from "@corral/taskgroup";
import { test } from "./harness.ts";

function onClock<T>(fn: () => Promise<T>): Promise<T | undefined> {
  return new MockClock({ autojump: true }).run(fn);
}

test("sync: every wait throws Cancelled in a cancelled scope, even when it would not wait, and takes nothing", async () => {
  const event = new Event();
  event.set();
  const lock = new Lock();
  const semaphore = new Semaphore(1);
  const limiter = new CapacityLimiter(1);
  const [sender, receiver] = openChannel<number>(1);
  const scope = new CancelScope();
  await scope.run(async () => {
    scope.cancel();
    for (
      const wait of [
        () => event.wait(),
        () => lock.acquire(),
        () => semaphore.acquire(),
        () => limiter.acquire(),
        () => sender.send(1),
        () => receiver.receive(),
      ]
    ) {
      const error = await wait().then(() => undefined, (error) => error);
      assert.ok(error instanceof Cancelled);
    }
  });
  assert.ok(!lock.locked);
  assert.equal(semaphore.value, 1);
  assert.equal(limiter.borrowed, 0);
  assert.equal(sender.statistics().bufferUsed, 0);
});

test("sync: a lock goes to its waiters in order; a cancelled waiter is skipped without taking a turn", async () => {
  await onClock(async () => {
    const lock = new Lock({ name: "db" });
    const order: string[] = [];
    await taskGroup(async (group) => {
      await lock.acquire();
      group.spawn(() => lock.run(() => void order.push("a")));
      const b = group.spawn(() => lock.run(() => void order.push("b")));
      group.spawn(() => lock.run(() => void order.push("c")));
      await sleep(1);
      b.cancel();
      lock.release();
    });
    assert.deepEqual(order, ["a", "c"]);
    assert.ok(!lock.locked);
  });
});

test("sync: CapacityLimiter: a token per borrower, total raised while in use, no leak after timeouts", async () => {
  await onClock(async () => {
    const limiter = new CapacityLimiter(1);
    await limiter.acquire("a");
    assert.equal(await moveOnAfter(5, () => limiter.acquire("b")), undefined);
    assert.equal(limiter.statistics().tasksWaiting, 0);
    const c = limiter.acquire("c");
    limiter.total = 2;
    await c;
    assert.deepEqual(limiter.statistics().borrowers, ["a", "c"]);
    limiter.release("a");
    limiter.release("c");
    assert.equal(limiter.borrowed, 0);
  });
});

test("sync: Condition: a cancelled wait takes the lock back before it throws", async () => {
  const condition = new Condition();
  const scope = new CancelScope();
  let heldInFinally = false;
  await scope.run(() =>
    condition.run(async () => {
      scope.cancel();
      try {
        await condition.wait();
      } finally {
        heldInFinally = condition.locked;
      }
    })
  );
  assert.ok(heldInFinally);
  assert.ok(!condition.locked);
});

test("sync: channels: rendezvous, a timed-out receive loses no item, EndOfChannel ends for await, BrokenResourceError", async () => {
  await onClock(async () => {
    const [sender, receiver] = openChannel<number>(0);
    assert.ok(!sender.trySend(0)); // nobody receives
    assert.equal(await moveOnAfter(5, () => receiver.receive()), undefined);
    const got: number[] = [];
    await taskGroup((group) => {
      group.spawn(async () => {
        for (let i = 0; i < 5; i++) await sender.send(i);
        sender.close();
      });
      group.spawn(async () => {
        for await (const item of receiver) got.push(item);
      });
    });
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
    await assert.rejects(receiver.receive(), EndOfChannel);
    const [s2, r2] = openChannel<number>(Infinity);
    assert.throws(() => r2.tryReceive(), WouldBlock);
    r2.close();
    await assert.rejects(s2.send(1), BrokenResourceError);
  });
});

test("sync: taskGroup({ limiter }): one limiter holds across groups; a cancelled group's queue holds no token", async () => {
  await onClock(async () => {
    const limiter = new CapacityLimiter(2, { name: "host" });
    let running = 0, most = 0;
    await taskGroup((outer) => {
      for (let g = 0; g < 3; g++) {
        outer.spawn(() =>
          taskGroup((group) => {
            for (let i = 0; i < 3; i++) {
              group.spawn(async () => {
                most = Math.max(most, ++running);
                await sleep(10);
                running--;
              });
            }
          }, { limiter })
        );
      }
      outer.spawn(() =>
        taskGroup(async (group) => {
          for (let i = 0; i < 3; i++) {
            group.spawn(async () => {
              await checkpoint();
              await sleepForever();
            });
          }
          await sleep(1);
          group.cancel();
        }, { limiter })
      );
    });
    assert.equal(most, 2);
    assert.equal(limiter.borrowed, 0);
    assert.equal(limiter.statistics().tasksWaiting, 0);
  });
});
