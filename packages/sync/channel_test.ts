// Copyright the corral authors. MIT license.
// Tests of openChannel (Trio test_channel.py, AnyIO tests/streams/test_memory.py).
import assert from "node:assert/strict";
import { CancelScope, moveOnAfter, sleep } from "@corral/scope";
import { taskGroup } from "@corral/taskgroup";
import {
  BrokenResourceError,
  ClosedResourceError,
  EndOfChannel,
  openChannel,
  WouldBlock,
} from "./mod.ts";
import {
  allBlocked,
  assertCancelled,
  busyWait,
  onClock,
  rejection,
} from "./_test_helpers.ts";

Deno.test("openChannel: Trio test_channel: buffer of 1, send, receive, iteration, close", async () => {
  await onClock(async () => {
    assert.throws(() => openChannel(1.5), RangeError);
    assert.throws(() => openChannel(-1), RangeError);
    const [s, r] = openChannel<number | string>(1);
    await s.send(1);
    assert.throws(() => r.tryReceive() === 1 && r.tryReceive(), WouldBlock);
    assert.ok(s.trySend(2));
    assert.ok(!s.trySend(3));
    await taskGroup(async (group) => {
      group.spawn(() => s.send(3)); // blocks: the buffer is full
      await allBlocked();
      assert.equal(await r.receive(), 2);
      assert.equal(await r.receive(), 3);
    });
    for (let i = 10; i < 13; i++) {
      await taskGroup((group) => {
        group.spawn(() => s.send(i));
      });
      assert.equal(await r.receive(), i);
    }
    s.close();
    assert.throws(() => s.trySend("x"), ClosedResourceError);
    await assert.rejects(s.send("x"), ClosedResourceError);
    await assert.rejects(r.receive(), EndOfChannel);
    assert.throws(() => r.tryReceive(), EndOfChannel);
  });
});

Deno.test("openChannel: Trio test_553: a receive cancelled by a timeout does not eat the next item", async () => {
  await onClock(async () => {
    const [s, r] = openChannel<string>(1);
    assert.equal(await moveOnAfter(10, () => r.receive()), undefined);
    await s.send("Test for PR #553");
    assert.equal(r.tryReceive(), "Test for PR #553");
  });
});

Deno.test("openChannel: Trio test_channel_multiple_producers and _multiple_consumers", async () => {
  await onClock(async () => {
    const [s, r] = openChannel<number>(3);
    const producer = async (send: typeof s, offset: number) => {
      for (let i = offset; i < 30; i += 3) await send.send(i);
      send.close();
    };
    const got: number[] = [];
    await taskGroup((group) => {
      group.spawn(() => producer(s, 0));
      group.spawn(() => producer(s.clone(), 1));
      group.spawn(() => producer(s.clone(), 2));
      group.spawn(async () => {
        for await (const n of r) got.push(n);
      });
    });
    assert.deepEqual(got.sort((a, b) => a - b), [...Array(30).keys()]);

    const [s2, r2] = openChannel<number>(1);
    const seen = new Map<number, number>();
    await taskGroup((group) => {
      for (let c = 0; c < 5; c++) {
        group.spawn(async () => {
          for await (const n of r2) seen.set(n, (seen.get(n) ?? 0) + 1);
        });
      }
      group.spawn(async () => {
        for (let i = 0; i < 10; i++) await s2.send(i);
        s2.close();
      });
    });
    assert.deepEqual([...seen.keys()].sort((a, b) => a - b), [
      ...Array(10).keys(),
    ]);
    assert.ok([...seen.values()].every((count) => count === 1));
  });
});

Deno.test("openChannel: Trio test_close_basics: closing one side wakes the other with EndOfChannel or BrokenResourceError", async () => {
  await onClock(async () => {
    for (const capacity of [0, 1, Infinity]) {
      const [s, r] = openChannel<null>(capacity);
      s.close();
      s.close(); // idempotent
      assert.throws(() => s.trySend(null), ClosedResourceError);
      await assert.rejects(s.send(null), ClosedResourceError);
      assert.throws(() => s.clone(), ClosedResourceError);
      assert.throws(() => r.tryReceive(), EndOfChannel);
      await assert.rejects(r.receive(), EndOfChannel);

      const [s2, r2] = openChannel<null>(capacity);
      r2.close();
      assert.throws(() => s2.trySend(null), BrokenResourceError);
      await assert.rejects(s2.send(null), BrokenResourceError);
      assert.throws(() => r2.tryReceive(), ClosedResourceError);
      await assert.rejects(r2.receive(), ClosedResourceError);
      assert.throws(() => r2.clone(), ClosedResourceError);
    }
    // Blocked waits are woken.
    const [s, r] = openChannel<null>(0);
    await taskGroup(async (group) => {
      const receiving = group.spawn(() => r.receive());
      await allBlocked();
      s.close();
      await assert.rejects(receiving.result, EndOfChannel);
    }).catch(() => {});
    const [s3, r3] = openChannel<null>(0);
    await taskGroup(async (group) => {
      const sending = group.spawn(() => s3.send(null));
      await allBlocked();
      r3.close();
      await assert.rejects(sending.result, BrokenResourceError);
    }).catch(() => {});
    assert.equal(s3.statistics().tasksWaitingSend, 0);
  });
});

