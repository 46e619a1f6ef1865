// Copyright the corral authors. MIT license.
/**
 * Paired ratios for the nanosecond targets: each corral operation and the
 * `AsyncLocalStorage` operation it is built on (or, for the streams, the
 * hand-written code it replaces), interleaved round by round in ONE
 * process, so both see the same JIT, heap and CPU state. `main.ts` runs
 * each implementation in its own process, which is right for the scaling
 * cases but lets ratios of a few nanoseconds move by ±30% between processes.
 *
 * A pair may also name a `floor`: what the interface itself adds to the
 * baseline, measured in the same rounds and printed as its own ratio to
 * the baseline. For `mapStream`, the pool followed by a bare `for await`
 * over as many ready items: any stream hands each result to the loop
 * through one more promise and microtask turn.
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc tools/bench/paired.ts   # or: deno task bench:paired
 * ```
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Variable } from "../../packages/context/mod.ts";
import { CancelScope } from "../../packages/scope/mod.ts";
import { mapStream } from "../../packages/stream/mod.ts";
import { median } from "./_report.ts";
import {
  ArrayIterator,
  channel,
  double,
  pool,
  produced,
} from "./_stream_work.ts";

const storage = new AsyncLocalStorage<unknown>();
const variable = new Variable<unknown>({ name: "paired" });
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function returnOne(): number {
  return 1;
}
// deno-lint-ignore require-await
async function resolveOne(): Promise<number> {
  return 1;
}

const ITEMS = Array.from({ length: 100_000 }, (_, i) => i);

interface Pair {
  name: string;
  target: number;
  iterations: number;
  baseline: () => unknown;
  corral: () => unknown;
  floor?: () => unknown;
}

const N = 200_000;
const pairs: Pair[] = [
  {
    name: "context/get: Variable.get() / AsyncLocalStorage.getStore()",
    target: 1.2,
    iterations: 5_000_000,
    // Both read inside a run of their own, as real code does.
    baseline: () =>
      storage.run(1, () => {
        let sum = 0;
        for (let i = 0; i < 5_000_000; i++) sum += storage.getStore() as number;
        return sum;
      }),
    corral: () =>
      variable.run(1, () => {
        let sum = 0;
        for (let i = 0; i < 5_000_000; i++) sum += variable.get() as number;
        return sum;
      }),
  },
  {
    name: "context/run: Variable.run(v, fn) / AsyncLocalStorage.run(v, fn)",
    target: 1.3,
    iterations: N,
    baseline: () => {
      let sum = 0;
      for (let i = 0; i < N; i++) sum += storage.run(i, returnOne);
      return sum;
    },
    corral: () => {
      let sum = 0;
      for (let i = 0; i < N; i++) sum += variable.run(i, returnOne);
      return sum;
    },
  },
  {
    name: "scope/enter-leave: await scope.run(fn) / await storage.run(i, fn)",
    target: 2,
    iterations: N,
    baseline: async () => {
      let sum = 0;
      for (let i = 0; i < N; i++) sum += await storage.run(i, returnOne);
      return sum;
    },
    corral: async () => {
      let sum = 0;
      for (let i = 0; i < N; i++) {
        sum += (await new CancelScope().run(returnOne)) ?? 0;
      }
      return sum;
    },
  },
  {
    name: "scope/enter-leave-async: the same with an async fn",
    target: 2,
    iterations: N,
    baseline: async () => {
      let sum = 0;
      for (let i = 0; i < N; i++) sum += await storage.run(i, resolveOne);
      return sum;
    },
    corral: async () => {
      let sum = 0;
      for (let i = 0; i < N; i++) {
        sum += (await new CancelScope().run(resolveOne)) ?? 0;
      }
      return sum;
    },
  },
  {
    name: "stream/map: mapStream(limit 16) / a 16-worker pool (100k items)",
    target: 1.5,
    iterations: ITEMS.length,
    baseline: () => pool(ITEMS, 16),
    corral: async () => {
      let sum = 0;
      for await (const x of mapStream(ITEMS, double, { limit: 16 })) sum += x;
      return sum;
    },
    // The pool, then a bare `for await` over as many ready items: what the
    // pool plus the async iterator protocol cost, one after the other (the
    // protocol adds a promise and a microtask turn per item to the pool's
    // two turns).
    floor: async () => {
      let sum = await pool(ITEMS, 16);
      for await (const x of new ArrayIterator(ITEMS)) sum += x;
      return sum;
    },
  },
  {
    name: "stream/produce-0: produce / the bare channel (100k items)",
    target: 1.5,
    iterations: 100_000,
    baseline: () => channel(100_000, 0),
    corral: () => produced(100_000, 0),
  },
  {
    name: "stream/produce-64: the same, buffer 64",
    target: 1.5,
    iterations: 100_000,
    baseline: () => channel(100_000, 64),
    corral: () => produced(100_000, 64),
  },
];

async function nsPerOp(fn: () => unknown, iterations: number): Promise<number> {
  gc();
  const start = performance.now();
  await fn();
  return (performance.now() - start) * 1e6 / iterations;
}

const ROUNDS = 9;
console.log(
  "benchmark".padEnd(68),
  "baseline",
  "  corral",
  "  ratio",
  "target",
  "        middle half of the rounds",
);
for (const pair of pairs) {
  await pair.baseline();
  await pair.corral();
  await pair.floor?.();
  const baseline: number[] = [], corral: number[] = [], floor: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    baseline.push(await nsPerOp(pair.baseline, pair.iterations));
    corral.push(await nsPerOp(pair.corral, pair.iterations));
    if (pair.floor) floor.push(await nsPerOp(pair.floor, pair.iterations));
  }
  const ratios = corral.map((c, i) => c / baseline[i]!).sort((a, b) => a - b);
  const ratio = median(ratios);
  const floorRatio = floor.length === 0
    ? ""
    : `; floor ${median(floor.map((f, i) => f / baseline[i]!)).toFixed(2)}×`;
  console.log(
    pair.name.padEnd(68),
    `${median(baseline).toFixed(1)} ns`.padStart(8),
    `${median(corral).toFixed(1)} ns`.padStart(8),
    `${ratio.toFixed(2)}×`.padStart(7),
    `≤ ${pair.target}× ${ratio <= pair.target ? "PASS" : "FAIL"}`,
    // The middle half of the rounds' ratios: how much the rounds agree.
    `(rounds: ${ratios[2]!.toFixed(2)}–${
      ratios[ROUNDS - 3]!.toFixed(2)
    }×${floorRatio})`,
  );
}
