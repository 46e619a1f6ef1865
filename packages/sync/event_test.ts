// Copyright the corral authors. MIT license.
// Tests of Event (Trio test_Event, AnyIO test_event_*).
import assert from "node:assert/strict";
import { CancelScope, moveOnAfter } from "@corral/scope";
import { taskGroup } from "@corral/taskgroup";
import { Event } from "./mod.ts";
import { allBlocked, onClock, rejection } from "./_test_helpers.ts";

Deno.test("Event: Trio test_Event: set wakes every waiter; wait on a set event returns", async () => {
  await onClock(async () => {
    const event = new Event();
    assert.ok(!event.isSet);
    assert.equal(event.statistics().tasksWaiting, 0);
    event.set();
    assert.ok(event.isSet);
    await event.wait();

    const fresh = new Event();
    const record: string[] = [];
    await taskGroup(async (group) => {
      for (let i = 0; i < 2; i++) {
        group.spawn(async () => {
          record.push("sleeping");
          await fresh.wait();
          record.push("woken");
        });
      }
      await allBlocked();
      assert.deepEqual(record, ["sleeping", "sleeping"]);
      assert.equal(fresh.statistics().tasksWaiting, 2);
      fresh.set();
      await allBlocked();
      assert.deepEqual(record, ["sleeping", "sleeping", "woken", "woken"]);
    });
  });
});

Deno.test("Event.wait() is a checkpoint: it throws in a cancelled scope even when the event is set", async () => {
  const event = new Event();
  event.set();
  const scope = new CancelScope();
  const error = await rejection(scope.run(async () => {
    scope.cancel();
    try {
      await event.wait();
    } catch (error) {
      throw { caught: error };
    }
  }));
  assert.equal((error as { caught: unknown }).caught, scope.reason);
});

Deno.test("Event.wait(): a cancelled wait leaves the queue (AnyIO test_event_cancel)", async () => {
  await onClock(async () => {
    const event = new Event();
    assert.equal(await moveOnAfter(10, () => event.wait()), undefined);
    assert.equal(event.statistics().tasksWaiting, 0);
    const scope = new CancelScope();
    const waiting = scope.run(() => event.wait());
    assert.equal(event.statistics().tasksWaiting, 1);
    scope.cancel();
    assert.equal(await waiting, undefined);
    assert.equal(event.statistics().tasksWaiting, 0);
  });
});

Deno.test("Event: set() is idempotent; statistics list the waiting scopes; toString shows state", async () => {
  await onClock(async () => {
    const event = new Event({ name: "ready" });
    await taskGroup(async (group) => {
      const task = group.spawn(() => event.wait());
      await allBlocked();
      const stats = event.statistics();
      assert.equal(stats.waitingScopes[0], task.scope);
      assert.equal(stats.waiters.length, 1);
      assert.equal(String(event), 'Event "ready" (1 waiting)');
      event.set();
      event.set();
    });
    assert.equal(String(event), 'Event "ready" (set)');
  });
});
