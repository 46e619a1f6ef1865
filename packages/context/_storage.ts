// Copyright the corral authors. MIT license.
/**
 * The one storage slot behind every {@linkcode Variable}. Internal: none of
 * this is for users.
 *
 * All variables share one slot that holds a `Mapping` (pairs of variable
 * and value). A mapping is never changed after it is stored: `Variable.run`
 * stores a copy with one entry changed. That is what makes a `Snapshot` O(1)
 * in the number of variables (it keeps a reference to the current mapping)
 * and what makes the values immune to code that runs later (TC39 has no
 * `set()`, and neither do we).
 *
 * Backend order (DESIGN "Public API contract"): a native `AsyncContext`
 * where the runtime has one; else, on Deno, the context slot that Deno's own
 * `AsyncLocalStorage` is built on (see `denoSlotStorage`); else
 * `AsyncLocalStorage` from `node:async_hooks` (Node, Bun, and Deno should
 * its slot ever change shape). `node:async_hooks` is looked up with
 * `process.getBuiltinModule` rather than a static import, so a browser can
 * import this module; where no backend exists, the first use throws.
 *
 * @module
 */

/**
 * A context: the value of every variable that has one, as a flat list of
 * pairs `[variable, value, variable, value, ...]`. Never mutated once stored.
 * A flat array, not a `Map`: a context holds a handful of variables, so a
 * linear scan beats hashing, and `run` copies it with one `slice()` (a
 * `Map` copy walks an iterator and allocates a hash table: it doubled the
 * cost of spawning a task).
 */
export type Mapping = readonly unknown[];

/** The two operations every backend provides, shaped like `AsyncLocalStorage`. */
export interface Storage {
  getStore(): Mapping | undefined;
  run<R, A extends unknown[]>(
    mapping: Mapping | undefined,
    fn: (...args: A) => R,
    ...args: A
  ): R;
}

/** Which mechanism carries the context on this runtime. */
export type ContextBackend =
  | "AsyncContext"
  | "Deno"
  | "AsyncLocalStorage"
  | "none";

interface NativeVariable {
  get(): Mapping | undefined;
  run<R>(value: Mapping | undefined, fn: () => R): R;
}
interface RuntimeGlobals {
  AsyncContext?: { Variable: new () => NativeVariable };
  process?: { getBuiltinModule?(name: string): unknown };
}

/** What this module uses of `Deno[Deno.internal].core` (`ext:core/01_core.js`). */
interface DenoCore {
  getAsyncContext(): unknown;
  setAsyncContext(context: unknown): void;
  AsyncVariable: new () => { enter(value: unknown): unknown; get(): unknown };
}

/**
 * The highest index we accept for our slot. Our context is an array that
 * reaches it, so a slot past a few dozen (a program that made hundreds of
 * `AsyncLocalStorage`s before importing us) would make every copy long.
 */
const HIGHEST_SLOT = 63;

/**
 * The context slot under Deno's `AsyncLocalStorage`, used directly.
 *
 * Deno keeps the context in V8's continuation-preserved embedder data: one
 * value per logical call chain, which V8 itself saves with every promise
 * reaction and restores when the reaction runs. Each of Deno's
 * `AsyncLocalStorage.run`s stores a new object there,
 * `{ __proto__: null, ...previous, [id]: entry }`, and puts the value in a
 * `WeakMap` under `entry`. A null-prototype literal is a dictionary-mode
 * object in V8: with the `WeakMap` entry, about 500 B and half a microsecond
 * for every context, more than all of corral's own work in a task spawn.
 *
 * `Deno[Deno.internal].core` has the slot's getter and setter. We keep the
 * format Deno's own variables read (`context[id]`) and copy (a spread), but
 * store a packed array: it is copied with one `slice()`. Our mapping sits at
 * an index we reserve by making one `AsyncVariable` (ids count up from 0),
 * so no variable of Deno's or of a user's ever takes it.
 *
 * This is not a public API of Deno, so it is used only if it behaves as
 * described: a self-test runs Deno's own `AsyncVariable` inside a context of
 * ours and ours inside one of Deno's. If anything differs, or anything is
 * missing, we use `AsyncLocalStorage` instead.
 */
function denoSlotStorage(): Storage | undefined {
  let core: Partial<DenoCore> | undefined;
  try {
    const deno = (globalThis as { Deno?: { internal?: symbol } }).Deno;
    const internal = deno?.internal;
    core = typeof internal === "symbol"
      ? (deno as unknown as Record<symbol, { core?: DenoCore } | undefined>)[
        internal
      ]?.core
      : undefined;
  } catch {
    return undefined;
  }
  const getAsyncContext = core?.getAsyncContext;
  const setAsyncContext = core?.setAsyncContext;
  const AsyncVariable = core?.AsyncVariable;
  if (
    typeof getAsyncContext !== "function" ||
    typeof setAsyncContext !== "function" ||
    typeof AsyncVariable !== "function"
  ) {
    return undefined;
  }
  const outside = getAsyncContext();
  try {
    setAsyncContext(undefined);
    new AsyncVariable().enter(true);
    const keys = Object.keys(getAsyncContext() ?? {});
    const slot = Number(keys[0]);
    if (
      keys.length !== 1 || !Number.isInteger(slot) || slot < 0 ||
      slot > HIGHEST_SLOT
    ) {
      return undefined;
    }
    setAsyncContext(undefined);
    const storage = slotStorage(getAsyncContext, setAsyncContext, slot);
    return passesSelfTest(storage, new AsyncVariable()) ? storage : undefined;
  } catch {
    return undefined;
  } finally {
    setAsyncContext(outside);
  }
}