Deno.test("openChannel: Trio test_close_sync: a handle closed under its own blocked wait fails it with ClosedResourceError", async () => {
  await onClock(async () => {
    const [s, r] = openChannel<number>(0);
    const sending = s.send(1).then(() => "sent", (e) => e);
    const r2 = r.clone();
    const receiving = r2.receive().then(() => "got", (e) => e);
    // `receiving` took the item from the blocked send; start over.
    assert.equal(await sending, "sent");
    assert.equal(await receiving, "got");
    const blockedSend = s.send(2).catch((e) => e);
    s.close();
    assert.ok(await blockedSend instanceof ClosedResourceError);
    const blockedReceive = r2.receive().catch((e) => e);
    r2.close();
    assert.ok(await blockedReceive instanceof EndOfChannel); // s was the last sender
  });
});

Deno.test("openChannel: Trio test_receive_channel_clone_and_close / test_close_multiple_send_handles: the channel ends when every clone is closed", async () => {
  await onClock(async () => {
    const [s, r] = openChannel<string>(Infinity);
    const s2 = s.clone();
    s.close();
    await s2.send("still open");
    assert.equal(r.statistics().openSenders, 1);
    const r2 = r.clone();
    r.close();
    assert.equal(await r2.receive(), "still open");
    s2.close();
    await assert.rejects(r2.receive(), EndOfChannel);
    // AnyIO test_clone: clones of both ends keep working after the originals close.
    const [s3, r3] = openChannel<string>(1);
    const s4 = s3.clone(), r4 = r3.clone();
    s3.close();
    r3.close();
    assert.ok(s4.trySend("hello"));
    assert.equal(r4.tryReceive(), "hello");
  });
});

Deno.test("openChannel: the last receiver's close drops the buffer (Trio) and breaks every blocked sender", async () => {
  await onClock(async () => {
    const [s, r] = openChannel<number>(2);
    await s.send(1);
    await s.send(2);
    const blocked = s.send(3).catch((e) => e);
    r.close();
    assert.ok(await blocked instanceof BrokenResourceError);
    assert.equal(s.statistics().bufferUsed, 0);
  });
});

Deno.test("openChannel: Trio test_inf_capacity", async () => {
  const [s, r] = openChannel<number>(Infinity);
  for (let i = 0; i < 10; i++) assert.ok(s.trySend(i));
  s.close();
  const got: number[] = [];
  for await (const n of r) got.push(n);
  assert.deepEqual(got, [...Array(10).keys()]);
});

Deno.test("openChannel: Trio test_statistics", async () => {
  await onClock(async () => {
    const [s, r] = openChannel<number>(2, { name: "stats" });
    assert.equal(s.statistics().capacity, 2);
    assert.equal(r.statistics().bufferUsed, 0);
    const s2 = s.clone();
    s.close();
    assert.equal(s.statistics().openSenders, 1);
    assert.equal(r.statistics().openReceivers, 1);
    s2.trySend(0);
    assert.equal(s2.statistics().bufferUsed, 1);
    assert.equal(s2.statistics().peakBufferUsed, 1);
    await taskGroup(async (group) => {
      s2.trySend(1);
      group.spawn(() => s2.send(2));
      await allBlocked();
      assert.equal(r.statistics().tasksWaitingSend, 1);
      assert.equal(r.statistics().peakBufferUsed, 2);
      group.cancel();
    });
    r.tryReceive();
    r.tryReceive();
    await taskGroup(async (group) => {
      group.spawn(() => r.receive());
      await allBlocked();
      assert.equal(r.statistics().tasksWaitingReceive, 1);
      group.cancel();
    });
    assert.equal(r.statistics().tasksWaitingReceive, 0);
    assert.equal(String(s2), 'Sender "stats" (open, 0/2 buffered)');
  });
});

Deno.test("openChannel: Trio test_channel_fairness: a waiting receiver owns the next item; a waiting sender owns the freed slot", async () => {
  await onClock(async () => {
    const [s, r] = openChannel<number>(1);
    assert.ok(s.trySend(1));
    assert.equal(r.tryReceive(), 1);
    assert.ok(s.trySend(2));
    assert.equal(r.tryReceive(), 2);

    let result: number | undefined;
    await taskGroup(async (group) => {
      group.spawn(async () => {
        result = await r.receive();
      });
      await allBlocked();
      assert.ok(s.trySend(2));
      assert.throws(() => r.tryReceive(), WouldBlock);
    });
    assert.equal(result, 2);

    assert.ok(s.trySend(1));
    assert.ok(!s.trySend(0));
    await taskGroup(async (group) => {
      group.spawn(() => s.send(2));
      await allBlocked();
      assert.equal(r.tryReceive(), 1);
      assert.ok(!s.trySend(3)); // the freed slot went to the waiting sender
      assert.equal(await r.receive(), 2);
    });
  });
});

