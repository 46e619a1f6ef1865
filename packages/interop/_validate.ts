// Copyright the corral authors. MIT license.
/**
 * Argument checks of DESIGN "Bad input gets a clear error". Messages follow
 * std: the action, what was wrong, the current value. Every check runs
 * before anything starts, so bad input disturbs nothing.
 *
 * @module
 */

/** The value as a message shows it: strings quoted, the rest as `String()`. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return value.name || "anonymous function";
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A plain or async function; not a generator function (DESIGN rule 8). */
export function checkFunction(
  action: string,
  fn: unknown,
  argument = "fn",
): void {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must be a function: current value is ${
        show(fn)
      }`,
    );
  }
  const kind = fn.constructor?.name;
  if (kind === "GeneratorFunction" || kind === "AsyncGeneratorFunction") {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must not be a generator function: current value is ${
        show(fn)
      }`,
    );
  }
}

/** An `AbortSignal`, or (when `optional`) `undefined`. */
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

/** A duration in milliseconds: a number, neither NaN nor negative. */
export function checkDuration(
  action: string,
  argument: string,
  ms: unknown,
): void {
  if (typeof ms !== "number") {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must be a number: current value is ${
        show(ms)
      }`,
    );
  }
  if (Number.isNaN(ms) || ms < 0) {
    throw new RangeError(
      `Cannot ${action}: '${argument}' must be a non-negative number: current value is ${ms}`,
    );
  }
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

/** ` "name"` for a named object, nothing for an unnamed one. */
export function label(name: string): string {
  return name === "" ? "" : ` "${name}"`;
}

/** An error as one line, for messages and reasons. */
export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `thrown ${show(error)}`;
}
