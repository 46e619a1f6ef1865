// Copyright the corral authors. MIT license.
/**
 * Streams (`@corral/stream`): N items from a producer to a `for await`
 * consumer, against the bare `@corral/sync` channel doing the same hand-off
 * and against Effect and Effection streams; and `mapStream` against a
 * hand-written pool of workers reading an array.
 *
 * @module
 */
import { Effect, effection, Queue, Stream } from "../deps.ts";
import { type Benchmark, runChild, type ScalingFn } from "../_harness.ts";
import { mapStream } from "../../../packages/stream/mod.ts";
import {
  ArrayIterator,
  channel,
  double,
  pool,
  produced,
} from "../_stream_work.ts";

function effectStream(n: number, bufferSize: number): Promise<number> {
  let sum = 0;
  const stream = Stream.callback<number>((queue) =>
    Effect.gen(function* () {
      for (let i = 0; i < n; i++) yield* Queue.offer(queue, i);
      yield* Queue.end(queue);
    }), { bufferSize });
  return Effect.runPromise(
    Stream.runForEach(stream, (item) => Effect.sync(() => void (sum += item))),
  ).then(() => sum);
}

function effectionStream(n: number): Promise<number> {
  return effection.run(function* () {
    const channel = effection.createChannel<number, void>();
    const subscription = yield* channel;
    yield* effection.spawn(function* () {
      for (let i = 0; i < n; i++) yield* channel.send(i);
      yield* channel.close();
    });
    let sum = 0;
    for (
      let next = yield* subscription.next();
      !next.done;
      next = yield* subscription.next()
    ) sum += next.value;
    return sum;
  });
}

/** N items from a producer to a loop, no buffer (lock-step). */
const handoff0: Readonly<Record<string, ScalingFn | undefined>> = {
  channel: (n) => channel(n, 0),
  produce: (n) => produced(n, 0),
  effect: (n) => effectStream(n, 1),
  effection: (n) => effectionStream(n),
};

/** The same with a buffer of 64. */
const handoff64: Readonly<Record<string, ScalingFn | undefined>> = {
  channel: (n) => channel(n, 64),
  produce: (n) => produced(n, 64),
  effect: (n) => effectStream(n, 64),
  effection: (n) => effectionStream(n),
};

const LIMIT = 16;

/**
 * The pool above with `mapStream`'s interface and nothing else: results
 * handed, in order, to a `for await` through a ring of `LIMIT` slots (no
 * cancellation, no error handling, no yield to the event loop). What the
 * async iterator protocol costs on top of the pool: one more promise and
 * microtask turn per item.
 */
class PoolRing implements AsyncIterableIterator<number> {
  readonly #items: number[];
  readonly #slots: number[] = new Array(LIMIT);
  readonly #filled = new Uint8Array(LIMIT);
  #taken = 0;
  #emitted = 0;
  /** A `next()` waiting for the next result: the worker hands it over. */
  #waiting: ((result: IteratorResult<number>) => void) | undefined;
  readonly #room: (() => void)[] = [];

  constructor(items: number[]) {
    this.#items = items;
  }

