// Copyright the corral authors. MIT license.
/**
 * Where the values of every {@linkcode Variable} live: the backend, chosen
 * once at load. Internal: none of this is for users. The shape of a context
 * (a list of frames) is in `_frame.ts`.
 *
 * Backend order: a native `AsyncContext` where the runtime has one; else,
 * on Deno, the context slot that Deno's own `AsyncLocalStorage` is built on
 * (see `_deno_slot.ts`: used only if it passes a synchronous self-test and
 * an asynchronous probe); else `AsyncLocalStorage` from `node:async_hooks`
 * (Node, Bun, and Deno should its slot ever change). The environment
 * variable `CORRAL_CONTEXT_BACKEND=AsyncLocalStorage` skips the first two.
 * `node:async_hooks` is looked up with `process.getBuiltinModule` rather
 * than a static import, so a browser can import this module; where no
 * backend exists, the first use throws.
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
import { denoSlot } from "./_deno_slot.ts";
import { requestedBackend } from "./_requested.ts";

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
  reset?: (head: Frame | undefined) => void,
): Storage {
  /**
   * A stack overflow can strike the slot's own restore at the very end of
   * the stack (rule 19). The frames on the way out note the head to put
   * back in `lostPrevious` and `lostLeft` (assignments, which need no
   * stack: an object literal would not do, as the first one made at a site
   * asks V8 for its template, and that wants stack) and try to; when even
   * that overflows, the next use of the storage, on a roomier stack, does
   * it, if the head left behind is still there.
   */
  let lost = false;
  let lostPrevious: Frame | undefined, lostLeft: Frame | undefined;
  function repair(): void {
    if (get() === lostLeft) reset!(lostPrevious);
    lost = false;
    lostPrevious = lostLeft = undefined;
  }
  function current(): Frame | undefined {
    if (lost) repair();
    return get();
  }
  function enter<R>(
    previous: Frame | undefined,
    head: Frame | undefined,
    fn: Passed<R>,
    a: unknown,
    b: unknown,
    c: unknown,
    d: unknown,
  ): R {
    try {
      return runIn(head, fn, a, b, c, d);
    } catch (error) {
      if (reset !== undefined) {
        lost = true;
        lostPrevious = previous;
        lostLeft = head;
        try {
          repair();
        } catch {
          // Left noted for the next use.
        }
      }
      throw error;
    }
  }
  return {
    find: (variable, fallback) => findIn(current(), variable, fallback),
    run: (variable, value, fn, a, b, c, d) => {
      const previous = current(), head = push(previous, variable, value);
      try {
        return enter(previous, head, fn, a, b, c, d);
      } catch (error) {
        if (lost) {
          try {
            repair(); // one frame up, with more room
          } catch {
            // Left noted for the next use.
          }
        }
        throw error;
      }
    },
    capture: current,
    restore: (frame, fn, a, b, c, d) => enter(current(), frame, fn, a, b, c, d),
  };
}

interface NativeVariable {
  get(): Frame | undefined;
  run<R>(value: Frame | undefined, fn: () => R): R;
}
interface AsyncLocalStorageLike {
  getStore(): Frame | undefined;
  enterWith(store: Frame | undefined): void;
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

/**
 * The error of every use of a variable where no backend exists: what
 * failed, why, and what to do. `@corral/scope` keeps the current scope in a
 * variable, so this is also what the first scope or task group throws.
 */
export const MISSING_BACKEND =
  "Cannot use @corral/context: this runtime has neither AsyncContext nor " +
  "AsyncLocalStorage (node:async_hooks), so no value can follow an await " +
  "(a browser today); @corral/scope and @corral/taskgroup keep the current " +
  "scope in a context variable and cannot run here either. Run on Deno, " +
  "Node 20.16+ or Bun; in a browser, use only the exports that need no " +
  "context (the Browsers section of the @corral/context README)";

/** The first backend this runtime has, in the order of the module doc. */
function findStorage(): [ContextBackend, Storage] {
  const runtime = globalThis as RuntimeGlobals;
  const native = runtime.AsyncContext?.Variable;
  if (typeof native === "function" && requestedBackend === undefined) {
    const slot = new native();
    return [
      "AsyncContext",
      slotStorage(
        () => slot.get(),
        (head, fn, a, b, c, d) => slot.run(head, () => fn(a, b, c, d)),
      ),
    ];
  }
  if (denoSlot !== undefined) return ["Deno", denoSlot];
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
        (head) => slot.enterWith(head),
      ),
    ];
  }
  const missing = (): never => {
    throw new Error(MISSING_BACKEND);
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
 * - `"none"`: the first use of a variable throws (a browser today).
 *
 * The `"Deno"` backend is used only if it passes a synchronous self-test
 * and an asynchronous probe (values cross `await`, promise callbacks and
 * timers) when the package is first imported. To skip it and a native
 * `AsyncContext`, set the environment variable
 * `CORRAL_CONTEXT_BACKEND=AsyncLocalStorage` (on Deno it is read only when
 * the env permission for it is already granted, e.g.
 * `--allow-env=CORRAL_CONTEXT_BACKEND`; nothing is ever prompted for).
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
