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
   * caller's `this` and arguments). As in the proposal's spec text, the
   * result has `fn`'s `length`, the name `"wrapped " + fn.name`, and is not
   * a constructor.
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
    // A method, not a `function`: like the proposal's built-in closure it
    // is not a constructor (`new wrapped()` throws a TypeError).
    const { wrapped } = {
      wrapped(this: unknown, ...args: unknown[]): unknown {
        return storage.restore(frame, applyTo, fn, this, args);
      },
    };
    copyNameAndLength(wrapped, fn, "wrapped");
    return wrapped as unknown as F;
  }

  /** `"AsyncContext.Snapshot"`, as in the proposal: `Object.prototype.toString` shows `[object AsyncContext.Snapshot]`. */
  declare readonly [Symbol.toStringTag]: string;
}

Object.defineProperty(Snapshot.prototype, Symbol.toStringTag, {
  value: "AsyncContext.Snapshot",
  writable: false,
  enumerable: false,
  configurable: true,
});

/**
 * `CopyNameAndLength(wrapped, target, prefix)` of the ShadowRealm proposal,
 * which `AsyncContext.Snapshot.wrap` uses: `length` is the target's own
 * `length` when it is a number (an integer part, at least 0, `Infinity`
 * kept), else 0; `name` is `prefix`, a space and the target's `name` when
 * it is a string, else `prefix` and a space. Reading them may throw (a
 * getter), as in the spec.
 */
function copyNameAndLength(
  wrapped: (...args: never[]) => unknown,
  target: (...args: never[]) => unknown,
  prefix: string,
): void {
  let length = 0;
  if (Object.hasOwn(target, "length")) {
    const targetLength: unknown = target.length;
    if (typeof targetLength === "number") {
      if (targetLength === Infinity) length = Infinity;
      else if (targetLength !== -Infinity) {
        // ToIntegerOrInfinity: NaN is 0, the rest truncated.
        length = Math.max(Math.trunc(targetLength) || 0, 0);
      }
    }
  }
  const targetName: unknown = target.name;
  const name = `${prefix} ${typeof targetName === "string" ? targetName : ""}`;
  Object.defineProperty(wrapped, "length", { value: length });
  Object.defineProperty(wrapped, "name", { value: name });
}

/** `Reflect.apply` with the three arguments `Storage.restore` passes on. */
function applyTo(fn: unknown, thisArg: unknown, args: unknown): unknown {
  return Reflect.apply(fn as () => unknown, thisArg, args as unknown[]);
}
