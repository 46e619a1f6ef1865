// Copyright the corral authors. MIT license.
/**
 * Argument checks of the "bad input gets a clear error" contract, and the
 * formatting of user values for messages. Messages follow std: the action,
 * what was wrong, the current value.
 *
 * Rule 19 (bookkeeping never throws) is kept here: formatting a user value
 * can throw (a `message` getter that throws, a Symbol `name`,
 * `Object.create(null)`, a Proxy), so every function that turns a user value
 * into text catches, and falls back to the value's tag. Callers update their
 * counters first and format last, but what they format never throws anyway.
 *
 * @module
 */

/** ` "name"` for a named object, nothing for an unnamed one. */
export function label(name: string): string {
  return name === "" ? "" : ` "${name}"`;
}

/** `Object.prototype.toString`, which runs no user code but a `toStringTag` getter. */
function tag(value: unknown): string {
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return "[object]";
  }
}

/**
 * The value as a message shows it: strings quoted, functions by name, the
 * rest as `String()`. Never throws (`String(Object.create(null))` does, and
 * so can a `name` getter).
 */
export function show(value: unknown): string {
  try {
    if (typeof value === "string") return JSON.stringify(value);
    if (typeof value === "function") {
      const name = value.name;
      return typeof name === "string" && name !== ""
        ? name
        : "anonymous function";
    }
    if (isThenable(value)) return "a promise";
    return String(value);
  } catch {
    return tag(value);
  }
}

/** `value` as text for a message, with no quotes; never throws. */
export function text(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    const string = String(value);
    if (typeof string === "string") return string;
  } catch {
    // Object.create(null), a throwing toString, a revoked Proxy.
  }
  return tag(value);
}

/**
 * An error as one line, for messages and cancel reasons: `Name: message`.
 * Never throws, whatever the getters of `error` do.
 */
export function describe(error: unknown): string {
  let isError: boolean;
  try {
    isError = error instanceof Error;
  } catch {
    return `thrown ${tag(error)}`; // a revoked Proxy
  }
  if (!isError) return `thrown ${show(error)}`;
  let name: string, message: string;
  try {
    name = text((error as Error).name);
  } catch {
    name = "Error";
  }
  try {
    message = text((error as Error).message);
  } catch {
    message = "(its message could not be read)";
  }
  return `${name}: ${message}`;
}

/** True for a promise or any other object with a `then` method. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value instanceof Promise) return true;
  if (value === null || (typeof value !== "object")) return false;
  try {
    return typeof (value as PromiseLike<unknown>).then === "function";
  } catch {
    return false;
  }
}

/** True for `function*` and `async function*`. */
export function isGeneratorFunction(fn: object): boolean {
  const kind = fn.constructor;
  return kind === GeneratorFunction || kind === AsyncGeneratorFunction;
}

const GeneratorFunction = function* () {}.constructor;
const AsyncGeneratorFunction = async function* () {}.constructor;

/**
 * Rule 8 and "bad input": a plain or async function, nothing else.
 * `argument` is the parameter's name as the caller wrote it. A promise
 * where a function belongs (`group.spawn(work())`, a habit from
 * `Promise.all`) is marked handled, so its later rejection cannot end the
 * process, and the message says to pass a function.
 */
export function checkCallback(
  action: string,
  fn: unknown,
  argument = "fn",
): void {
  if (typeof fn !== "function") {
    if (isThenable(fn)) {
      try {
        Promise.prototype.then.call(fn, undefined, ignore);
      } catch {
        // A foreign thenable: nothing we can mark.
      }
      throw new TypeError(
        `Cannot ${action}: '${argument}' must be a function, not a promise: pass a function that starts the work, such as \`() => work()\`, so that it runs inside its scope`,
      );
    }
    throw new TypeError(
      `Cannot ${action}: '${argument}' must be a function: current value is ${
        show(fn)
      }`,
    );
  }
  if (isGeneratorFunction(fn)) {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must not be a generator function: current value is ${
        show(fn)
      }`,
    );
  }
}

function ignore(): void {}

/**
 * An options argument: `undefined`, or an object (not `null`, not a
 * primitive). `argument` is the parameter's name as the caller wrote it.
 */
export function checkOptions(
  action: string,
  options: unknown,
  argument = "options",
): void {
  if (
    options !== undefined &&
    (options === null ||
      (typeof options !== "object" && typeof options !== "function"))
  ) {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must be an object: current value is ${
        show(options)
      }`,
    );
  }
}

/**
 * A `name` option: `undefined` (the empty name) or a string. Returns the
 * name. Anything else is a `TypeError`, not whatever `String()` makes of it;
 * `expected` says what the caller takes.
 */
export function checkName(
  action: string,
  name: unknown,
  argument = "name",
  expected = "a string",
): string {
  if (name === undefined) return "";
  if (typeof name !== "string") {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must be ${expected}: current value is ${
        show(name)
      }`,
    );
  }
  return name;
}

/** A boolean, or `undefined`. */
export function checkBoolean(
  action: string,
  argument: string,
  value: unknown,
): void {
  if (value !== undefined && typeof value !== "boolean") {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must be a boolean: current value is ${
        show(value)
      }`,
    );
  }
}

/**
 * A deadline must be a number, not NaN (`-Infinity` and the past are fine).
 * `argument` is the parameter's name as the caller wrote it.
 */
export function checkDeadline(
  action: string,
  deadline: unknown,
  argument = "deadline",
): void {
  if (typeof deadline !== "number") {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must be a number: current value is ${
        text(deadline)
      }`,
    );
  }
  if (Number.isNaN(deadline)) {
    throw new RangeError(
      `Cannot ${action}: '${argument}' must not be NaN: current value is NaN`,
    );
  }
}

/** A duration must be a number, neither NaN nor negative. */
export function checkDuration(
  action: string,
  argument: string,
  ms: unknown,
): void {
  if (typeof ms !== "number") {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must be a number: current value is ${
        text(ms)
      }`,
    );
  }
  if (Number.isNaN(ms) || ms < 0) {
    throw new RangeError(
      `Cannot ${action}: '${argument}' must be a non-negative number: current value is ${ms}`,
    );
  }
}

/** `shield` must be a boolean (rule 7). */
export function checkShield(action: string, shield: unknown): void {
  if (typeof shield !== "boolean") {
    throw new TypeError(
      `Cannot ${action}: 'shield' must be a boolean: current value is ${
        text(shield)
      }`,
    );
  }
}

/** An `AbortSignal`. `argument` is the parameter's name as the caller wrote it. */
export function checkSignal(
  action: string,
  signal: unknown,
  argument = "signal",
): void {
  if (!(signal instanceof AbortSignal)) {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must be an AbortSignal: current value is ${
        show(signal)
      }`,
    );
  }
}
