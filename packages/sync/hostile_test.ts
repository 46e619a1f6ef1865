// Copyright the corral authors. MIT license.
// Rule 19 for the primitives: a wait begun, or cancelled, at any distance
// from the end of the stack either parks or fails with the overflow, and
// never leaves a waiter in a queue, a token borrowed, an item lost or
// delivered twice, or a scope in the tree.
import assert from "node:assert/strict";
import { CancelScope } from "@corral/scope";
import { cancellationOf, roots } from "@corral/scope/plumbing";
import { taskGroup, TaskGroupError } from "@corral/taskgroup";
import {
  CapacityLimiter,
  Event,
  Lock,
  openChannel,
  type Receiver,
  Semaphore,
} from "./mod.ts";
import { WaitNode, WaitQueue } from "./_wait.ts";
import { sweep, within } from "../../tools/testing/stack_end.ts";

/** The shared primitives, each set up so that a wait on it parks. */
interface Blocked {
  lock: Lock;
  semaphore: Semaphore;
  limiter: CapacityLimiter;
  event: Event;
  receiver: Receiver<number>;
}

/**
 * A group that waits on every primitive, one task each, begun right where
 * the stack ends; with `cancel`, the group cancels them there too.
 */
function waitOnAll(
  on: Blocked,
  received: number[],
  cancel: boolean,
): Promise<unknown> {
  return taskGroup((group) => {
    group.spawn(async () => {
      await on.lock.acquire();
      on.lock.release();
    });
    group.spawn(() => on.semaphore.acquire());
    group.spawn(async () => {
      await on.limiter.acquire();
      on.limiter.release();
    });
    group.spawn(() => on.event.wait());
    group.spawn(async () => {
      received.push(await on.receiver.receive());
    });
    if (cancel) group.cancel();
  }, { name: cancel ? "cancelled" : "waiting" });
}

Deno.test("rule 19: waits begun and cancelled at any distance from the end of the stack leave every primitive consistent", async () => {
  for (let round = 0, remeasured = 0; round < 3; round++) {
    const lock = new Lock({ name: "lock" });
    const semaphore = new Semaphore(0, { name: "semaphore" });
    const limiter = new CapacityLimiter(1, { name: "limiter" });
    const event = new Event({ name: "event" });
    const [sender, receiver] = openChannel<number>(0, { name: "channel" });
    const blocked: Blocked = { lock, semaphore, limiter, event, receiver };
    const received: number[] = [];
    // Filled by assignment, which needs no stack: a `push` at the end of
    // the stack could overflow after the group began, and drop its promise.
    const outcomes: Promise<unknown>[] = new Array(2 * 1_200);
    let started = 0;
    // A task holds the lock and the limiter's one token until the sweep
    // is over, so that every wait on them parks.
    const release = new Event();
    const holder = taskGroup(async (group) => {
      const holding = new Event();
      group.spawn(async () => {
        await lock.acquire();
        await limiter.acquire();
        holding.set();
        await release.wait();
        limiter.release();
        lock.release();
      });
      await holding.wait();
    });
    while (limiter.borrowed === 0) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const thrownSync = sweep(1_200, () => {
      // The index moves only once the call returned (see below).
      let outcome = waitOnAll(blocked, received, false);
      outcomes[started++] = outcome;
      outcome = waitOnAll(blocked, received, true);
      outcomes[started++] = outcome;
    });
    if (thrownSync === 1_200 && remeasured++ < 3) {
      // No margin reached our code (see taskgroup's sweep): measure again.
      round--;
      release.set();
      await holder;
      continue;
    }
    // Watched at once: a group that failed at the end of the stack has
    // rejected already.
    const all = Promise.allSettled(outcomes.slice(0, started));
    // Wake every wait still parked, each once.
    release.set();
    event.set();
    let delivered = 0;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      const waiting = semaphore.statistics().tasksWaiting +
        sender.statistics().tasksWaitingReceive;
      if (waiting === 0) break;
      if (semaphore.statistics().tasksWaiting > 0) semaphore.release();
      if (sender.statistics().tasksWaitingReceive > 0) {
        await new CancelScope().run(() => sender.send(delivered));
        delivered++;
      }
    }
    await holder;
    const settled = await within(all, "a group");
    for (const outcome of settled) {
      if (outcome.status === "rejected") {
        const error = outcome.reason;
        assert.ok(
          error instanceof RangeError || error instanceof TaskGroupError,
          `unexpected ${error}`,
        );
      }
    }
    assert.ok(thrownSync < 1_200);
    assert.deepEqual(lock.statistics().tasksWaiting, 0);
    assert.equal(lock.locked, false, "the lock is still held");
    assert.equal(limiter.borrowed, 0, "a token was never given back");
    assert.equal(limiter.statistics().tasksWaiting, 0);
    assert.equal(semaphore.statistics().tasksWaiting, 0);
    assert.equal(event.statistics().tasksWaiting, 0);
    assert.equal(sender.statistics().tasksWaitingReceive, 0);
    assert.equal(received.length, delivered, "an item was lost");
    assert.equal(new Set(received).size, received.length, "an item came twice");
    assert.deepEqual([...roots()].map(String), []);
  }
});

