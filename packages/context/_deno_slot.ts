// Copyright the corral authors. MIT license.
/**
 * The `"Deno"` backend of `_storage.ts`: Deno's context slot, written
 * directly. Internal: none of this is for users.
 *
 * The backend is chosen at load, after two tests: a synchronous self-test
 * (our contexts and Deno's own variables see each other's values) and an
 * asynchronous probe (values cross `await`, promise callbacks and timers,
 * and interleaved chains keep their own). The probe needs a few turns of the
 * event loop, so this module has a top-level `await`; it takes about a
 * timer's tick (under a millisecond), once, when the module is first
 * imported. Only Deno waits for it: on every other runtime the function
 * returns at once, and the npm build maps this module to a one-line stand-in
 * on every runtime but Deno (the `"deno"` condition of its `imports`), so a
 * Node program can still `require()` the package.
 *
 * @module
 */
import {
  findIn,
  type Frame,
  type Passed,
  type Storage,
  without,
} from "./_frame.ts";
import { requestedBackend } from "./_requested.ts";

/** What this module uses of `Deno[Deno.internal].core` (`ext:core/01_core.js`). */
export interface DenoCore {
  getAsyncContext(): unknown;
  setAsyncContext(context: unknown): void;
  AsyncVariable: new () => { enter(value: unknown): unknown; get(): unknown };
}

/**
 * The highest index we accept for our entries. A context of ours is an array
 * that reaches them, so indices past a few dozen (a program that made
 * hundreds of `AsyncLocalStorage`s before importing us) would make every
 * copy long.
 */
const HIGHEST_INDEX = 63;

/**
 * The highest id of someone else's entry that we copy into an array. A
 * program that keeps making `AsyncLocalStorage`s (one per request, say) has
 * ever higher ids; a context holding one is copied as Deno copies it, into
 * a dictionary, rather than into an array that long.
 */
const HIGHEST_ID_IN_ARRAY = 255;

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
 * store a packed array: it is copied with one `slice()`. Our head frame is
 * kept inline, in three entries at indices we reserve by making three
 * `AsyncVariable`s (ids count up from 0), so no variable of Deno's or of a
 * user's ever takes them: the variable, its value, and the rest of the list.
 * A task spawned in a group then costs one array, and no frame.
 *
 * This is not a public API of Deno, so it is used only if it behaves as
 * described: a self-test runs Deno's own `AsyncVariable` inside a context of
 * ours and ours inside one of Deno's. If anything differs, or anything is
 * missing, we use `AsyncLocalStorage` instead. The asynchronous half of the
 * check is {@linkcode passesAsyncProbe}, run by {@linkcode chooseDenoSlot}.
 *
 * @param core Deno's core, or a stand-in in tests.
 */
export function denoSlotStorage(
  core: Partial<DenoCore> | undefined = denoCore(),
): Storage | undefined {
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
    // Reserve three indices: each new variable's `enter` from an empty
    // context shows its id as the one key.
    const reserved: number[] = [];
    for (let i = 0; i < 3; i++) {
      setAsyncContext(undefined);
      new AsyncVariable().enter(true);
      const keys = Object.keys(getAsyncContext() ?? {});
      reserved.push(keys.length === 1 ? Number(keys[0]) : NaN);
    }
    const [head, value, rest] = reserved as [number, number, number];
    if (
      !Number.isInteger(head) || head < 0 || value !== head + 1 ||
      rest !== head + 2 || rest > HIGHEST_INDEX
    ) {
      return undefined;
    }
    setAsyncContext(undefined);
    const storage = inlineStorage(getAsyncContext, setAsyncContext, head);
    return passesSelfTest(storage, new AsyncVariable()) ? storage : undefined;
  } catch {
    return undefined;
  } finally {
    setAsyncContext(outside);
  }
}

