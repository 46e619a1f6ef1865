// Copyright the corral authors. MIT license.

/**
 * Throws the `TypeError` of DESIGN "Bad input" when `fn` is not a function.
 * The message names the action and the argument, in std's style:
 * `Cannot wrap: 'fn' must be a function: current value is 42`.
 */
export function checkFunction(action: string, fn: unknown): void {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot ${action}: 'fn' must be a function: current value is ${
        typeof fn === "string" ? JSON.stringify(fn) : String(fn)
      }`,
    );
  }
}