  async work(): Promise<void> {
    const items = this.#items;
    while (this.#taken < items.length) {
      if (this.#taken - this.#emitted >= LIMIT) {
        await new Promise<void>((wake) => this.#room.push(wake));
        continue;
      }
      const index = this.#taken++;
      const result = await double(items[index]!);
      this.#slots[index % LIMIT] = result;
      this.#filled[index % LIMIT] = 1;
      const waiting = this.#waiting;
      if (index === this.#emitted && waiting !== undefined) {
        this.#waiting = undefined;
        waiting(this.#take());
      }
    }
  }

  #take(): IteratorResult<number> {
    const slot = this.#emitted % LIMIT;
    this.#filled[slot] = 0;
    this.#emitted++;
    this.#room.pop()?.();
    return { done: false, value: this.#slots[slot]! };
  }

  next(): Promise<IteratorResult<number>> {
    if (this.#emitted === this.#items.length) {
      return Promise.resolve({ done: true, value: undefined });
    }
    if (this.#filled[this.#emitted % LIMIT] === 1) {
      return Promise.resolve(this.#take());
    }
    return new Promise((resolve) => this.#waiting = resolve);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<number> {
    return this;
  }
}

/** Map N items, 16 at a time, and sum the results. */
const mapping: Readonly<Record<string, ScalingFn | undefined>> = {
  pool(n) {
    return pool(Array.from({ length: n }, (_, i) => i), LIMIT);
  },
  async forAwait(n) {
    const items = Array.from({ length: n }, (_, i) => i);
    let sum = 0;
    for await (const item of new ArrayIterator(items)) sum += item;
    return sum;
  },
  async poolThenForAwait(n) {
    const items = Array.from({ length: n }, (_, i) => i);
    const results = new Array<number>(n);
    let next = 0, sum = 0;
    const worker = async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await double(items[index]!);
      }
    };
    await Promise.all(Array.from({ length: LIMIT }, worker));
    for await (const result of new ArrayIterator(results)) sum += result;
    return sum;
  },
  async poolStream(n) {
    const items = Array.from({ length: n }, (_, i) => i);
    const ring = new PoolRing(items);
    const workers = Promise.all(
      Array.from({ length: LIMIT }, () => ring.work()),
    );
    let sum = 0;
    for await (const result of ring) sum += result;
    await workers;
    return sum;
  },
  async mapStream(n) {
    const items = Array.from({ length: n }, (_, i) => i);
    let sum = 0;
    for await (const result of mapStream(items, double, { limit: LIMIT })) {
      sum += result;
    }
    return sum;
  },
  async mapStreamUnordered(n) {
    const items = Array.from({ length: n }, (_, i) => i);
    let sum = 0;
    for await (
      const result of mapStream(items, double, { limit: LIMIT, ordered: false })
    ) sum += result;
    return sum;
  },
};

/** The benchmarks of this file. */
export const benchmarks: readonly Benchmark[] = [
  {
    kind: "scaling",
    name: "stream/produce-0",
    title: "N items from a producer to a for-await loop, no buffer",
    baseline: "channel",
    sizes: [100_000, 1_000_000],
    legend: {
      channel:
        "`openChannel(0)`: a task sends, a task's `for await` receives (taskGroup)",
      produce: "`for await` over `produce(send loop)` (lock-step)",
      effect:
        "`Stream.callback` offering to its queue (bufferSize 1), `Stream.runForEach`",
      effection:
        "`createChannel` + spawned sender, `subscription.next()` loop (unbounded)",
    },
    implementations: handoff0,
  },
  {
    kind: "scaling",
    name: "stream/produce-64",
    title: "N items from a producer to a for-await loop, buffer of 64",
    baseline: "channel",
    sizes: [100_000, 1_000_000],
    legend: {
      channel: "`openChannel(64)`, as above",
      produce: "`produce(..., { buffer: 64 })`",
      effect: "`Stream.callback` with bufferSize 64",
      effection: "as above (Effection channels have no bound)",
    },
    implementations: handoff64,
  },
  {
    kind: "scaling",
    name: "stream/map",
    title: "map N items, 16 at a time (one await each), sum the results",
    baseline: "pool",
    sizes: [10_000, 100_000],
    legend: {
      pool: "16 async workers reading an array by index (`Promise.all`)",
      forAwait:
        "no mapping: a `for await` over the array through a bare iterator, the async iterator protocol alone (one more promise and microtask per item; the pool takes two)",
      poolThenForAwait:
        "the pool into an array, then a `for await` over the array through a bare iterator: what the async iterator protocol alone adds to the pool",
      poolStream:
        "the same pool handing its results in order to a `for await` through a hand-written ring (`mapStream`'s interface, none of its guarantees)",
      mapStream: "`for await` over `mapStream(array, fn, { limit: 16 })`",
      mapStreamUnordered: "the same with `ordered: false`",
    },
    implementations: mapping,
  },
];

if (import.meta.main) await runChild(benchmarks);
