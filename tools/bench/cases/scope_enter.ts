// Copyright the corral authors. MIT license.
/**
 * Entering and leaving a cancel scope, against the context change it is
 * built on: one `AsyncLocalStorage.run` around the same callback, awaited.
 * A scope with no deadline costs no timer (rule 6 of docs/rules.md), so this should
 * be a small multiple of the baseline.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Variable } from "../../../packages/context/mod.ts";
import { type Benchmark, type OpsFn, runChild } from "../_harness.ts";
import { CancelScope } from "../../../packages/scope/mod.ts";

function returnOne(): number {
  return 1;
}

// A scope usually holds an `await`: the same callback, async.
// deno-lint-ignore require-await
async function resolveOne(): Promise<number> {
  return 1;
}

const storage = new AsyncLocalStorage<number>();
const variable = new Variable<number>({ name: "bench" });

/** Enter a context (or scope) `iterations` times, await the callback each time. */
export const scopeEnter: Readonly<Record<string, OpsFn | undefined>> = {
  async alsRun(iterations) {
    let total = 0;
    for (let i = 0; i < iterations; i++) {
      total += await storage.run(i, returnOne);
    }
    return total;
  },

  async variableRun(iterations) {
    let total = 0;
    for (let i = 0; i < iterations; i++) {
      total += await variable.run(i, returnOne);
    }
    return total;
  },
  async corral(iterations) {
    let total = 0;
    for (let i = 0; i < iterations; i++) {
      total += (await new CancelScope().run(returnOne)) ?? 0;
    }
    return total;
  },
};

/** The same with an async callback, the usual body of a scope. */
export const scopeEnterAsync: Readonly<Record<string, OpsFn | undefined>> = {
  async alsRun(iterations) {
    let total = 0;
    for (let i = 0; i < iterations; i++) {
      total += await storage.run(i, resolveOne);
    }
    return total;
  },
  async corral(iterations) {
    let total = 0;
    for (let i = 0; i < iterations; i++) {
      total += (await new CancelScope().run(resolveOne)) ?? 0;
    }
    return total;
  },
};

/** The benchmarks of this file. */
export const benchmarks: readonly Benchmark[] = [
  {
    kind: "ops",
    name: "scope/enter-leave",
    title: "enter and leave a scope around a trivial callback, awaited",
    baseline: "alsRun",
    targets: { corral: 2 },
    legend: {
      alsRun:
        "`await storage.run(i, fn)`: one AsyncLocalStorage context change",
      variableRun: "`await variable.run(i, fn)` (`@corral/context`)",
      corral: "`await new CancelScope().run(fn)`",
    },
    implementations: scopeEnter,
  },
  {
    kind: "ops",
    name: "scope/enter-leave-async",
    title: "the same around an async callback (a scope that awaits)",
    baseline: "alsRun",
    targets: { corral: 2 },
    legend: {
      alsRun: "`await storage.run(i, asyncFn)`",
      corral: "`await new CancelScope().run(asyncFn)`",
    },
    implementations: scopeEnterAsync,
  },
];

if (import.meta.main) await runChild(benchmarks);
