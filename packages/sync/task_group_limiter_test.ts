// Copyright the corral authors. MIT license.
// Tests of taskGroup(body, { limiter }): a CapacityLimiter shared by
// several groups (the group side lives in @corral/taskgroup's
// task_group.ts; `limit: n` is a private CapacityLimiter(n)).
import assert from "node:assert/strict";
import { Variable } from "@corral/context";
import { checkpoint, sleep, sleepForever } from "@corral/scope";
import { taskGroup } from "@corral/taskgroup";
import { CapacityLimiter } from "./mod.ts";
import { allBlocked, onClock, rejection } from "./_test_helpers.ts";

Deno.test("taskGroup({ limiter }): one limiter shared by several groups holds the limit across them, FIFO", async () => {
  await onClock(async () => {
    const limiter = new CapacityLimiter(2, { name: "host" });
    let running = 0, most = 0;
    const order: string[] = [];
    const job = (id: string) => async () => {
      order.push(id);
      most = Math.max(most, ++running);
      await sleep(10);
      running--;
    };
    await taskGroup((outer) => {
      for (const g of ["a", "b", "c"]) {
        outer.spawn(() =>
          taskGroup((group) => {
            for (let i = 0; i < 3; i++) group.spawn(job(`${g}${i}`));
          }, { limiter, name: g })
        );
      }
    });
    assert.equal(most, 2);
    assert.equal(order.length, 9);
    assert.deepEqual(order.slice(0, 2), ["a0", "a1"]);
    assert.equal(limiter.borrowed, 0);
    assert.equal(limiter.statistics().tasksWaiting, 0);
  });
});

Deno.test("taskGroup({ limiter }): each running task is a borrower; the waiting ones count as group.waiting", async () => {
  await onClock(async () => {
    const limiter = new CapacityLimiter(1);
    await taskGroup((group) => {
      const first = group.spawn(sleepForever, { name: "first" });
      group.spawn(sleepForever, { name: "second" });
      assert.deepEqual(limiter.statistics().borrowers, [first]);
      assert.equal(group.waiting, 1);
      assert.equal(limiter.statistics().tasksWaiting, 1);
      group.cancel();
    }, { limiter });
    assert.equal(limiter.borrowed, 0);
    assert.equal(limiter.statistics().tasksWaiting, 0);
    // Inside the task, the task is the limiter's default borrower: a second
    // token is the clear error, not a wait for itself.
    const shared = new CapacityLimiter(2);
    const error = await rejection(taskGroup((group) => {
      group.spawn(() => shared.run(() => {}));
    }, { limiter: shared }));
    assert.match(String(error), /already holds a token/);
    assert.equal(shared.borrowed, 0);
  });
});

Deno.test("taskGroup({ limiter }): a cancelled group launches its queued tasks past the limit, holding no token (rules 12, 17)", async () => {
  await onClock(async () => {
    const limiter = new CapacityLimiter(1);
    const log: string[] = [];
    let other: Promise<unknown> | undefined;
    await taskGroup(async (outer) => {
      // Another group holds the only token for a while.
      outer.spawn(() =>
        taskGroup((group) => {
          group.spawn(() => sleep(50));
        }, { limiter })
      );
      await allBlocked();
      other = taskGroup(async (group) => {
        for (let i = 0; i < 3; i++) {
          group.spawn(async () => {
            log.push(`started ${i}`);
            await checkpoint().finally(() => log.push(`threw ${i}`));
          });
        }
        assert.equal(group.waiting, 3);
        await allBlocked();
        group.cancel();
      }, { limiter });
      await other;
      assert.equal(limiter.borrowed, 1); // still the first group's task
      assert.equal(limiter.statistics().tasksWaiting, 0);
    });
    assert.deepEqual(log, [
      "started 0",
      "started 1",
      "started 2",
      "threw 0",
      "threw 1",
      "threw 2",
    ]);
    assert.equal(limiter.borrowed, 0);
  });
});

Deno.test("taskGroup({ limiter }): raising total launches queued tasks at once; queued tasks keep their spawn-time context", async () => {
  await onClock(async () => {
    const limiter = new CapacityLimiter(0);
    const request = new Variable<string>({ name: "request" });
    const seen: (string | undefined)[] = [];
    await taskGroup(async (group) => {
      for (const id of ["r-1", "r-2"]) {
        request.run(id, () =>
          group.spawn(() => {
            seen.push(request.get());
          }));
      }
      await allBlocked();
      assert.deepEqual(seen, []);
      request.run("raiser", () => {
        limiter.total = 2;
      });
    }, { limiter });
    assert.deepEqual(seen, ["r-1", "r-2"]);
  });
});

Deno.test("taskGroup({ limiter }): a failing task returns its token; limit and limiter together, or a non-limiter, are a TypeError", async () => {
  await onClock(async () => {
    const limiter = new CapacityLimiter(1);
    const error = await rejection(taskGroup((group) => {
      group.spawn(() => {
        throw new Error("boom");
      });
      group.spawn(() => sleep(1));
    }, { limiter }));
    assert.match(String(error), /boom/);
    assert.equal(limiter.borrowed, 0);
    assert.throws(
      () => taskGroup(() => {}, { limiter, limit: 2 }),
      /give 'limit' or 'limiter', not both/,
    );
    assert.throws(
      () => taskGroup(() => {}, { limiter: 3 as never }),
      /^TypeError: Cannot create task group: 'limiter' must be a CapacityLimiter/,
    );
  });
});
