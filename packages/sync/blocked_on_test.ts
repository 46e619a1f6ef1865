// Copyright the corral authors. MIT license.
// Tests of blockedOn(): what a scope waits on, for the task tree.
import assert from "node:assert/strict";
import { type CancelScope, moveOnAfter } from "@corral/scope";
import { taskGroup } from "@corral/taskgroup";
import {
  blockedOn,
  CapacityLimiter,
  Condition,
  Event,
  Lock,
  openChannel,
  Semaphore,
} from "./mod.ts";
import { allBlocked, onClock } from "./_test_helpers.ts";

Deno.test("blockedOn(): each named primitive's wait is shown on the scope that waits, and gone when the wait ends", async () => {
  await onClock(async () => {
    const lock = new Lock({ name: "db" });
    const event = new Event({ name: "ready" });
    const semaphore = new Semaphore(0, { name: "slots" });
    const limiter = new CapacityLimiter(0, { name: "api" });
    const condition = new Condition({ name: "queue" });
    const [sender, receiver] = openChannel<number>(0, { name: "jobs" });
    const [, quiet] = openChannel<number>(0); // unnamed: not tracked
    await taskGroup(async (group) => {
      await lock.acquire();
      const tasks = [
        group.spawn(() => lock.acquire()),
        group.spawn(() => event.wait()),
        group.spawn(() => semaphore.acquire()),
        group.spawn(() => limiter.acquire()),
        group.spawn(() => condition.run(() => condition.wait())),
        group.spawn(() => sender.send(1)),
        group.spawn(() => quiet.receive()),
      ];
      await allBlocked();
      assert.deepEqual(
        tasks.map((task) => blockedOn(task.scope)?.description),
        [
          'waiting on lock "db"',
          'waiting on event "ready"',
          'waiting on semaphore "slots"',
          'waiting on limiter "api"',
          'waiting on condition "queue"',
          'sending on channel "jobs"',
          undefined,
        ],
      );
      assert.equal(blockedOn(tasks[0]!.scope)?.primitive, lock);
      assert.equal(blockedOn(tasks[5]!.scope)?.primitive, sender);
      assert.equal(receiver.tryReceive(), 1);
      assert.equal(blockedOn(tasks[5]!.scope), undefined);
      group.cancel();
    });
    lock.release();
  });
});

Deno.test("blockedOn(): the innermost scope of the wait is the one marked; a timed-out wait leaves no mark", async () => {
  await onClock(async () => {
    const lock = new Lock({ name: "db" });
    await lock.acquire();
    await taskGroup(async (group) => {
      let inner: CancelScope | undefined;
      const task = group.spawn(() =>
        moveOnAfter(10, (scope) => {
          inner = scope;
          return lock.acquire();
        })
      );
      await allBlocked();
      assert.equal(blockedOn(task.scope), undefined);
      assert.equal(blockedOn(inner!)?.description, 'waiting on lock "db"');
      await task.result;
      assert.equal(blockedOn(inner!), undefined);
    });
    lock.release();
    assert.throws(() => blockedOn({} as never), TypeError);
  });
});
