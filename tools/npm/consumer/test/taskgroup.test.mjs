// Copyright the corral authors. MIT license.
// @corral/taskgroup as installed from its npm tarball.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Cancelled, sleep, sleepForever } from "@corral/scope";
import { all, map, race, taskGroup, TaskGroupError } from "@corral/taskgroup";
import { race as raceFromSubpath } from "@corral/taskgroup/race";

test("taskGroup waits for every task and returns the body's value", async () => {
  /** @type {number[]} */
  const done = [];

  const value = await taskGroup((group) => {
    for (const ms of [3, 1, 2]) {
      group.spawn(async () => {
        await sleep(ms);
        done.push(ms);
      });
    }
    return "body";
  });

  assert.equal(value, "body");
  assert.deepEqual(done.sort(), [1, 2, 3]);
});

test("a failing task cancels its siblings and comes out in a TaskGroupError", async () => {
  let siblingCancelled = false;

  await assert.rejects(
    taskGroup((group) => {
      group.spawn(async () => {
        try {
          await sleepForever();
        } catch (error) {
          siblingCancelled = error instanceof Cancelled;
          throw error;
        }
      });
      group.spawn(async () => {
        await sleep(1);
        throw new Error("boom");
      });
    }),
    (error) =>
      error instanceof TaskGroupError && error instanceof AggregateError &&
      error.errors.length === 1 && error.errors[0].message === "boom",
  );
  assert.equal(siblingCancelled, true);
});

test("race returns the first success and cancels the losers", async () => {
  const winner = await race([
    async () => {
      await sleep(1);
      return "fast";
    },
    async () => {
      await sleepForever();
      return "never";
    },
  ]);

  assert.equal(winner, "fast");
  assert.equal(raceFromSubpath, race);
});

test("all and map keep input order; map honours limit", async () => {
  let running = 0;
  let most = 0;

  const doubled = await map([1, 2, 3, 4, 5], async (n) => {
    running++;
    most = Math.max(most, running);
    await sleep(1);
    running--;
    return n * 2;
  }, { limit: 2 });
  const both = await all([() => "a", async () => "b"]);

  assert.deepEqual(doubled, [2, 4, 6, 8, 10]);
  assert.ok(most <= 2);
  assert.deepEqual(both, ["a", "b"]);
});
