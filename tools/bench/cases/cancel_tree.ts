// Copyright the corral authors. MIT license.
/**
 * Cancel a tree of N nested scopes from its root and wait until every scope
 * has exited. Two shapes:
 *
 * - `cancel-tree/deep`: a chain, N scopes each inside the previous, one task
 *   blocked in the innermost. Propagation that recurses overflows the stack
 *   here (Trio walks its tree with an explicit stack for this reason).
 * - `cancel-tree/wide`: a tree with 10 children per scope (node i's children
 *   are 10i+1 … 10i+10), every scope with a blocked task in it.
 *
 * Each level of the chain starts after an `await`, as in real code, so that
 * building it does not itself need a deep stack.
 *
 * Seen on Deno 2.9.6 (V8 15.0): the raw chain overflows the stack between
 * 600 and 800 levels (`abort()` → `dispatchEvent` → listener → `abort()` …),
 * an uncaught RangeError in a listener that ends the process. With Effect
 * 4.1.0, interrupting a `forkChild` + `join` chain of ~900 levels or more
 * never finishes: `Fiber.interrupt` stays pending (with
 * `--v8-flags=--stack-size=8000` it completes, so a stack overflow is being
 * swallowed). Effection 4.1.1 finishes but its cost per level grows with
 * the depth (quadratic).
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
import { CancelScope, sleepForever } from "../../../packages/scope/mod.ts";

const FAN_OUT = 10;

/** The children of node `i` in a tree of `n` nodes, 10 per node. */
function childrenOf(i: number, n: number): number[] {
  const children: number[] = [];
  const first = FAN_OUT * i + 1;
  for (let c = first; c < first + FAN_OUT && c < n; c++) children.push(c);
  return children;
}

/** Waits until `signal` aborts, then rejects with its reason. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), {
      once: true,
    });
  });
}

/**
 * Runs `body` with a new AbortController linked to `parent` by one listener,
 * removed on exit: the hand-rolled scope.
 */
async function rawScope(
  parent: AbortSignal,
  body: (signal: AbortSignal) => Promise<unknown>,
): Promise<void> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener("abort", onAbort, { once: true });
  try {
    await body(controller.signal);
  } catch {
    // Cancelled: exit normally.
  } finally {
    parent.removeEventListener("abort", onAbort);
  }
}

/** A chain of `n` nested scopes with a task blocked in the innermost. */
export const deep: Readonly<Record<string, BlockedFn | undefined>> = {
  async raw(n) {
    const line = startLine(1);
    async function level(parent: AbortSignal, depth: number): Promise<void> {
      await null;
      await rawScope(parent, (signal) => {
        if (depth > 1) return level(signal, depth - 1);
        line.arrive();
        return aborted(signal);
      });
    }
    const root = new AbortController();
    const done = level(root.signal, n);
    await line.all;
    return { cancelAll: () => (root.abort(), done) };
  },

  async effection(n) {
    const line = startLine(1);
    function* level(depth: number): effection.Operation<void> {
      if (depth > 1) {
        yield* yield* effection.spawn(() => level(depth - 1));
      } else {
        line.arrive();
        yield* effection.suspend();
      }
    }
    const [scope, destroy] = effection.createScope();
    scope.run(() => level(n));
    await line.all;
    return { cancelAll: () => destroy() };
  },

  async effect(n) {
    const line = startLine(1);
    const blocked = Effect.suspend(() => {
      line.arrive();
      return Effect.never;
    });
    const level = (depth: number): Effect.Effect<void> =>
      depth > 1
        ? Effect.flatMap(
          Effect.forkChild(Effect.suspend(() => level(depth - 1))),
          Fiber.join,
        )
        : blocked;
    const root = Effect.runFork(level(n));
    await line.all;
    return { cancelAll: () => Effect.runPromise(Fiber.interrupt(root)) };
  },
  async corral(n) {
    const line = startLine(1);
    async function level(depth: number): Promise<void> {
      await null;
      await new CancelScope().run(() => {
        if (depth > 1) return level(depth - 1);
        line.arrive();
        return sleepForever();
      });
    }
    const root = new CancelScope();
    const done = root.run(() => level(n - 1));
    await line.all;
    return { cancelAll: () => (root.cancel(), done) };
  },
};

/** A tree of `n` scopes, 10 children each, each with a blocked task. */
export const wide: Readonly<Record<string, BlockedFn | undefined>> = {
  async raw(n) {
    const line = startLine(n);
    function node(parent: AbortSignal, i: number): Promise<void> {
      return rawScope(parent, (signal) => {
        const children = childrenOf(i, n).map((c) => node(signal, c));
        line.arrive();
        return Promise.allSettled([aborted(signal), ...children]);
      });
    }
    const root = new AbortController();
    const done = node(root.signal, 0);
    await line.all;
    return { cancelAll: () => (root.abort(), done) };
  },

  async effection(n) {
    const line = startLine(n);
    function* node(i: number): effection.Operation<void> {
      for (const c of childrenOf(i, n)) yield* effection.spawn(() => node(c));
      line.arrive();
      yield* effection.suspend();
    }
    const [scope, destroy] = effection.createScope();
    scope.run(() => node(0));
    await line.all;
    return { cancelAll: () => destroy() };
  },

  async effect(n) {
    const line = startLine(n);
    const node = (i: number): Effect.Effect<void> =>
      Effect.gen(function* () {
        for (const c of childrenOf(i, n)) {
          yield* Effect.forkChild(Effect.suspend(() => node(c)));
        }
        line.arrive();
        return yield* Effect.never;
      });
    const root = Effect.runFork(node(0));
    await line.all;
    return { cancelAll: () => Effect.runPromise(Fiber.interrupt(root)) };
  },
  async corral(n) {
    const line = startLine(n);
    function node(i: number): Promise<unknown> {
      return new CancelScope().run(() => {
        const children = childrenOf(i, n).map(node);
        line.arrive();
        return Promise.allSettled([sleepForever(), ...children]);
      });
    }
    const root = new CancelScope();
    const done = root.run(() => node(0));
    await line.all;
    return { cancelAll: () => (root.cancel(), done) };
  },
};

/** The benchmarks of this file. */
export const benchmarks: readonly Benchmark[] = [
  {
    kind: "blocked",
    name: "cancel-tree/deep",
    title:
      "a chain of N nested scopes, one task blocked innermost: build, cancel the root, wait",
    baseline: "raw",
    sizes: [100, 1_000, 10_000, 100_000],
    legend: {
      raw:
        "one AbortController per level, linked by a listener on the parent's signal",
      effection:
        "each level `spawn`s the next and joins it; `destroy()` the scope",
      effect:
        "each level `forkChild`s the next and joins it; interrupt the root",
      corral: "nested `new CancelScope().run(…)`; `root.cancel()`",
    },
    implementations: deep,
  },
  {
    kind: "blocked",
    name: "cancel-tree/wide",
    title:
      "a tree of N scopes, 10 children each, all blocked: build, cancel the root, wait",
    baseline: "raw",
    sizes: [1_000, 10_000, 100_000],
    legend: {
      raw:
        "one AbortController per scope, linked by a listener on the parent's signal",
      effection: "each task `spawn`s its children, then `suspend()`s",
      effect: "each fiber `forkChild`s its children, then `Effect.never`",
      corral:
        "nested `new CancelScope().run(…)` joined by `Promise.allSettled`",
    },
    implementations: wide,
  },
];

if (import.meta.main) await runChild(benchmarks);
