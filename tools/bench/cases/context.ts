// Copyright the corral authors. MIT license.
/**
 * `@corral/context` against the `AsyncLocalStorage` it is built on: the cost of
 * one `Variable.get()` and one `Variable.run()` over the bare storage, and
 * `new Snapshot()` with 1, 10 and 100 variables set (it keeps a reference to
 * an immutable mapping, so it should not grow).
 *
 * Every loop adds its results into a local that it returns, so V8 cannot
 * drop the work; the harness keeps the returned value.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Snapshot, Variable } from "../../../packages/context/mod.ts";
import { type Benchmark, type OpsFn, runChild } from "../_harness.ts";

function returnOne(): number {
  return 1;
}

const storage = new AsyncLocalStorage<number>();
const variable = new Variable<number>({ name: "bench" });

/** `get()` inside a `run()`, so there is a value to find. */
export const get: Readonly<Record<string, OpsFn | undefined>> = {
  asyncLocalStorage(iterations) {
    return storage.run(1, () => {
      let total = 0;
      for (let i = 0; i < iterations; i++) total += storage.getStore()!;
      return total;
    });
  },
  corral(iterations) {
    return variable.run(1, () => {
      let total = 0;
      for (let i = 0; i < iterations; i++) total += variable.get()!;
      return total;
    });
  },
};

/** `run()` of a callback that returns at once, from outside any context. */
export const run: Readonly<Record<string, OpsFn | undefined>> = {
  asyncLocalStorage(iterations) {
    let total = 0;
    for (let i = 0; i < iterations; i++) total += storage.run(i, returnOne);
    return total;
  },
  corral(iterations) {
    let total = 0;
    for (let i = 0; i < iterations; i++) total += variable.run(i, returnOne);
    return total;
  },
};

const manyVariables = Array.from(
  { length: 100 },
  (_, i) => new Variable<number>({ name: `v${i}` }),
);
const manyStorages = Array.from(
  { length: 100 },
  () => new AsyncLocalStorage<number>(),
);

/** Calls `body` with the first `count` of `runners` each given a value. */
function withValues<R>(
  count: number,
  runners: readonly { run<T>(value: number, fn: () => T): T }[],
  body: () => R,
): R {
  function enter(index: number): R {
    if (index === count) return body();
    return runners[index]!.run(index, () => enter(index + 1));
  }
  return enter(0);
}

/** Take a snapshot of the current context with `size` values set. */
export const snapshot: Readonly<Record<string, OpsFn | undefined>> = {
  asyncLocalStorage(iterations, size) {
    return withValues(size, manyStorages, () => {
      let last: unknown, total = 0;
      for (let i = 0; i < iterations; i++) {
        last = AsyncLocalStorage.snapshot();
        total += last === undefined ? 0 : 1;
      }
      return [total, last];
    });
  },
  corral(iterations, size) {
    return withValues(size, manyVariables, () => {
      let last: Snapshot | undefined, total = 0;
      for (let i = 0; i < iterations; i++) {
        last = new Snapshot();
        total += last === undefined ? 0 : 1;
      }
      return [total, last];
    });
  },
};

const legend = {
  asyncLocalStorage:
    "`node:async_hooks` AsyncLocalStorage, built on Deno's context slot",
  corral:
    '`@corral/context`: an immutable list of frames in Deno\'s context slot, the head inline (`contextBackend` "Deno")',
};

/** The benchmarks of this file. */
export const benchmarks: readonly Benchmark[] = [
  {
    kind: "ops",
    name: "context/get",
    title: "Variable.get() vs AsyncLocalStorage.getStore()",
    baseline: "asyncLocalStorage",
    targets: { corral: 1.2 },
    legend,
    implementations: get,
  },
  {
    kind: "ops",
    name: "context/run",
    title: "Variable.run(v, fn) vs AsyncLocalStorage.run(v, fn), trivial fn",
    baseline: "asyncLocalStorage",
    targets: { corral: 1.3 },
    legend,
    implementations: run,
  },
  {
    kind: "ops",
    name: "context/snapshot",
    title:
      "new Snapshot() vs AsyncLocalStorage.snapshot() with k variables set",
    baseline: "asyncLocalStorage",
    sizes: [1, 10, 100],
    sizeLabel: "k",
    legend,
    implementations: snapshot,
  },
];

if (import.meta.main) await runChild(benchmarks);
