// Copyright the corral authors. MIT license.
// Trio's generic lock tests (test_sync.py: test_generic_lock_exclusion,
// _fifo_fairness, _acquire_nowait_blocks_acquire), run over every
// primitive that can act as a lock, channels included.
import assert from "node:assert/strict";
import { checkpoint } from "@corral/scope";
import { taskGroup } from "@corral/taskgroup";
import {
  CapacityLimiter,
  Lock,
  openChannel,
  type Receiver,
  Semaphore,
  type Sender,
  WouldBlock,
} from "./mod.ts";
import { allBlocked, onClock } from "./_test_helpers.ts";

interface LockLike {
  acquire(): Promise<void>;
  tryAcquire(): boolean;
  release(): void;
}

/** Trio ChannelLock1: a token is sent to hold the lock. */
class ChannelLock1 implements LockLike {
  s: Sender<null>;
  r: Receiver<null>;
  constructor(capacity: number) {
    [this.s, this.r] = openChannel<null>(capacity);
    for (let i = 0; i < capacity - 1; i++) this.s.trySend(null);
  }
  acquire = () => this.s.send(null);
  tryAcquire = () => this.s.trySend(null);
  release = () => void this.r.tryReceive();
}

/** Trio ChannelLock2: a token is received to hold the lock. */
class ChannelLock2 implements LockLike {
  s: Sender<null>;
  r: Receiver<null>;
  constructor() {
    [this.s, this.r] = openChannel<null>(10);
    this.s.trySend(null);
  }
  acquire = () => this.r.receive().then(() => {});
  tryAcquire = () => {
    try {
      this.r.tryReceive();
      return true;
    } catch (error) {
      if (error instanceof WouldBlock) return false;
      throw error;
    }
  };
  release = () => void this.s.trySend(null);
}

/** Trio ChannelLock3: a rendezvous channel hands the lock over. */
class ChannelLock3 implements LockLike {
  s: Sender<null>;
  r: Receiver<null>;
  acquired = false;
  constructor() {
    [this.s, this.r] = openChannel<null>(0);
  }
  acquire = async () => {
    if (this.acquired) await this.s.send(null);
    else {
      this.acquired = true;
      await checkpoint();
    }
  };
  tryAcquire = () => {
    if (this.acquired) return false;
    this.acquired = true;
    return true;
  };
  release = () => {
    try {
      this.r.tryReceive();
    } catch (error) {
      if (!(error instanceof WouldBlock)) throw error;
      this.acquired = false;
    }
  };
}

/** Each task's own view of a lock owned per task. */
const factories: [string, () => LockLike][] = [
  ["CapacityLimiter(1)", () => new CapacityLimiter(1)],
  ["Semaphore(1)", () => new Semaphore(1)],
  ["Lock", () => new Lock()],
  ["ChannelLock1(10)", () => new ChannelLock1(10)],
  ["ChannelLock1(1)", () => new ChannelLock1(1)],
  ["ChannelLock2", () => new ChannelLock2()],
  ["ChannelLock3", () => new ChannelLock3()],
];

async function run(lock: LockLike, fn: () => void | Promise<void>) {
  await lock.acquire();
  try {
    await fn();
  } finally {
    lock.release();
  }
}

for (const [name, factory] of factories) {
  Deno.test(`${name}: Trio test_generic_lock_exclusion`, async () => {
    await onClock(async () => {
      const LOOPS = 10, WORKERS = 5;
      let inCriticalSection = false, acquires = 0;
      const lock = factory();
      await taskGroup((group) => {
        for (let w = 0; w < WORKERS; w++) {
          group.spawn(async () => {
            for (let i = 0; i < LOOPS; i++) {
              await run(lock, async () => {
                acquires++;
                assert.ok(!inCriticalSection);
                inCriticalSection = true;
                await checkpoint();
                await checkpoint();
                assert.ok(inCriticalSection);
                inCriticalSection = false;
              });
            }
          });
        }
      });
      assert.ok(!inCriticalSection);
      assert.equal(acquires, LOOPS * WORKERS);
    });
  });

  Deno.test(`${name}: Trio test_generic_lock_fifo_fairness`, async () => {
    await onClock(async () => {
      const initialOrder: number[] = [], record: number[] = [];
      const LOOPS = 5;
      const lock = factory();
      await taskGroup((group) => {
        for (const id of [1, 2, 3]) {
          group.spawn(async () => {
            initialOrder.push(id);
            for (let i = 0; i < LOOPS; i++) {
              await run(lock, () => void record.push(id));
            }
          });
        }
      });
      for (let i = 0; i < LOOPS; i++) {
        assert.deepEqual(record.slice(3 * i, 3 * (i + 1)), initialOrder);
      }
    });
  });

  Deno.test(`${name}: Trio test_generic_lock_acquire_nowait_blocks_acquire`, async () => {
    await onClock(async () => {
      const lock = factory();
      const record: string[] = [];
      await taskGroup(async (group) => {
        assert.ok(lock.tryAcquire());
        group.spawn(async () => {
          record.push("started");
          await run(lock, () => {});
          record.push("finished");
        });
        await allBlocked();
        assert.deepEqual(record, ["started"]);
        lock.release();
      });
      assert.deepEqual(record, ["started", "finished"]);
    });
  });
}