Deno.test("rule 19: a wait begun right where the stack ends parks, or rejects and leaves no waiter behind", async () => {
  for (let round = 0, remeasured = 0; round < 3; round++) {
    const semaphore = new Semaphore(0, { name: "semaphore" });
    const limiter = new CapacityLimiter(1, { name: "limiter" });
    const event = new Event({ name: "event" });
    const [sender, receiver] = openChannel<number>(0, { name: "channel" });
    limiter.tryAcquire("holder");
    const scope = new CancelScope({ name: "waits" });
    // Filled by assignment, which needs no stack (see above).
    const waits: Promise<unknown>[] = new Array(4 * 1_200);
    let started = 0, thrownSync = 0;
    let all: Promise<PromiseSettledResult<unknown>[]> | undefined;
    // The waits park in `scope`, which stays open until they settle.
    const ran = scope.run(async () => {
      thrownSync = sweep(1_200, (margin) => {
        // The index moves only once the call returned: `waits[i++] = f()`
        // would move it first, and leave a hole if `f` threw.
        let wait: Promise<unknown> = semaphore.acquire();
        waits[started++] = wait;
        wait = event.wait();
        waits[started++] = wait;
        wait = receiver.receive();
        waits[started++] = wait;
        wait = limiter.acquire(margin);
        waits[started++] = wait;
      });
      // Watched at once: a wait that overflowed has rejected already.
      all = Promise.allSettled(waits.slice(0, started));
      await all;
    });
    // Every wait that parked is cancelled, and leaves its queue.
    scope.cancel();
    await ran;
    if (thrownSync === 1_200 && remeasured++ < 3) {
      round--;
      continue;
    }
    for (const outcome of await all!) {
      assert.equal(outcome.status, "rejected");
      const error = (outcome as PromiseRejectedResult).reason;
      assert.ok(
        error instanceof RangeError || error?.name === "Cancelled",
        `unexpected ${error}`,
      );
    }
    assert.ok(thrownSync < 1_200);
    assert.equal(semaphore.statistics().tasksWaiting, 0);
    assert.equal(event.statistics().tasksWaiting, 0);
    assert.equal(sender.statistics().tasksWaitingReceive, 0);
    assert.equal(limiter.statistics().tasksWaiting, 0);
    assert.equal(limiter.borrowed, 1); // the holder's alone
    assert.deepEqual([...roots()].map(String), []);
  }
});

Deno.test("rule 19: a wait whose promise executor overflowed the stack parks nothing, and the unit it would have taken stays free", async () => {
  const semaphore = new Semaphore(0);
  // What V8 does when the call of the executor overflows: the promise
  // constructor catches the RangeError, and the promise rejects with it,
  // the executor never having run.
  const NativePromise = globalThis.Promise;
  function Overflowing(): Promise<never> {
    return NativePromise.reject(
      new RangeError("Maximum call stack size exceeded"),
    );
  }
  let acquired: Promise<void>;
  globalThis.Promise = Overflowing as unknown as PromiseConstructor;
  try {
    acquired = semaphore.acquire();
  } finally {
    globalThis.Promise = NativePromise;
  }
  await assert.rejects(acquired, RangeError);
  assert.equal(semaphore.statistics().tasksWaiting, 0);
  semaphore.release();
  assert.equal(semaphore.value, 1); // not handed to a waiter that is gone
});

Deno.test("rule 19: a waiter left in its queue with nothing to settle (its wait overflowed twice) is passed over by every hand-off, and leaves on its scope's cancellation", async () => {
  const queue = new WaitQueue({}, "waiting on", "");
  const scope = new CancelScope();
  await scope.run(() => {
    // What `wait` leaves when even its cleanup overflows: in the queue,
    // watching, with no `resolve`.
    const gone = new WaitNode(scope, undefined, undefined);
    queue.push(gone);
    const waiting = new WaitNode(undefined, undefined, undefined);
    const woken: unknown[] = [];
    waiting.resolve = (value) => woken.push(value);
    queue.push(waiting);
    const next = queue.shift();
    assert.equal(next, waiting);
    next!.wake("the item");
    assert.deepEqual(woken, ["the item"]);
    assert.equal(queue.size, 0);
    // Alone in the queue, it leaves when its scope is cancelled.
    queue.push(gone);
    scope.cancel();
    gone.cancelled(cancellationOf(scope)!);
    assert.equal(queue.size, 0);
  });
});
