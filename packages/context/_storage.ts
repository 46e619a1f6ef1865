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
 * where the runtime has one, else `AsyncLocalStorage` from
 * `node:async_hooks` (Deno, Node, Bun). It is looked up with
 * `process.getBuiltinModule` rather than a static import, so a browser can
 * import this module; where neither exists, the first use throws.
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
export type ContextBackend = "AsyncContext" | "AsyncLocalStorage" | "none";

interface NativeVariable {
  get(): Mapping | undefined;
  run<R>(value: Mapping | undefined, fn: () => R): R;
}
interface RuntimeGlobals {
  AsyncContext?: { Variable: new () => NativeVariable };
  process?: { getBuiltinModule?(name: string): unknown };
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
 * Which mechanism carries context values on this runtime:
 * `"AsyncContext"` (native TC39 proposal), `"AsyncLocalStorage"`
 * (`node:async_hooks`), or `"none"` (the first use of a variable throws).
 *
 * @example Usage
 * ```ts
 * import { contextBackend } from "@corral/context";
 * import assert from "node:assert/strict";
 *
 * assert.ok(["AsyncContext", "AsyncLocalStorage"].includes(contextBackend));
 * ```
 */
export const contextBackend: ContextBackend = backend;
