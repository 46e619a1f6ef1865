// Copyright the corral authors. MIT license.
// Tests of @corral/sync/plumbing: waitForToken, ParkingLot, receiveReady.
import assert from "node:assert/strict";
import { Cancelled, CancelScope } from "@corral/scope";
import { CapacityLimiter, openChannel } from "./mod.ts";
import { ParkingLot, receiveReady, waitForToken } from "./plumbing.ts";
import { CHECKPOINT_EVERY } from "./_wait.ts";
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

Deno.test("receiveReady(): an item ready now, as one iterator result; undefined, with nothing taken, whenever receive() would wait, fail or yield", async () => {
  const fail = (error: unknown): never => {
    throw error;
  };
  const [s, r] = openChannel<number>(Infinity);
  assert.equal(receiveReady(r, fail), undefined); // empty: receive() waits
  for (let i = 0; i < 3 * CHECKPOINT_EVERY; i++) s.trySend(i);
  // A cancelled scope: receive() rejects; nothing is taken.
  const scope = new CancelScope();
  await scope.run(() => {
    scope.cancel();
    assert.equal(receiveReady(r, fail), undefined);
  });
  assert.equal(r.statistics().bufferUsed, 3 * CHECKPOINT_EVERY);
  // Every fast path but one in CHECKPOINT_EVERY: that one is receive()'s,
  // which goes through checkpoint() (rule 2).
  let ready = 0, declined = 0, next = 0;
  for (let i = 0; i < 2 * CHECKPOINT_EVERY; i++) {
    const result = receiveReady(r, fail);
    if (result === undefined) {
      declined++;
      assert.equal(await r.receive(), next++);
    } else {
      ready++;
      assert.deepEqual(await result, { done: false, value: next++ });
    }
  }
  assert.ok(declined >= 1 && declined <= 3, `declined ${declined}`);
  assert.equal(ready + declined, 2 * CHECKPOINT_EVERY);
  // A closed handle: receive() rejects with ClosedResourceError.
  const other = r.clone();
  r.close();
  assert.equal(receiveReady(r, fail), undefined);
  // A thenable item is adopted, its rejection handed to onRejected. (The
  // rejected promise is marked handled: it may wait in the buffer across a
  // macrotask turn.)
  const boom = new Error("boom");
  const rejected = Promise.reject(boom);
  rejected.catch(() => {});
  s.trySend(rejected as unknown as number);
  while (other.statistics().bufferUsed > 1) other.tryReceive();
  let handled: unknown;
  const onRejected = (error: unknown): IteratorResult<number> => {
    handled = error;
    return { done: true, value: undefined };
  };
  const [spare, spareReceiver] = openChannel<number>(Infinity);
  let result: Promise<IteratorResult<number>> | undefined;
  while ((result = receiveReady(other, onRejected)) === undefined) {
    // The 1-in-32 decline of rule 2: a receive elsewhere takes that
    // checkpoint; the item stays.
    spare.trySend(0);
    await spareReceiver.receive();
  }
  assert.deepEqual(await result, { done: true, value: undefined });
  assert.equal(handled, boom);
  other.close();
});

Deno.test("receiveReady(): bad input is a TypeError naming the parameter", () => {
  const [, r] = openChannel<number>(1);
  assert.throws(
    () => receiveReady({} as never, () => ({ done: true, value: undefined })),
    /Cannot receive ready item: 'receiver' must be a Receiver: current value is/,
  );
  assert.throws(
    () => receiveReady(r, Promise.resolve() as never),
    /Cannot receive ready item: 'onRejected' must be a function, not a promise/,
  );
  assert.throws(
    () => receiveReady(r, 3 as never),
    /Cannot receive ready item: 'onRejected' must be a function: current value is 3/,
  );
});

Deno.test("ParkingLot: a park after an unpark, in the same scope, reuses the woken wait's node and is still a checkpoint whose cancel leaves the lot (rule 17)", async () => {
  const lot = new ParkingLot();
  const scope = new CancelScope();
  let unparked = 0;
  const parked = scope.run(async () => {
    for (;;) {
      await lot.park(); // from the second on: the node the last unpark woke
      unparked++;
    }
  });
  for (let i = 0; i < 3; i++) {
    assert.equal(lot.size, 1);
    assert.equal(lot.unpark(), true);
    await Promise.resolve();
    await Promise.resolve();
  }
  assert.equal(unparked, 3);
  assert.equal(lot.size, 1);
  scope.cancel();
  assert.equal(lot.size, 0);
  assert.equal(await parked, undefined);
  // A park in another scope gets a node of its own: cancelling the first
  // scope again, or unparking, touches only what is parked now.
  const other = new CancelScope();
  const waiting = other.run(() => lot.park());
  assert.equal(lot.size, 1);
  assert.equal(lot.unpark(), true);
  assert.equal(await waiting, undefined);
  assert.equal(lot.unpark(), false);
  // Two parks at once in one scope, with a spare node about: the spare
  // goes to one wait only, and each unpark wakes one wait.
  const woken: string[] = [];
  const a = lot.park().then(() => woken.push("a"));
  const b = lot.park().then(() => woken.push("b"));
  assert.equal(lot.size, 2);
  assert.equal(lot.unpark(), true);
  await a;
  assert.deepEqual(woken, ["a"]);
  assert.equal(lot.size, 1);
  assert.equal(lot.unpark(), true);
  await b;
  assert.deepEqual(woken, ["a", "b"]);
});
