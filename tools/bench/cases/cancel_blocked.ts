// Copyright the corral authors. MIT license.
/**
 * Start N tasks that wait forever, cancel them all, and wait until every one
 * has exited. The same implementations give the heap cost of one idle task
 * (the `memory/idle-task` benchmark).
 *
 * Each implementation resolves only once all N tasks are blocked (each one
 * counts itself in as it reaches its wait), so no library gets to cancel
 * tasks that never started.
 *
 * @module
 */
import { Effect, effection, Fiber } from "../deps.ts";
import {
  type Benchmark,
  type BlockedFn,
  runChild,
  startLine,
} from "../_harness.ts";
import { taskGroup } from "../../../packages/taskgroup/mod.ts";
import { sleepForever } from "../../../packages/scope/mod.ts";

/**
 * Starts `n` copies of `task`, waits until all are blocked, and returns how
 * to cancel them: abort `parent`, then wait for every task to exit.
 */
async function startAll(
  n: number,
  task: () => Promise<void>,
  line: { all: Promise<void> },
  parent: AbortController,
): Promise<{ cancelAll(): Promise<void> }> {
  const tasks: Promise<void>[] = [];
  for (let i = 0; i < n; i++) tasks.push(task());
  await line.all;
  return {
    async cancelAll() {
      parent.abort();
      await Promise.all(tasks);
    },
  };
}

/** Waits until `signal` aborts, then rejects with its reason. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), {
      once: true,
    });
  });
}

/** Start `n` tasks blocked forever; the handle cancels and joins them. */
export const cancelBlocked: Readonly<Record<string, BlockedFn | undefined>> = {
  /**
   * The hand-rolled way: one AbortController per task, linked to the parent
   * by the parent, which keeps its children in a Set and has ONE abort
   * listener that aborts them all.
   */
  async raw(n) {
    const parent = new AbortController();
    const children = new Set<AbortController>();
    parent.signal.addEventListener("abort", () => {
      for (const child of children) child.abort(parent.signal.reason);
    }, { once: true });
    const line = startLine(n);
    async function task(): Promise<void> {
      const controller = new AbortController();
      children.add(controller);
      try {
        line.arrive();
        await aborted(controller.signal);
      } catch {
        // Cancelled: exit normally.
      } finally {
        children.delete(controller);
      }
    }
    return await startAll(n, task, line, parent);
  },

  /**
   * N listeners on one AbortSignal, each removed when its task exits, as
   * careful code does. Deno keeps listeners in an array (add scans for
   * duplicates, remove splices), so this is O(N²).
   */
  async rawListeners(n) {
    const parent = new AbortController();
    const signal = parent.signal;
    const line = startLine(n);
    async function task(): Promise<void> {
      let onAbort: (() => void) | undefined;
      try {
        await new Promise<never>((_, reject) => {
          onAbort = () => reject(signal.reason);
          signal.addEventListener("abort", onAbort, { once: true });
          line.arrive();
        });
      } catch {
        // Cancelled: exit normally.
      } finally {
        signal.removeEventListener("abort", onAbort!);
      }
    }
    return await startAll(n, task, line, parent);
  },

  /** N `suspend()` tasks in a scope from `createScope()`, then `destroy()`. */
  async effection(n) {
    const [scope, destroy] = effection.createScope();
    const line = startLine(n);
    for (let i = 0; i < n; i++) {
      scope.run(function* blocked() {
        line.arrive();
        yield* effection.suspend();
      });
    }
    await line.all;
    return { cancelAll: () => destroy() };
  },

  /**
   * A parent fiber forks N `Effect.never` children (auto-supervised) and
   * waits forever; interrupting the parent interrupts the children, and
   * `Fiber.interrupt` returns once all of them have exited.
   */
  async effect(n) {
    const line = startLine(n);
    const blocked = Effect.suspend(() => {
      line.arrive();
      return Effect.never;
    });
    const parent = Effect.runFork(Effect.gen(function* () {
      for (let i = 0; i < n; i++) yield* Effect.forkChild(blocked);
      return yield* Effect.never;
    }));
    await line.all;
    return { cancelAll: () => Effect.runPromise(Fiber.interrupt(parent)) };
  },
  async corral(n) {
    const line = startLine(n);
    let cancel!: () => void;
    const done = taskGroup((group) => {
      cancel = () => group.cancel();
      for (let i = 0; i < n; i++) {
        group.spawn(async () => {
          line.arrive();
          await sleepForever();
        });
      }
    });
    await line.all;
    return { cancelAll: () => (cancel(), done) };
  },
};

const legend = {
  raw:
    "one AbortController per task; the parent keeps a Set of them and ONE listener",
  rawListeners:
    "every task adds (and on exit removes) a listener on one shared AbortSignal",
  effection: "`createScope()`, N × `scope.run(suspend)`, then `destroy()`",
  effect: "a fiber forks N × `Effect.never`, then `Fiber.interrupt(parent)`",
  corral: "`taskGroup`, N × `group.spawn(sleepForever)`, then `group.cancel()`",
};

/** The benchmarks of this file. */
export const benchmarks: readonly Benchmark[] = [
  {
    kind: "blocked",
    name: "cancel-blocked",
    title: "start N blocked tasks, cancel them all, wait until all have exited",
    baseline: "raw",
    sizes: [1_000, 10_000, 100_000, 300_000],
    legend,
    implementations: cancelBlocked,
  },
  {
    kind: "memory",
    name: "memory/idle-task",
    title: "heap per blocked task (heapUsed after gc(), N = 100k)",
    baseline: "raw",
    sizes: [100_000],
    legend,
    // N listeners on one signal take minutes to set up at 100k.
    implementations: { ...cancelBlocked, rawListeners: undefined },
  },
];

if (import.meta.main) await runChild(benchmarks);
