// Copyright the corral authors. MIT license.
/**
 * Where the values of every {@linkcode Variable} live: the backend, chosen
 * once at load. Internal: none of this is for users. The shape of a context
 * (a list of frames) is in `_frame.ts`.
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
import {
  findIn,
  type Frame,
  type Passed,
  push,
  type Storage,
} from "./_frame.ts";
import { denoSlotStorage } from "./_deno_slot.ts";

export type { Frame, Storage };

/** Which mechanism carries the context on this runtime. */
export type ContextBackend =
  | "AsyncContext"
  | "Deno"
  | "AsyncLocalStorage"
  | "none";

/**
 * A `Storage` on one slot that holds the head frame: a native
 * `AsyncContext.Variable` or an `AsyncLocalStorage`.
 */
function slotStorage(
  get: () => Frame | undefined,
  runIn: <R>(
    head: Frame | undefined,
    fn: Passed<R>,
    a: unknown,
    b: unknown,
    c: unknown,
    d: unknown,
  ) => R,
): Storage {
  return {
    find: (variable, fallback) => findIn(get(), variable, fallback),
    run: (variable, value, fn, a, b, c, d) =>
      runIn(push(get(), variable, value), fn, a, b, c, d),
    capture: get,
    restore: (frame, fn, a, b, c, d) => runIn(frame, fn, a, b, c, d),
  };
}

interface NativeVariable {
  get(): Frame | undefined;
  run<R>(value: Frame | undefined, fn: () => R): R;
}
interface AsyncLocalStorageLike {
  getStore(): Frame | undefined;
  run<R, A extends unknown[]>(
    store: Frame | undefined,
    fn: (...args: A) => R,
    ...args: A
  ): R;
}
interface RuntimeGlobals {
  AsyncContext?: { Variable: new () => NativeVariable };
  process?: { getBuiltinModule?(name: string): unknown };
}

/** The first backend this runtime has, in the order of the module doc. */
function findStorage(): [ContextBackend, Storage] {
  const runtime = globalThis as RuntimeGlobals;
  const native = runtime.AsyncContext?.Variable;
  if (typeof native === "function") {
    const slot = new native();
    return [
      "AsyncContext",
      slotStorage(
        () => slot.get(),
        (head, fn, a, b, c, d) => slot.run(head, () => fn(a, b, c, d)),
      ),
    ];
  }
  const deno = denoSlotStorage();
  if (deno !== undefined) return ["Deno", deno];
  const hooks = runtime.process?.getBuiltinModule?.("node:async_hooks") as
    | { AsyncLocalStorage?: new () => AsyncLocalStorageLike }
    | undefined;
  if (typeof hooks?.AsyncLocalStorage === "function") {
    const slot = new hooks.AsyncLocalStorage();
    return [
      "AsyncLocalStorage",
      slotStorage(
        () => slot.getStore(),
        (head, fn, a, b, c, d) => slot.run(head, fn, a, b, c, d),
      ),
    ];
  }
  const missing = (): never => {
    throw new Error(
      "Cannot use @corral/context: this runtime has neither AsyncContext nor " +
        "AsyncLocalStorage (node:async_hooks); run on Deno, Node 20.16+ or Bun",
    );
  };
  return ["none", {
    find: missing,
    run: missing,
    capture: missing,
    restore: missing,
  }];
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
