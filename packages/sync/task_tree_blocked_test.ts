// Copyright the corral authors. MIT license.
// taskTree() shows what a task waits on when the primitive has a name
// (blockedOn(), read by @corral/taskgroup's task_tree.ts).
import assert from "node:assert/strict";
import { moveOnAfter } from "@corral/scope";
import { taskGroup, taskTree } from "@corral/taskgroup";
import { CapacityLimiter, Lock, openChannel } from "./mod.ts";
import { allBlocked, onClock } from "./_test_helpers.ts";

Deno.test("taskTree(): a task blocked on a named primitive says so; an unnamed one does not", async () => {
  await onClock(async () => {
    const lock = new Lock({ name: "db" });
    const limiter = new CapacityLimiter(0, { name: "upstream-a" });
    const [, receiver] = openChannel<number>(0, { name: "jobs" });
    const quiet = new Lock();
    await lock.acquire();
    await quiet.acquire();
    await taskGroup(async (group) => {
      group.spawn(() => lock.acquire(), { name: "writer" });
      group.spawn(() => limiter.run(() => {}), { name: "attempt 0" });
      group.spawn(() => moveOnAfter(1_000, () => receiver.receive()), {
        name: "worker",
      });
      group.spawn(() => quiet.acquire(), { name: "quiet" });
      await allBlocked();
      const tree = taskTree(group.scope);
      assert.match(tree, /task "writer" \(waiting on lock "db"\)/);
      assert.match(
        tree,
        /task "attempt 0" \(waiting on limiter "upstream-a"\)/,
      );
      assert.match(
        tree,
        /scope "moveOnAfter\(1000\)" \(receiving on channel "jobs", deadline in 1\.00 s\)/,
      );
      assert.match(tree, /task "quiet"\n|task "quiet"$/);
      group.cancel();
    });
    lock.release();
    quiet.release();
  });
});
