// Copyright the corral authors. MIT license.
/**
 * Argument checks of DESIGN "Bad input gets a clear error". Messages follow
 * std: the action, what was wrong, the current value.
 *
 * @module
 */

/** ` "name"` for a named object, nothing for an unnamed one. */
export function label(name: string): string {
  return name === "" ? "" : ` "${name}"`;
}

/**
 * The value as a message shows it: strings quoted, functions by name, the
 * rest as `String()`. Never throws (`String(Object.create(null))` does).
 */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return value.name || "anonymous function";
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** An error as one line, for messages and cancel reasons. */
export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `thrown ${show(error)}`;
}

/** True for `function*` and `async function*`. */
export function isGeneratorFunction(fn: object): boolean {
  const kind = fn.constructor;
  return kind === GeneratorFunction || kind === AsyncGeneratorFunction;
}

const GeneratorFunction = function* () {}.constructor;
const AsyncGeneratorFunction = async function* () {}.constructor;

/**
 * Rule 8 and DESIGN "Bad input": a plain or async function, nothing else.
 * `argument` is the parameter's name as the caller wrote it.
 */
export function checkCallback(
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
  if (isGeneratorFunction(fn)) {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must not be a generator function: current value is ${
        show(fn)
      }`,
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
        String(deadline)
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
        String(ms)
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
        String(shield)
      }`,
    );
  }
}