Deno.test("openChannel: Trio test_unbuffered: capacity 0 is a rendezvous", async () => {
  await onClock(async () => {
    const [s, r] = openChannel<number>(0);
    assert.ok(!s.trySend(1));
    assert.throws(() => r.tryReceive(), WouldBlock);
    await taskGroup(async (group) => {
      group.spawn(async () => {
        assert.equal(await r.receive(), 1);
      });
      await allBlocked();
      assert.ok(s.trySend(1));
      assert.ok(!s.trySend(2));
    });
    await taskGroup(async (group) => {
      group.spawn(() => s.send(3));
      await allBlocked();
      assert.equal(r.tryReceive(), 3);
      assert.throws(() => r.tryReceive(), WouldBlock);
    });
  });
});

Deno.test("openChannel: AnyIO test_cancel_send / test_cancel_receive: a cancelled send did not deliver, a cancelled receive took nothing", async () => {
  await onClock(async () => {
    const [s, r] = openChannel<string>(0);
    await taskGroup(async (group) => {
      group.spawn(() => r.receive());
      await allBlocked();
      group.cancel();
    });
    assert.ok(!s.trySend("hello")); // nobody receives: it would block
    await taskGroup(async (group) => {
      group.spawn(() => s.send("hello"));
      await allBlocked();
      group.cancel();
    });
    assert.throws(() => r.tryReceive(), WouldBlock);
  });
});

Deno.test("openChannel: a receiver that waits for every item reuses the woken wait's node, and each wait is still cancellable and takes nothing once cancelled (rule 17)", async () => {
  await onClock(async () => {
    const [s, r] = openChannel<number>(0);
    const got: number[] = [];
    await taskGroup(async (group) => {
      const receiver = group.spawn(async () => {
        for (;;) got.push(await r.receive()); // blocks for every item
      });
      for (let i = 0; i < 5; i++) {
        await allBlocked();
        assert.ok(s.trySend(i)); // wakes the waiting receive
      }
      await allBlocked();
      receiver.cancel(); // the sixth wait, on a reused node
    });
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
    assert.ok(!s.trySend(5)); // the cancelled wait left the queue
    // Another task's receive gets a node of its own and the next item;
    // two receives at once in that task, with a spare node about, are two
    // waits, each given one item.
    await taskGroup(async (group) => {
      const next = group.spawn(async () => {
        const first = await r.receive();
        return [first, ...await Promise.all([r.receive(), r.receive()])];
      });
      for (const item of [6, 7, 8]) {
        await allBlocked();
        assert.ok(s.trySend(item));
      }
      assert.deepEqual(await next.result, [6, 7, 8]);
    });
  });
});

Deno.test("openChannel: AnyIO test_cancel_during_receive: an item handed over before the cancel is still returned", async () => {
  await onClock(async () => {
    const [s, r] = openChannel<string>(0);
    const got: string[] = [];
    await taskGroup(async (group) => {
      const receiver = group.spawn(async () => {
        got.push(await r.receive()); // the item is ours once handed over
      });
      await allBlocked();
      assert.ok(s.trySend("hello"));
      receiver.cancel();
    });
    assert.deepEqual(got, ["hello"]);
  });
});

Deno.test("openChannel: every send and receive is a checkpoint: it throws in a cancelled scope even when it would not wait, and changes nothing", async () => {
  const [s, r] = openChannel<number>(1);
  const scope = new CancelScope();
  await scope.run(async () => {
    scope.cancel();
    await assertCancelled(s.send(1));
    assert.equal(s.statistics().bufferUsed, 0);
    assert.ok(s.trySend(1)); // not a checkpoint
    await assertCancelled(r.receive());
    assert.equal(r.statistics().bufferUsed, 1);
    // Misuse is reported after the cancellation, as in Trio.
    const [closed] = openChannel<number>(1);
    closed.close();
    await assertCancelled(closed.send(1));
  });
  assert.equal(await r.receive(), 1);
});

