// Copyright the corral authors. MIT license.
/**
 * Spawn N trivial tasks and wait for all of them. A task is one `await` and a
 * value: the least a task can do, so what is left is the cost of the
 * machinery around it.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Effect, effection } from "../deps.ts";
import { type Benchmark, runChild, type ScalingFn } from "../_harness.ts";
import { taskGroup } from "../../../packages/taskgroup/mod.ts";

async function trivial(i: number): Promise<number> {
  await null;
  return i;
}

const storage = new AsyncLocalStorage<number>();

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** Spawn and join `n` trivial tasks. */
export const spawnJoin: Readonly<Record<string, ScalingFn | undefined>> = {
  async raw(n) {
    const tasks: Promise<number>[] = [];
    for (let i = 0; i < n; i++) tasks.push(trivial(i));
    return sum(await Promise.all(tasks));
  },

  async rawAls(n) {
    const tasks: Promise<number>[] = [];
    for (let i = 0; i < n; i++) tasks.push(storage.run(i, trivial, i));
    return sum(await Promise.all(tasks));
  },

  // The same from inside a context, where a task group always is: Deno's
  // AsyncLocalStorage.run copies the current context into a dictionary-mode
  // object on every entry. The floor for a task built on AsyncLocalStorage;
  // @corral/context on Deno writes the same context slot without it.
  rawAlsInContext(n) {
    return storage.run(-1, async () => {
      const tasks: Promise<number>[] = [];
      for (let i = 0; i < n; i++) tasks.push(storage.run(i, trivial, i));
      return sum(await Promise.all(tasks));
    });
  },

  effection(n) {
    // One task per item with `spawn`, joined in order; the body bridges to
    // the same async function (`call`), which is how Effection code awaits.
    return effection.run(function* spawnJoin() {
      const tasks: effection.Task<number>[] = [];
      for (let i = 0; i < n; i++) {
        tasks.push(
          yield* effection.spawn(() => effection.call(() => trivial(i))),
        );
      }
      let total = 0;
      for (const task of tasks) total += yield* task;
      return total;
    });
  },

  effect(n) {
    // One fiber per item: `forEach` with unbounded concurrency forks them.
    const items = Array.from({ length: n }, (_, i) => i);
    return Effect.runPromise(
      Effect.forEach(items, (i) => Effect.promise(() => trivial(i)), {
        concurrency: "unbounded",
      }),
    ).then(sum);
  },
  async corral(n) {
    await taskGroup((group) => {
      for (let i = 0; i < n; i++) group.spawn(() => trivial(i));
    });
  },
};

/** The benchmarks of this file. */
export const benchmarks: readonly Benchmark[] = [
  {
    kind: "scaling",
    name: "spawn-join",
    title: "spawn N trivial tasks (one await each) and join them all",
    baseline: "raw",
    sizes: [1_000, 10_000, 100_000],
    legend: {
      raw: "`Promise.all` over N async functions",
      rawAls:
        "the same, each task started inside its own `AsyncLocalStorage.run`",
      rawAlsInContext:
        "the same, started from inside a context (as a task group always is)",
      effection: "`run` + N × `spawn(() => call(fn))`, then `yield* task` each",
      effect:
        '`Effect.forEach(items, i => Effect.promise(fn), { concurrency: "unbounded" })`',
      corral: "`taskGroup` + N × `group.spawn(fn)`",
    },
    implementations: spawnJoin,
  },
];

if (import.meta.main) await runChild(benchmarks);
