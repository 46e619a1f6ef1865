// Copyright the corral authors. MIT license.
// Property tests (fast-check): random trees of task groups whose tasks send
// and receive on one channel, some holding a Lock, a CapacityLimiter or a
// Semaphore around each operation, with random sleeps, timeouts and cancellations of
// tasks and groups, and an overall deadline. Checked on each (rule 17):
// every item whose send returned is received or still buffered, exactly
// once; an item whose send was cancelled is nowhere; the lock and the
// limiter are free with nobody waiting; the lock was never held twice.
// On failure fast-check prints the seed and the smallest program it found.
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { moveOnAfter, sleep } from "@corral/scope";
import { type TaskGroup, taskGroup } from "@corral/taskgroup";
import {
  CapacityLimiter,
  Lock,
  openChannel,
  Semaphore,
  WouldBlock,
} from "./mod.ts";
import { onClock } from "./_test_helpers.ts";

const maybe = (max: number) =>
  fc.option(fc.integer({ min: 0, max }), { nil: undefined });

const actor = fc.record({
  kind: fc.constantFrom("producer" as const, "consumer" as const),
  count: fc.integer({ min: 1, max: 5 }),
  lock: fc.boolean(),
  limiter: fc.boolean(),
  semaphore: fc.boolean(),
  pause: fc.integer({ min: 0, max: 3 }),
  timeout: maybe(20),
  cancelAt: maybe(20),
  node: fc.nat(),
});

const program = fc.record({
  capacity: fc.constantFrom(0, 1, 3, Infinity),
  total: fc.integer({ min: 1, max: 3 }),
  nodes: fc.array(
    fc.record({ parent: fc.nat(), cancelAt: maybe(30), limited: fc.boolean() }),
    {
      maxLength: 4,
    },
  ),
  groupLimit: fc.integer({ min: 1, max: 3 }),
  actors: fc.array(actor, { minLength: 1, maxLength: 8 }),
});

type Program = typeof program extends fc.Arbitrary<infer P> ? P : never;

async function check(p: Program): Promise<void> {
  const [sender, receiver] = openChannel<number>(p.capacity);
  const lock = new Lock();
  const limiter = new CapacityLimiter(p.total);
  const semaphore = new Semaphore(p.total, { max: p.total });
  // Shared by the groups marked `limited` (taskGroup's `limiter` option).
  const groupLimiter = new CapacityLimiter(p.groupLimit);
  const sent = new Set<number>();
  const received: number[] = [];
  let nextItem = 0, inLock = 0;
  const nodeCount = p.nodes.length + 1;

  const guarded = (a: Program["actors"][number], op: () => Promise<void>) => {
    let fn = op;
    if (a.lock) {
      const inner = fn;
      fn = () =>
        lock.run(async () => {
          assert.equal(++inLock, 1, "the lock is held once");
          try {
            await inner();
          } finally {
            inLock--;
          }
        });
    }
    if (a.limiter) {
      const inner = fn;
      fn = () => limiter.run(inner);
    }
    if (a.semaphore) {
      const inner = fn;
      fn = () => semaphore.run(inner);
    }
    return fn();
  };

  const runActor = async (a: Program["actors"][number]) => {
    assert.ok(groupLimiter.borrowed <= p.groupLimit, "group limit held");
    for (let i = 0; i < a.count; i++) {
      if (a.kind === "producer") {
        const item = nextItem++;
        await guarded(a, async () => {
          await sender.send(item);
          sent.add(item);
        });
      } else {
        await guarded(a, async () => {
          received.push(await receiver.receive());
        });
      }
      await sleep(a.pause);
    }
  };

  const runNode = (id: number, group: TaskGroup) => {
    const cancelAt = id === 0 ? undefined : p.nodes[id - 1]!.cancelAt;
    if (cancelAt !== undefined) {
      group.spawn(async () => {
        await sleep(cancelAt);
        group.cancel();
      });
    }
    for (let k = 0; k < p.nodes.length; k++) {
      if (p.nodes[k]!.parent % (k + 1) === id) {
        group.spawn(() =>
          taskGroup(
            (child) => runNode(k + 1, child),
            p.nodes[k]!.limited ? { limiter: groupLimiter } : undefined,
          )
        );
      }
    }
    for (const a of p.actors) {
      if (a.node % nodeCount !== id) continue;
      const task = group.spawn(() =>
        a.timeout === undefined
          ? runActor(a)
          : moveOnAfter(a.timeout, () => runActor(a))
      );
      if (a.cancelAt !== undefined) {
        group.spawn(async () => {
          await sleep(a.cancelAt!);
          task.cancel();
        });
      }
    }
  };

  await moveOnAfter(100, () => taskGroup((root) => runNode(0, root)));

  const drained: number[] = [];
  for (;;) {
    try {
      drained.push(receiver.tryReceive());
    } catch (error) {
      if (error instanceof WouldBlock) break;
      throw error;
    }
  }
  const all = [...received, ...drained];
  assert.equal(new Set(all).size, all.length, "no item received twice");
  assert.deepEqual(
    new Set(all),
    sent,
    "every item whose send returned arrived, and no other",
  );
  totals.sent += sent.size;
  totals.attempted += nextItem;
  const stats = sender.statistics();
  assert.equal(stats.tasksWaitingSend + stats.tasksWaitingReceive, 0);
  assert.ok(!lock.locked, "the lock is free");
  assert.equal(lock.statistics().tasksWaiting, 0);
  assert.equal(limiter.borrowed, 0, "no token leaked");
  assert.equal(limiter.statistics().tasksWaiting, 0);
  assert.equal(semaphore.value, p.total, "no semaphore unit leaked");
  assert.equal(semaphore.statistics().tasksWaiting, 0);
  assert.equal(groupLimiter.borrowed, 0, "no group slot leaked");
  assert.equal(groupLimiter.statistics().tasksWaiting, 0);
  assert.ok(groupLimiter.statistics().total === p.groupLimit);
}

const totals = { sent: 0, attempted: 0 };

Deno.test("property: channels, locks and limiters under random cancellation lose, duplicate and leak nothing (rule 17)", async () => {
  await fc.assert(
    fc.asyncProperty(program, (p) => onClock(() => check(p))),
    { numRuns: 1000 },
  );
  // The programs did deliver items, and cancelled some sends.
  assert.ok(totals.sent > 1000, `${totals.sent} items sent`);
  assert.ok(totals.attempted > totals.sent);
});