/** `Deno[Deno.internal].core`, or `undefined` when there is none. */
function denoCore(): Partial<DenoCore> | undefined {
  try {
    const deno = (globalThis as { Deno?: { internal?: symbol } }).Deno;
    const internal = deno?.internal;
    return typeof internal === "symbol"
      ? (deno as unknown as Record<symbol, { core?: DenoCore } | undefined>)[
        internal
      ]?.core
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A `Storage` on Deno's context slot, the head frame inline at indices
 * `head` (its variable), `head + 1` (its value) and `head + 2` (the rest).
 */
function inlineStorage(
  getAsyncContext: () => unknown,
  setAsyncContext: (context: unknown) => void,
  head: number,
): Storage {
  const VARIABLE = head, VALUE = head + 1, REST = head + 2;
  type Context = Record<number, unknown> | null | undefined;

  /**
   * A copy of the current context to change our entries in. An array (ours,
   * or another copy's of this module) is copied with `slice()`, and padded
   * without holes (a hole would be read through `Array.prototype`). Anything
   * else is empty or one of Deno's (an `AsyncLocalStorage.run` inside ours):
   * its entries are copied into a new array. One that holds an id past
   * `HIGHEST_ID_IN_ARRAY`, or (none does today) a key that is not an id, is
   * copied whole, as Deno copies it: slower, but never long, and nothing of
   * anyone else's is lost.
   */
  function copyOf(previous: unknown): Record<number, unknown> {
    let context: unknown[];
    if (Array.isArray(previous)) context = previous.slice();
    else {
      const entries = previous as Context;
      let length = 0;
      for (const key in entries) {
        const id = Number(key);
        if (!Number.isInteger(id) || id < 0 || id > HIGHEST_ID_IN_ARRAY) {
          return Object.assign(Object.create(null), entries);
        }
        length = Math.max(length, id + 1);
      }
      if (entries != null && Object.getOwnPropertySymbols(entries).length > 0) {
        return Object.assign(Object.create(null), entries);
      }
      context = [];
      for (let id = 0; id < length; id++) context.push(entries![id]);
    }
    while (context.length <= REST) context.push(undefined);
    return context;
  }

  /** Calls `fn` with `context` current, then makes `previous` current again. */
  function enter<R>(
    previous: unknown,
    context: Record<number, unknown>,
    fn: Passed<R>,
    a: unknown,
    b: unknown,
    c: unknown,
    d: unknown,
  ): R {
    setAsyncContext(context);
    try {
      return fn(a, b, c, d);
    } finally {
      setAsyncContext(previous);
    }
  }

  /**
   * A stack overflow can strike `enter`'s own restore at the very end of
   * the stack (rule 19). One frame up, the context to put back is noted in
   * `lostPrevious` and `lostLeft` (assignments, which need no stack: an
   * object literal would not do, as the first one made at a site asks V8
   * for its template, and that wants stack) and put back; when even that
   * overflows, the next use of the storage, on a roomier stack, does it, if
   * the context left behind is still there.
   */
  let lost = false;
  let lostPrevious: unknown, lostLeft: unknown;
  function repair(): void {
    if (getAsyncContext() === lostLeft) setAsyncContext(lostPrevious);
    lost = false;
    lostPrevious = lostLeft = undefined;
  }
  function enterOrRepair<R>(
    previous: unknown,
    context: Record<number, unknown>,
    fn: Passed<R>,
    a: unknown,
    b: unknown,
    c: unknown,
    d: unknown,
  ): R {
    try {
      return enter(previous, context, fn, a, b, c, d);
    } catch (error) {
      lost = true;
      lostPrevious = previous;
      lostLeft = context;
      try {
        repair();
      } catch {
        // Left noted for the next use.
      }
      throw error;
    }
  }

  return {
    find(variable, fallback) {
      if (lost) repair();
      const context = getAsyncContext() as Context;
      if (context == null) return fallback;
      if (context[VARIABLE] === variable) return context[VALUE];
      return findIn(context[REST] as Frame | undefined, variable, fallback);
    },
    run(variable, value, fn, a, b, c, d) {
      if (lost) repair();
      const previous = getAsyncContext();
      const context = copyOf(previous);
      const current = context[VARIABLE] as object | undefined;
      if (current !== variable && current !== undefined) {
        // The old head moves into the list, which loses `variable`'s frame.
        context[REST] = {
          variable: current,
          value: context[VALUE],
          rest: without(context[REST] as Frame | undefined, variable),
        };
      }
      context[VARIABLE] = variable;
      context[VALUE] = value;
      return enterOrRepair(previous, context, fn, a, b, c, d);
    },
    capture() {
      if (lost) repair();
      const context = getAsyncContext() as Context;
      const variable = context?.[VARIABLE] as object | undefined;
      return variable === undefined ? undefined : {
        variable,
        value: context![VALUE],
        rest: context![REST] as Frame | undefined,
      };
    },
    restore(frame, fn, a, b, c, d) {
      if (lost) repair();
      const previous = getAsyncContext();
      const context = copyOf(previous);
      context[VARIABLE] = frame?.variable;
      context[VALUE] = frame?.value;
      context[REST] = frame?.rest;
      return enterOrRepair(previous, context, fn, a, b, c, d);
    },
  };
}

/**
 * Whether contexts of ours and Deno's work inside each other: Deno's
 * variable reads nothing in ours, and its value survives our `run`; ours
 * survive Deno's `enter`.
 */
function passesSelfTest(
  storage: Storage,
  deno: { enter(value: unknown): unknown; get(): unknown },
): boolean {
  const first = {}, second = {}, theirs = {};
  const read = () => [storage.find(first, "-"), storage.find(second, "-")];
  const same = (seen: unknown[], expected: unknown[]) =>
    seen.length === expected.length && seen.every((x, i) => x === expected[i]);
  return same(read(), ["-", "-"]) &&
    storage.run(first, 1, () => {
      if (!same(read(), [1, "-"]) || deno.get() !== undefined) return false;
      deno.enter(theirs); // undone when this run returns
      return same(read(), [1, "-"]) && deno.get() === theirs &&
        storage.run(
          second,
          2,
          () => same(read(), [1, 2]) && deno.get() === theirs,
        );
    }) && same(read(), ["-", "-"]);
}

/**
 * Whether values in `storage` follow the logical call chain across every
 * kind of wait: a plain `await`, a `then` callback, `queueMicrotask` and a
 * timer, with two chains interleaved so that each must keep its own value,
 * and nothing leaking out to the code that started them. The synchronous
 * self-test cannot see this: a Deno that kept the slot's format but stopped
 * carrying it across `await` (or carried it differently across timers)
 * would pass it and then attach scopes to the wrong parents.
 *
 * @param storage The candidate backend.
 * @returns `true` when every value read was the expected one.
 */
export async function passesAsyncProbe(storage: Storage): Promise<boolean> {
  const variable = {};
  const read = () => storage.find(variable, "-");
  function chain(): Promise<unknown[]> {
    return (async () => {
      const seen = [read()];
      await undefined;
      seen.push(read());
      seen.push(await Promise.resolve().then(read));
      seen.push(
        await new Promise((resolve) => queueMicrotask(() => resolve(read()))),
      );
      seen.push(
        await new Promise((resolve) => setTimeout(() => resolve(read()), 0)),
      );
      seen.push(read());
      return seen;
    })();
  }
  try {
    const first = storage.run(variable, "a", chain);
    const second = storage.run(variable, "b", chain);
    const outside = [read()];
    const [a, b] = await Promise.all([first, second]);
    outside.push(read());
    return [...a, ...b, ...outside].join() ===
      ["a", "a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "b", "-", "-"]
        .join();
  } catch {
    return false;
  }
}

/**
 * The `"Deno"` backend if this runtime has Deno's context slot and it passes
 * both the synchronous self-test and {@linkcode passesAsyncProbe}; else
 * `undefined`.
 *
 * @param core Deno's core, or a stand-in in tests.
 */
export async function chooseDenoSlot(
  core: Partial<DenoCore> | undefined = denoCore(),
): Promise<Storage | undefined> {
  const storage = denoSlotStorage(core);
  if (storage === undefined) return undefined;
  return await passesAsyncProbe(storage) ? storage : undefined;
}

/**
 * The `"Deno"` backend, or `undefined`: not tried where a native
 * `AsyncContext` comes first or where `CORRAL_CONTEXT_BACKEND` asks for
 * `AsyncLocalStorage`, and no `await` at all off Deno.
 */
export const denoSlot: Storage | undefined =
  typeof (globalThis as { AsyncContext?: { Variable?: unknown } }).AsyncContext
        ?.Variable === "function" ||
    requestedBackend === "AsyncLocalStorage" || denoCore() === undefined
    ? undefined
    : await chooseDenoSlot();
