// Copyright the corral authors. MIT license.
import { type Frame, storage as importedStorage } from "./_storage.ts";

// A module-local copy: reading an imported binding costs a hole check on
// every access.
const storage = importedStorage;
import { checkFunction } from "./_check.ts";

/**
 * A frozen copy of every context variable's value, shaped like the TC39
 * `AsyncContext.Snapshot`. Taking one is O(1): the current context is never
 * changed after it is stored, so keeping a reference is enough.
 *
 * @example Usage
 * ```ts
 * import { Snapshot, Variable } from "@corral/context";
 * import assert from "node:assert/strict";
 *
 * const user = new Variable<string>();
 * const snapshot = user.run("ada", () => new Snapshot());
 * assert.equal(user.get(), undefined);
 * assert.equal(snapshot.run(() => user.get()), "ada");
 * ```
 */
export class Snapshot {
  #frame: Frame | undefined;

  /** Captures the value of every variable in the current context. */
  constructor() {
    this.#frame = storage.capture();
  }

  /**
   * Calls `fn(...args)` in the captured context, then restores the caller's.
   *
   * @typeParam R The result of `fn`.
   * @typeParam A The arguments of `fn`.
   * @param fn The callback.
   * @param args Passed to `fn`.
   * @returns What `fn` returns.
   * @throws {TypeError} If `fn` is not a function.
   */
  run<R, A extends unknown[]>(fn: (...args: A) => R, ...args: A): R {
    checkFunction("run snapshot", fn);
    // `this === undefined` in `fn`, as in `Variable.run`.
    return storage.restore(this.#frame, applyTo, fn, undefined, args) as R;
  }

  /**
   * Returns `fn` bound to the current context: whoever calls the result,
   * and from wherever, `fn` runs with the values of wrap time (and with the
   * caller's `this` and arguments).
   *
   * @typeParam F The function type.
   * @param fn The function to bind.
   * @returns A function that calls `fn` in the wrap-time context.
   * @throws {TypeError} If `fn` is not a function.
   *
   * @example Usage
   * ```ts
   * import { Snapshot, Variable } from "@corral/context";
   * import assert from "node:assert/strict";
   *
   * const user = new Variable<string>();
   * const whoAmI = user.run("ada", () => Snapshot.wrap(() => user.get()));
   * assert.equal(user.run("bob", whoAmI), "ada");
   * ```
   */
  static wrap<F extends (...args: never[]) => unknown>(fn: F): F {
    checkFunction("wrap", fn);
    const frame = storage.capture();
    function wrapped(this: unknown, ...args: unknown[]): unknown {
      return storage.restore(frame, applyTo, fn, this, args);
    }
    Object.defineProperty(wrapped, "name", { value: `wrapped ${fn.name}` });
    return wrapped as unknown as F;
  }
}

/** `Reflect.apply` with the three arguments `Storage.restore` passes on. */
function applyTo(fn: unknown, thisArg: unknown, args: unknown): unknown {
  return Reflect.apply(fn as () => unknown, thisArg, args as unknown[]);
}
