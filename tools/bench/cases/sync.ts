// Copyright the corral authors. MIT license.
/**
 * `@corral/sync` against the npm anchors: an uncontended lock and semaphore
 * (async-mutex), N tasks through a limit of 16 (p-limit, Effect's
 * `Semaphore.withPermits`, Effection), items through a channel at capacity
 * 0 and 64 (a hand-written queue of promise resolvers, Effect's `Queue`,
 * Effection's channel), and the heap cost of an idle channel and of
 * blocked waits (N in one scope, and N tasks blocked in a scope each).
 *
 * @module
 */
import {
  AsyncMutexSemaphore,
  Effect,
  effection,
  EffectSemaphore,
  Mutex,
  pLimit,
  Queue,
} from "../deps.ts";
import {
  type Benchmark,
  type BlockedFn,
  type OpsFn,
  runChild,
  type ScalingFn,
  startLine,
} from "../_harness.ts";
import {
  CapacityLimiter,
  Event,
  Lock,
  openChannel,
  type Receiver,
  Semaphore,
} from "../../../packages/sync/mod.ts";
import { taskGroup } from "../../../packages/taskgroup/mod.ts";
import { CancelScope, sleepForever } from "../../../packages/scope/mod.ts";

// ---------------------------------------------------------------------------
// Uncontended acquire + release

const lockOps: Readonly<Record<string, OpsFn | undefined>> = {
  async asyncMutex(iterations) {
    const mutex = new Mutex();
    let count = 0;
    for (let i = 0; i < iterations; i++) {
      const release = await mutex.acquire();
      count++;
      release();
    }
    return count;
  },
  async corral(iterations) {
    const lock = new Lock();
    let count = 0;
    for (let i = 0; i < iterations; i++) {
      await lock.acquire();
      count++;
      lock.release();
    }
    return count;
  },
};

const semaphoreOps: Readonly<Record<string, OpsFn | undefined>> = {
  async asyncMutex(iterations) {
    const semaphore = new AsyncMutexSemaphore(4);
    let count = 0;
    for (let i = 0; i < iterations; i++) {
      const [, release] = await semaphore.acquire();
      count++;
      release();
    }
    return count;
  },
  async corral(iterations) {
    const semaphore = new Semaphore(4);
    let count = 0;
    for (let i = 0; i < iterations; i++) {
      await semaphore.acquire();
      count++;
      semaphore.release();
    }
    return count;
  },
};

// ---------------------------------------------------------------------------
// N tasks through a limit of 16

const LIMIT = 16;

