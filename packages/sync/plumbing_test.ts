// Copyright the corral authors. MIT license.
// Tests of @corral/sync/plumbing: waitForToken, ParkingLot.
import assert from "node:assert/strict";
import { Cancelled, CancelScope } from "@corral/scope";
import { CapacityLimiter } from "./mod.ts";
import { ParkingLot, waitForToken } from "./plumbing.ts";
import { onClock } from "./_test_helpers.ts";

Deno.test("waitForToken(): queued FIFO with promise waiters; a withdrawn wait holds nothing; a granted one cannot be withdrawn", async () => {
  await onClock(async () => {
    const limiter = new CapacityLimiter(1);
    const log: string[] = [];
    assert.equal(waitForToken(limiter, "a", () => log.push("a"))(), false);
    const b = limiter.acquire("b").then(() => log.push("b"));
    const withdrawC = waitForToken(limiter, "c", () => log.push("c"));
    const withdrawD = waitForToken(limiter, "d", () => log.push("d"));
    assert.equal(limiter.statistics().tasksWaiting, 3);
    limiter.release("a");
    await b;
    assert.equal(withdrawC(), true);
    limiter.release("b");
    assert.deepEqual(log, ["a", "b", "d"]);
    assert.equal(withdrawD(), false);
    assert.deepEqual(limiter.statistics().borrowers, ["d"]);
    assert.throws(() => waitForToken(limiter, "d", () => {}), /already holds/);
    limiter.release("d");
    assert.equal(limiter.borrowed, 0);
  });
});

Deno.test("ParkingLot: FIFO unpark, failAll, and a park is a checkpoint whose cancel leaves the lot (Trio test_parking_lot_basic, rules 1 and 17)", async () => {
  const lot = new ParkingLot();
  const woken: number[] = [];
  const first = lot.park().then(() => woken.push(1));
  const second = lot.park().then(() => woken.push(2));
  assert.equal(lot.size, 2);
  assert.equal(lot.unpark(), true);
  await first;
  assert.deepEqual(woken, [1]);
  assert.equal(lot.unpark(), true);
  await second;
  assert.deepEqual(woken, [1, 2]);
  assert.equal(lot.unpark(), false);

  // In a cancelled scope: rejects at once, parks nothing.
  const cancelled = new CancelScope();
  cancelled.cancel();
  await cancelled.run(async () => {
    const parking = lot.park();
    assert.equal(lot.size, 0);
    await assert.rejects(parking, Cancelled);
  });

  // Cancelled while parked: leaves the lot at once, so the next unpark
  // goes to the wait behind it.
  const scope = new CancelScope();
  const leaving = scope.run(() => lot.park());
  const staying = lot.park();
  assert.equal(lot.size, 2);
  scope.cancel();
  assert.equal(lot.size, 1);
  assert.equal(await leaving, undefined); // the scope absorbed its Cancelled
  assert.equal(lot.unpark(), true);
  await staying;

  // failAll fails the waits parked now, not later ones.
  const failing = [lot.park(), lot.park()];
  lot.failAll(new Error("gone"));
  assert.equal(lot.size, 0);
  for (const wait of failing) await assert.rejects(wait, /gone/);
  const later = lot.park();
  assert.equal(lot.size, 1);
  lot.unpark();
  await later;
});
