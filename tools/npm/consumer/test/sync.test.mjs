// Copyright the corral authors. MIT license.
// @corral/sync as installed from its npm tarball.
import { test } from "node:test";
import assert from "node:assert/strict";
import { moveOnAfter, sleep } from "@corral/scope";
import { Lock, openChannel } from "@corral/sync";
import { taskGroup } from "@corral/taskgroup";

test("a Lock lets one task in at a time", async () => {
  const lock = new Lock();
  let inside = 0;
  let most = 0;

  await taskGroup((group) => {
    for (let i = 0; i < 5; i++) {
      group.spawn(() =>
        lock.run(async () => {
          inside++;
          most = Math.max(most, inside);
          await sleep(1);
          inside--;
        })
      );
    }
  });

  assert.equal(most, 1);
  assert.equal(lock.locked, false);
});

test("a cancelled acquire holds nothing, and the lock stays usable", async () => {
  const lock = new Lock();

  await taskGroup(async (group) => {
    await lock.acquire();
    const waiter = group.spawn(() => moveOnAfter(5, () => lock.acquire()));
    assert.equal(await waiter.result, undefined);
    lock.release();
  });

  assert.equal(lock.locked, false);
  assert.equal(lock.tryAcquire(), true);
  lock.release();
});

test("a memory channel delivers every item in order to a consumer task", async () => {
  /** @type {number[]} */
  const got = [];

  await taskGroup((group) => {
    const [sender, receiver] = openChannel(0);
    group.spawn(async () => {
      for (let i = 0; i < 3; i++) await sender.send(i);
      sender.close();
    });
    group.spawn(async () => {
      for await (const n of receiver) got.push(n);
    });
  });

  assert.deepEqual(got, [0, 1, 2]);
});