async function trivial(i: number): Promise<number> {
  await null;
  return i;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** Effection 4 has no semaphore: the smallest one on `withResolvers`. */
function effectionSemaphore(permits: number) {
  const waiters: (() => void)[] = [];
  let head = 0;
  return {
    *acquire(): effection.Operation<void> {
      if (permits > 0) {
        permits--;
        return;
      }
      const { operation, resolve } = effection.withResolvers<void>();
      waiters.push(resolve);
      yield* operation;
    },
    release(): void {
      if (head < waiters.length) waiters[head++]!();
      else permits++;
    },
  };
}

const limit: Readonly<Record<string, ScalingFn | undefined>> = {
  async pLimit(n) {
    const limited = pLimit(LIMIT);
    const tasks: Promise<number>[] = [];
    for (let i = 0; i < n; i++) tasks.push(limited(trivial, i));
    return sum(await Promise.all(tasks));
  },
  effect(n) {
    const items = Array.from({ length: n }, (_, i) => i);
    return Effect.runPromise(Effect.gen(function* () {
      const semaphore = yield* EffectSemaphore.make(LIMIT);
      const withPermit = EffectSemaphore.withPermits(semaphore, 1);
      const values = yield* Effect.forEach(
        items,
        (i) => withPermit(Effect.promise(() => trivial(i))),
        { concurrency: "unbounded" },
      );
      return sum(values);
    }));
  },
  effection(n) {
    return effection.run(function* limited() {
      const semaphore = effectionSemaphore(LIMIT);
      const tasks: effection.Task<number>[] = [];
      for (let i = 0; i < n; i++) {
        tasks.push(
          yield* effection.spawn(function* task() {
            yield* semaphore.acquire();
            try {
              return yield* effection.call(() => trivial(i));
            } finally {
              semaphore.release();
            }
          }),
        );
      }
      let total = 0;
      for (const task of tasks) total += yield* task;
      return total;
    });
  },
  async corral(n) {
    let total = 0;
    await taskGroup((group) => {
      for (let i = 0; i < n; i++) {
        group.spawn(async () => {
          total += await trivial(i);
        });
      }
    }, { limit: LIMIT });
    return total;
  },
  async corralLimiter(n) {
    const limiter = new CapacityLimiter(LIMIT);
    let total = 0;
    await taskGroup((group) => {
      for (let i = 0; i < n; i++) {
        group.spawn(() =>
          limiter.run(async () => void (total += await trivial(i)))
        );
      }
    });
    return total;
  },
};

// ---------------------------------------------------------------------------
// Items through a channel

/** The hand-written floor: a bounded channel made of promise resolvers. */
class ResolverChannel<T> {
  #buffer: T[] = [];
  #bufferHead = 0;
  #receivers: ((item: T) => void)[] = [];
  #receiversHead = 0;
  #senders: { item: T; resolve: () => void }[] = [];
  #sendersHead = 0;
  readonly #capacity: number;
  constructor(capacity: number) {
    this.#capacity = capacity;
  }
  send(item: T): Promise<void> {
    if (this.#receiversHead < this.#receivers.length) {
      const receiver = this.#receivers[this.#receiversHead++]!;
      if (this.#receiversHead === this.#receivers.length) {
        this.#receivers.length = this.#receiversHead = 0;
      }
      receiver(item);
      return Promise.resolve();
    }
    if (this.#buffer.length - this.#bufferHead < this.#capacity) {
      this.#buffer.push(item);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#senders.push({ item, resolve }));
  }
  receive(): Promise<T> {
    const sender = this.#sendersHead < this.#senders.length
      ? this.#senders[this.#sendersHead++]
      : undefined;
    if (this.#sendersHead === this.#senders.length) {
      this.#senders.length = this.#sendersHead = 0;
    }
    if (this.#bufferHead < this.#buffer.length) {
      const item = this.#buffer[this.#bufferHead++]!;
      if (this.#bufferHead === this.#buffer.length) {
        this.#buffer.length = this.#bufferHead = 0;
      }
      if (sender !== undefined) {
        this.#buffer.push(sender.item);
        sender.resolve();
      }
      return Promise.resolve(item);
    }
    if (sender !== undefined) {
      sender.resolve();
      return Promise.resolve(sender.item);
    }
    return new Promise((resolve) => this.#receivers.push(resolve));
  }
}

function channelCases(
  capacity: number,
): Readonly<Record<string, ScalingFn | undefined>> {
  return {
    async resolvers(n) {
      const channel = new ResolverChannel<number>(capacity);
      let total = 0;
      await Promise.all([
        (async () => {
          for (let i = 0; i < n; i++) await channel.send(i);
        })(),
        (async () => {
          for (let i = 0; i < n; i++) total += await channel.receive();
        })(),
      ]);
      return total;
    },
    effect(n) {
      return Effect.runPromise(Effect.gen(function* () {
        // Effect's bounded queue needs a capacity of at least 1.
        const queue = yield* Queue.bounded<number>(Math.max(capacity, 1));
        const producer = Effect.gen(function* () {
          for (let i = 0; i < n; i++) yield* Queue.offer(queue, i);
        });
        const consumer = Effect.gen(function* () {
          let total = 0;
          for (let i = 0; i < n; i++) total += yield* Queue.take(queue);
          return total;
        });
        const [, total] = yield* Effect.all([producer, consumer], {
          concurrency: 2,
        });
        return total;
      }));
    },
    effection(n) {
      return effection.run(function* channel() {
        // Effection's channel has no capacity: sends never wait.
        const channel = effection.createChannel<number, void>();
        const subscription = yield* channel;
        const consumer = yield* effection.spawn(function* consume() {
          let total = 0;
          for (let i = 0; i < n; i++) {
            const next = yield* subscription.next();
            if (!next.done) total += next.value;
          }
          return total;
        });
        for (let i = 0; i < n; i++) yield* channel.send(i);
        return yield* consumer;
      });
    },
    async corral(n) {
      const [sender, receiver] = openChannel<number>(capacity);
      let total = 0;
      await taskGroup((group) => {
        group.spawn(async () => {
          for (let i = 0; i < n; i++) await sender.send(i);
        });
        group.spawn(async () => {
          for (let i = 0; i < n; i++) total += await receiver.receive();
        });
      });
      return total;
    },
  };
}

// ---------------------------------------------------------------------------
// Memory

/**
 * Lets the channels go: the harness's async loop can keep the last round's
 * handle in a stale register, and with it a round's worth of channels.
 */
function drop(keep: unknown[]): number {
  const count = keep.length;
  keep.length = 0;
  return count;
}

const idleChannels: Readonly<Record<string, BlockedFn | undefined>> = {
  resolvers(n) {
    const keep: unknown[] = [];
    for (let i = 0; i < n; i++) keep.push(new ResolverChannel<number>(0));
    return Promise.resolve({ cancelAll: () => Promise.resolve(drop(keep)) });
  },
  corral(n) {
    const keep: unknown[] = [];
    for (let i = 0; i < n; i++) keep.push(openChannel<number>(0));
    return Promise.resolve({ cancelAll: () => Promise.resolve(drop(keep)) });
  },
};

/**
 * Waits started by `start(i)` in one scope, measured while blocked, then
 * cancelled. `cancelAll` lets go of the promises: the harness's loop keeps
 * the last round's handle in a stale register until the next round
 * replaces it, and a round's worth of settled promises freed during the
 * next measurement made it read ~57 bytes per waiter too low.
 */
async function blockedInOneScope(
  n: number,
  start: (i: number) => Promise<unknown>,
): Promise<{ cancelAll(): Promise<unknown> }> {
  const scope = new CancelScope();
  const keep: Promise<unknown>[] = [];
  const line = startLine(1);
  let finish!: () => void;
  const done = scope.run(async () => {
    for (let i = 0; i < n; i++) keep.push(start(i));
    line.arrive();
    await new Promise<void>((resolve) => (finish = resolve));
  });
  await line.all;
  return {
    async cancelAll() {
      // Handled only now, so that the measurement holds no handler.
      const settled = Promise.allSettled(keep);
      scope.cancel();
      await settled;
      finish();
      await done;
      return drop(keep);
    },
  };
}

const blockedReceives: Readonly<Record<string, BlockedFn | undefined>> = {
  resolvers(n) {
    const channel = new ResolverChannel<number>(0);
    const keep: Promise<number>[] = [];
    for (let i = 0; i < n; i++) keep.push(channel.receive());
    return Promise.resolve({
      async cancelAll() {
        for (let i = 0; i < n; i++) await channel.send(i);
        return drop(keep);
      },
    });
  },
  corral(n) {
    const [, receiver] = openChannel<number>(0);
    return blockedInOneScope(n, () => receiver.receive());
  },
};

/** Every kind of blocked wait, N of them in one scope. */
const blockedWaits: Readonly<Record<string, BlockedFn | undefined>> = {
  resolvers: blockedReceives.resolvers,
  receive: blockedReceives.corral,
  send(n) {
    const [sender] = openChannel<number>(0);
    return blockedInOneScope(n, (i) => sender.send(i));
  },
  semaphore(n) {
    const semaphore = new Semaphore(0);
    return blockedInOneScope(n, () => semaphore.acquire());
  },
  limiter(n) {
    // One borrower holds the only token; N more queue (a number each).
    const limiter = new CapacityLimiter(1);
    limiter.tryAcquire(-1);
    return blockedInOneScope(n, (i) => limiter.acquire(i));
  },
  event(n) {
    const event = new Event();
    return blockedInOneScope(n, () => event.wait());
  },
};

/**
 * N tasks each blocked on one wait in its own scope, the usual shape
 * (a lock's waiters are different tasks by definition): against tasks
 * blocked in `sleepForever()`, the difference is what the wait costs,
 * the scope's share of the cancellation registration included.
 */
function blockedTasks(
  block: (lock: Lock, receiver: Receiver<number>) => Promise<unknown>,
): BlockedFn {
  return async (n) => {
    const lock = new Lock();
    const [sender, receiver] = openChannel<number>(0);
    const line = startLine(n);
    let cancel!: () => void;
    const done = taskGroup(async (group) => {
      cancel = () => group.cancel();
      await lock.acquire();
      for (let i = 0; i < n; i++) {
        group.spawn(async () => {
          line.arrive();
          await block(lock, receiver);
        });
      }
    });
    await line.all;
    return {
      cancelAll: async () => {
        cancel();
        await done;
        return sender;
      },
    };
  };
}

const blockedTaskWaits: Readonly<Record<string, BlockedFn | undefined>> = {
  sleepForever: blockedTasks(() => sleepForever()),
  lock: blockedTasks((lock) => lock.acquire()),
  receive: blockedTasks((_, receiver) => receiver.receive()),
};

export const benchmarks: readonly Benchmark[] = [
  {
    kind: "ops",
    name: "sync/lock",
    title: "uncontended lock: acquire + release",
    baseline: "asyncMutex",
    targets: { corral: 1.0 },
    legend: {
      asyncMutex: "async-mutex `Mutex`: `release = await acquire(); release()`",
      corral: "`await lock.acquire(); lock.release()` (a checkpoint each)",
    },
    implementations: lockOps,
  },
  {
    kind: "ops",
    name: "sync/semaphore",
    title: "uncontended semaphore (4 units): acquire + release",
    baseline: "asyncMutex",
    targets: { corral: 1.0 },
    legend: {
      asyncMutex: "async-mutex `Semaphore(4)`",
      corral: "`await semaphore.acquire(); semaphore.release()`",
    },
    implementations: semaphoreOps,
  },
  {
    kind: "scaling",
    name: "sync/limit-16",
    title: "N trivial tasks (one await each) through a limit of 16",
    baseline: "pLimit",
    sizes: [10_000, 100_000],
    legend: {
      pLimit: "p-limit: `Promise.all` over N `limit(fn)`",
      effect:
        "`Effect.forEach` (unbounded) of `Semaphore.withPermits(sem, 1)(Effect.promise(fn))`",
      effection:
        "N × `spawn`, each acquires a semaphore on `withResolvers` (Effection has none)",
      corral: "`taskGroup(body, { limit: 16 })` + N × `spawn`",
      corralLimiter:
        "`taskGroup` + N × `spawn(() => limiter.run(fn))`, one CapacityLimiter(16)",
    },
    implementations: limit,
  },
  {
    kind: "scaling",
    name: "sync/channel-0",
    title: "N items through a rendezvous channel, one producer, one consumer",
    baseline: "resolvers",
    sizes: [100_000, 1_000_000],
    legend: {
      resolvers: "a hand-written channel of promise resolvers, no cancellation",
      effect: "`Queue.bounded(1)` (Effect needs a capacity ≥ 1), offer/take",
      effection: "`createChannel` (no capacity: sends never wait)",
      corral: "`openChannel(0)`, two tasks of a group",
    },
    implementations: channelCases(0),
  },
  {
    kind: "scaling",
    name: "sync/channel-64",
    title:
      "N items through a channel of capacity 64, one producer, one consumer",
    baseline: "resolvers",
    sizes: [100_000, 1_000_000],
    legend: {
      resolvers: "a hand-written channel of promise resolvers, no cancellation",
      effect: "`Queue.bounded(64)`, offer/take",
      effection: "`createChannel` (no capacity: sends never wait)",
      corral: "`openChannel(64)`, two tasks of a group",
    },
    implementations: channelCases(64),
  },
  {
    kind: "memory",
    name: "memory/idle-channel",
    title: "heap bytes per idle channel (both ends), at N channels",
    baseline: "resolvers",
    sizes: [100_000],
    legend: {
      resolvers: "one hand-written resolver channel",
      corral: "`openChannel(0)`: the `[sender, receiver]` pair",
    },
    implementations: idleChannels,
  },
  {
    kind: "memory",
    name: "memory/blocked-receive",
    title: "heap bytes per blocked receive (its promise included), at N",
    baseline: "resolvers",
    sizes: [100_000],
    legend: {
      resolvers: "a pending promise and its resolver in an array",
      corral: "`receiver.receive()` inside a scope: cancellable, O(1) removal",
    },
    implementations: blockedReceives,
  },
  {
    kind: "memory",
    name: "memory/blocked-wait",
    title: "heap bytes per blocked wait of each kind, N in one scope",
    baseline: "resolvers",
    sizes: [100_000],
    legend: {
      resolvers: "a pending promise and its resolver in an array",
      receive: "`receiver.receive()` on `openChannel(0)`",
      send: "`sender.send(i)` on `openChannel(0)`",
      semaphore: "`acquire()` of a `Semaphore(0)`",
      limiter: "`acquire(i)` of a `CapacityLimiter(1)` whose token is lent",
      event: "`wait()` of an `Event` never set",
    },
    implementations: blockedWaits,
  },
  {
    kind: "memory",
    name: "memory/blocked-task",
    title: "heap bytes per task blocked in its own scope, N tasks of a group",
    baseline: "sleepForever",
    sizes: [100_000],
    legend: {
      sleepForever: "`sleepForever()`: the scope's own wait, the floor",
      lock: "`lock.acquire()` of a held `Lock`",
      receive: "`receiver.receive()` on `openChannel(0)`",
    },
    implementations: blockedTaskWaits,
  },
];

if (import.meta.main) await runChild(benchmarks);