/** A `Storage` on Deno's context slot, our mapping at index `slot`. */
function slotStorage(
  getAsyncContext: () => unknown,
  setAsyncContext: (context: unknown) => void,
  slot: number,
): Storage {
  /**
   * The context for `run`: the current one with our mapping changed. An
   * array (ours, or another copy's of this module) is copied with `slice()`. Anything else is empty or one
   * of Deno's (an `AsyncLocalStorage.run` inside ours): its entries are
   * copied into a new array, with `undefined` where it has none, so the
   * array has no holes (a hole would be read through `Array.prototype`).
   */
  function withMapping(previous: unknown, mapping: Mapping | undefined) {
    let context: unknown[];
    if (Array.isArray(previous)) {
      context = previous.slice();
      // Shorter than our slot only if another copy of this module (another
      // version, say) made it, with a slot below ours.
      while (context.length < slot) context.push(undefined);
    } else {
      const entries = previous as Record<string, unknown> | undefined;
      let length = slot + 1;
      for (const key in entries) length = Math.max(length, Number(key) + 1);
      context = [];
      for (let id = 0; id < length; id++) context.push(entries?.[id]);
    }
    context[slot] = mapping;
    return context;
  }
  return {
    getStore() {
      const context = getAsyncContext() as
        | Record<number, Mapping | undefined>
        | undefined;
      return context == null ? undefined : context[slot];
    },
    run(mapping, fn, ...args) {
      const previous = getAsyncContext();
      setAsyncContext(withMapping(previous, mapping));
      try {
        return fn(...args);
      } finally {
        setAsyncContext(previous);
      }
    },
  };
}

/**
 * Whether contexts of ours and Deno's work inside each other: Deno's
 * variable reads nothing in ours, and its value survives our `run`; ours
 * survives Deno's `enter`.
 */
function passesSelfTest(
  storage: Storage,
  deno: { enter(value: unknown): unknown; get(): unknown },
): boolean {
  const ours: Mapping = [], inner: Mapping = [], theirs = {};
  return storage.getStore() === undefined &&
    storage.run(ours, () => {
      if (storage.getStore() !== ours || deno.get() !== undefined) {
        return false;
      }
      deno.enter(theirs); // undone when this run returns
      return storage.getStore() === ours && deno.get() === theirs &&
        storage.run(
          inner,
          () => storage.getStore() === inner && deno.get() === theirs,
        );
    }) && storage.getStore() === undefined;
}

function findStorage(): [ContextBackend, Storage] {
  const runtime = globalThis as RuntimeGlobals;
  const native = runtime.AsyncContext?.Variable;
  if (typeof native === "function") {
    const slot = new native();
    return ["AsyncContext", {
      getStore: () => slot.get(),
      run: (mapping, fn, ...args) => slot.run(mapping, () => fn(...args)),
    }];
  }
  const deno = denoSlotStorage();
  if (deno !== undefined) return ["Deno", deno];
  const hooks = runtime.process?.getBuiltinModule?.("node:async_hooks") as
    | { AsyncLocalStorage?: new () => Storage }
    | undefined;
  if (typeof hooks?.AsyncLocalStorage === "function") {
    return ["AsyncLocalStorage", new hooks.AsyncLocalStorage()];
  }
  const missing = (): never => {
    throw new Error(
      "Cannot use @corral/context: this runtime has neither AsyncContext nor " +
        "AsyncLocalStorage (node:async_hooks); run on Deno, Node 20.16+ or Bun",
    );
  };
  return ["none", { getStore: missing, run: missing }];
}

const [backend, found] = findStorage();

/** The storage every variable reads and every `run` writes. */
export const storage: Storage = found;

/**
 * Which mechanism carries context values on this runtime, in the order they
 * are tried:
 *
 * - `"AsyncContext"`: the native TC39 proposal;
 * - `"Deno"`: the context slot that Deno's `AsyncLocalStorage` is built on,
 *   used directly (a `run` costs about a seventh of an
 *   `AsyncLocalStorage.run`); values set with Deno's `AsyncLocalStorage` and
 *   with corral's variables keep following each other;
 * - `"AsyncLocalStorage"`: `node:async_hooks` (Node, Bun);
 * - `"none"`: the first use of a variable throws.
 *
 * @example Usage
 * ```ts
 * import { contextBackend } from "@corral/context";
 * import assert from "node:assert/strict";
 *
 * assert.ok(["AsyncContext", "Deno", "AsyncLocalStorage"].includes(contextBackend));
 * ```
 */
export const contextBackend: ContextBackend = backend;
