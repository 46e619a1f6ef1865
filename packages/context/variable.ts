// Copyright the corral authors. MIT license.
import { storage as importedStorage } from "./_storage.ts";

// A module-local copy: reading an imported binding costs a hole check on
// every access, about 1.5 ns of the 8 ns a `get()` takes.
const storage = importedStorage;
import { checkFunction } from "./_check.ts";

/** Options for {@linkcode Variable}. */
export interface VariableOptions<T> {
  /** A label shown in debugging output. @default {""} */
  name?: string;
  /** What {@linkcode Variable.get} returns outside any `run`. @default {undefined} */
  defaultValue?: T;
}

/**
 * A context variable: a value that follows the logical call chain across
 * `await`, promise callbacks, timers and spawned tasks, shaped like the TC39
 * `AsyncContext.Variable`.
 *
 * The only way to give it a value is {@linkcode Variable.run}: the value holds
 * for the callback and everything it schedules, and the outer value is back
 * the moment `run` returns or throws. There is no `set()`, so no value can leak
 * out of a callback into its caller (the problem of the logical call context
 * discussion, where a generator's `set` escaped to whoever resumed it).
 *
 * @typeParam T The type of the value.
 *
 * @example Usage
 * ```ts
 * import { Variable } from "@corral/context";
 * import assert from "node:assert/strict";
 *
 * const requestId = new Variable<string>({ name: "requestId" });
 * await requestId.run("r-1", async () => {
 *   await new Promise((resolve) => setTimeout(resolve, 1));
 *   assert.equal(requestId.get(), "r-1");
 * });
 * assert.equal(requestId.get(), undefined);
 * ```
 */
export class Variable<T> {
  #name: string;
  #defaultValue: T | undefined;

  /**
   * Creates a variable. As in the proposal's spec text
   * (`AsyncContext.Variable ( options )`): an `options` that is not an
   * object (`undefined`, `null`, a string) is ignored; a `name` that is
   * present is converted with `ToString` (so `{ name: undefined }` gives
   * `"undefined"`, as in test262), else the name is `""`.
   *
   * @param options The name and the default value.
   * @throws {TypeError} If `options.name` cannot be converted to a string
   * (a Symbol, `Object.create(null)`), with the conversion's error as
   * `cause`.
   */
  constructor(options?: VariableOptions<T>) {
    let name = "";
    let defaultValue: T | undefined;
    if (
      (typeof options === "object" && options !== null) ||
      typeof options === "function"
    ) {
      if ("name" in options) name = nameToString(options.name);
      defaultValue = options.defaultValue;
    }
    this.#name = name;
    this.#defaultValue = defaultValue;
  }

  /** The label given at construction. */
  get name(): string {
    return this.#name;
  }

  /**
   * The value in the current context, or the default value outside any run.
   *
   * @returns The current value.
   */
  get(): T | undefined {
    return storage.find(this, this.#defaultValue) as T | undefined;
  }

  /**
   * Calls `fn(...args)` with this variable set to `value`, and returns what
   * `fn` returns. Promise callbacks, timers and tasks scheduled inside keep
   * seeing `value` after `run` returns; the caller never sees it.
   *
   * @typeParam R The result of `fn`.
   * @typeParam A The arguments of `fn`.
   * @param value The value for the duration of `fn`.
   * @param fn The callback.
   * @param args Passed to `fn`.
   * @returns What `fn` returns.
   * @throws {TypeError} If `fn` is not a function.
   */
  run<R, A extends unknown[]>(
    value: T,
    fn: (...args: A) => R,
    ...args: A
  ): R;
  run(value: T, fn: (...args: unknown[]) => unknown): unknown {
    if (typeof fn !== "function") {
      checkFunction(`run variable${describe(this.#name)}`, fn);
    }
    // Through a plain call, so that `fn` gets `this === undefined` as in TC39
    // (`Call(func, undefined, args)`); `AsyncLocalStorage.run` passes `null`.
    // The arguments are read from `arguments`, not a rest parameter: up to
    // three of them go on without an array of our own, one allocation fewer
    // on every scope entry and task spawn (they pass two).
    switch (arguments.length) {
      case 2:
        return storage.run(this, value, callWithoutArguments, fn);
      case 3:
        return storage.run(this, value, callWithOneArgument, fn, arguments[2]);
      case 4:
        return storage.run(
          this,
          value,
          callWithTwoArguments,
          fn,
          arguments[2],
          arguments[3],
        );
      case 5:
        return storage.run(
          this,
          value,
          callWithThreeArguments,
          fn,
          arguments[2],
          arguments[3],
          arguments[4],
        );
      default:
        return storage.run(
          this,
          value,
          callWithArguments,
          fn,
          Array.prototype.slice.call(arguments, 2),
        );
    }
  }

  /** `"AsyncContext.Variable"`, as in the proposal: `Object.prototype.toString` shows `[object AsyncContext.Variable]`. */
  declare readonly [Symbol.toStringTag]: string;

  /** Shows the name, as in `Variable "requestId"`. */
  toString(): string {
    return `Variable${describe(this.#name)}`;
  }
}

Object.defineProperty(Variable.prototype, Symbol.toStringTag, {
  value: "AsyncContext.Variable",
  writable: false,
  enumerable: false,
  configurable: true,
});

/** `ToString(name)`, or a `TypeError` that says which value failed. */
function nameToString(name: unknown): string {
  try {
    return `${name as string}`;
  } catch (cause) {
    throw new TypeError(
      "Cannot create variable: 'options.name' must be convertible to a " +
        `string: current value is ${
          typeof name === "symbol" ? "a symbol" : `a ${typeof name} that ` +
            "cannot be converted to a string"
        }`,
      { cause },
    );
  }
}

function describe(name: string): string {
  return name === "" ? "" : ` "${name}"`;
}

function callWithoutArguments(fn: unknown): unknown {
  return (fn as () => unknown)();
}

function callWithOneArgument(fn: unknown, a: unknown): unknown {
  return (fn as (a: unknown) => unknown)(a);
}

function callWithTwoArguments(fn: unknown, a: unknown, b: unknown): unknown {
  return (fn as (a: unknown, b: unknown) => unknown)(a, b);
}

function callWithThreeArguments(
  fn: unknown,
  a: unknown,
  b: unknown,
  c: unknown,
): unknown {
  return (fn as (a: unknown, b: unknown, c: unknown) => unknown)(a, b, c);
}

function callWithArguments(fn: unknown, args: unknown): unknown {
  return (fn as (...args: unknown[]) => unknown)(...(args as unknown[]));
}
