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
import { taskGroup } from "../../../packages/taskgroup/mod.ts";
import { openChannel } from "../../../packages/sync/mod.ts";
import { mapStream, produce } from "../../../packages/stream/mod.ts";

/** The bare channel: a sender task and a receiving loop, `capacity` buffer. */
async function channel(n: number, capacity: number): Promise<number> {
  const [sender, receiver] = openChannel<number>(capacity);
  let sum = 0;
  await taskGroup((group) => {
    group.spawn(async () => {
      for (let i = 0; i < n; i++) await sender.send(i);
      sender.close();
    });
    group.spawn(async () => {
      for await (const item of receiver) sum += item;
    });
  });
  return sum;
}

async function produced(n: number, buffer: number): Promise<number> {
  let sum = 0;
  const stream = produce<number>(async (send) => {
    for (let i = 0; i < n; i++) await send(i);
  }, { buffer });
  for await (const item of stream) sum += item;
  return sum;
}

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

async function double(x: number): Promise<number> {
  await null;
  return x * 2;
}

const LIMIT = 16;

/** Map N items, 16 at a time, and sum the results. */
const mapping: Readonly<Record<string, ScalingFn | undefined>> = {
  async pool(n) {
    const items = Array.from({ length: n }, (_, i) => i);
    let next = 0, sum = 0;
    const worker = async () => {
      while (next < items.length) sum += await double(items[next++]!);
    };
    await Promise.all(Array.from({ length: LIMIT }, worker));
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
      mapStream: "`for await` over `mapStream(array, fn, { limit: 16 })`",
      mapStreamUnordered: "the same with `ordered: false`",
    },
    implementations: mapping,
  },
];

if (import.meta.main) await runChild(benchmarks);