Deno.test("openChannel: a receive whose deadline passed before its timer fired gets no item (AnyIO #728)", async () => {
  // The real clock: a mock clock's advance() fires the deadline at once.
  // A 100 ms timeout, not 2: a stall of the machine between entering the
  // scope and the wait must not let the deadline pass before the wait.
  const [s, r] = openChannel<number>(0);
  const got: number[] = [];
  await taskGroup(async (group) => {
    group.spawn(() =>
      new CancelScope({ timeout: 100 }).run(async () => {
        got.push(await r.receive());
      })
    );
    for (let i = 0; i < 20; i++) await null; // every task is waiting now
    assert.equal(s.statistics().tasksWaitingReceive, 1);
    busyWait(101);
    assert.ok(!s.trySend(1)); // the only receiver is already cancelled
    assert.equal(s.statistics().tasksWaitingReceive, 0);
  });
  assert.deepEqual(got, []);
});

Deno.test("Receiver: for await: break does not close the handle; the loop ends at EndOfChannel", async () => {
  const [s, r] = openChannel<number>(Infinity);
  for (let i = 0; i < 4; i++) s.trySend(i);
  s.close();
  for await (const n of r) if (n === 1) break;
  assert.ok(!r.closed);
  const rest: number[] = [];
  for await (const n of r) rest.push(n);
  assert.deepEqual(rest, [2, 3]);
  {
    using r2 = r.clone();
    assert.ok(!r2.closed);
  }
  assert.equal(r.statistics().openReceivers, 1);
});

Deno.test("openChannel: a loop of sends into a buffer that never fills still lets timers run (rule 2)", async () => {
  const [s, r] = openChannel<number>(1);
  let fired = false;
  const timer = setTimeout(() => fired = true, 0);
  const start = performance.now();
  while (!fired && performance.now() - start < 1000) {
    await s.send(1);
    await r.receive();
  }
  clearTimeout(timer);
  assert.ok(fired);
  await sleep(0);
});

Deno.test("openChannel: errors name the channel", async () => {
  const [s, r] = openChannel<number>(0, { name: "jobs" });
  r.close();
  assert.match(
    String(await rejection(s.send(1))),
    /^BrokenResourceError: Cannot send on channel "jobs" sender: every receiver is closed$/,
  );
  s.close();
  assert.throws(
    () => s.trySend(1),
    /^ClosedResourceError: Cannot send on channel "jobs" sender: it is closed$/,
  );
});

Deno.test("Receiver: for await: a ready item is a checkpoint too: a cancelled scope's next() throws and takes nothing (rule 1)", async () => {
  const [s, r] = openChannel<number>(Infinity);
  for (let i = 0; i < 3; i++) s.trySend(i);
  const iterator = r[Symbol.asyncIterator]();
  assert.deepEqual(await iterator.next(), { done: false, value: 0 });
  const scope = new CancelScope();
  await scope.run(async () => {
    scope.cancel();
    await assertCancelled(iterator.next());
  });
  assert.equal(r.statistics().bufferUsed, 2);
  assert.deepEqual(await iterator.next(), { done: false, value: 1 });
});

Deno.test("Receiver: for await over a buffer that never runs dry still lets timers run (rule 2)", async () => {
  const [s, r] = openChannel<number>(Infinity);
  const total = 1_000_000;
  for (let i = 0; i < total; i++) s.trySend(i);
  let fired = false;
  const timer = setTimeout(() => fired = true, 0);
  let seen = 0;
  for await (const _ of r) {
    if (fired) break;
    seen++;
  }
  clearTimeout(timer);
  assert.ok(fired);
  assert.ok(seen < total, `the timer fired only after all ${total} items`);
  r.close();
});

Deno.test("Receiver: for await hands over a thenable item settled, as receive() does, ready or waited for", async () => {
  const [s, r] = openChannel<unknown>(Infinity);
  const boom = new Error("boom");
  s.trySend(Promise.resolve("settled"));
  s.trySend({ then: (resolve: (v: unknown) => void) => resolve("thenable") });
  // Marked handled: it waits in the buffer across the awaits before it.
  const rejected = Promise.reject(boom);
  rejected.catch(() => {});
  s.trySend(rejected);
  const iterator = r[Symbol.asyncIterator]();
  assert.deepEqual(await iterator.next(), { done: false, value: "settled" });
  assert.deepEqual(await iterator.next(), { done: false, value: "thenable" });
  assert.equal(await rejection(iterator.next()), boom);
  // A `then` getter that throws: the item fails the next(), as it fails
  // receive() (a promise resolved with it rejects).
  const getter = {
    get then(): never {
      throw boom;
    },
  };
  s.trySend(getter);
  assert.equal(await rejection(iterator.next()), boom);
  s.trySend(getter);
  assert.equal(await rejection(r.receive()), boom);
  // The same from a waiting receive.
  const [s0, r0] = openChannel<unknown>(0);
  await taskGroup((group) => {
    group.spawn(async () => {
      await s0.send(Promise.resolve("late"));
      s0.close();
    });
    group.spawn(async () => {
      const items: unknown[] = [];
      for await (const item of r0) items.push(item);
      assert.deepEqual(items, ["late"]);
    });
  });
});
