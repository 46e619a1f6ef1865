// Copyright the corral authors. MIT license.
/**
 * Argument checks of DESIGN "Bad input": the action, what was wrong, the
 * current value.
 *
 * @module
 */

/** ` "name"` for a named object, nothing for an unnamed one. */
export function label(name: string): string {
  return name === "" ? "" : ` "${name}"`;
}

/** A plain or async function; not a generator function (rule 8). */
export function checkCallback(action: string, fn: unknown): void {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot ${action}: 'fn' must be a function: current value is ${
        typeof fn === "string" ? JSON.stringify(fn) : String(fn)
      }`,
    );
  }
  if (isGeneratorFunction(fn)) {
    throw new TypeError(
      `Cannot ${action}: 'fn' must not be a generator function: current value is ${
        fn.name || "anonymous"
      }`,
    );
  }
}

/** True for `function*` and `async function*`. */
export function isGeneratorFunction(fn: object): boolean {
  const kind = fn.constructor;
  return kind === GeneratorFunction || kind === AsyncGeneratorFunction;
}

const GeneratorFunction = function* () {}.constructor;
const AsyncGeneratorFunction = async function* () {}.constructor;

/** `limit` must be undefined or a positive integer. */
export function checkLimit(action: string, limit: unknown): void {
  if (limit === undefined) return;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1) {
    throw new RangeError(
      `Cannot ${action}: 'limit' must be a positive integer: current value is ${
        String(limit)
      }`,
    );
  }
}

/** Every attempt must be a function (DESIGN "Bad input"). */
export function checkAttempts(action: string, attempts: unknown): void {
  if (!Array.isArray(attempts)) {
    throw new TypeError(
      `Cannot ${action}: 'attempts' must be an array of functions: current value is ${
        String(attempts)
      }`,
    );
  }
  attempts.forEach((attempt, index) =>
    checkCallback(`${action}: attempt ${index}`, attempt)
  );
}
