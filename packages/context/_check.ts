// Copyright the corral authors. MIT license.

/**
 * Throws the `TypeError` of docs/rules.md "Bad input" when `fn` is not a function.
 * The message names the action and the argument, in std's style:
 * `Cannot wrap: 'fn' must be a function: current value is 42`.
 */
export function checkFunction(action: string, fn: unknown): void {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot ${action}: 'fn' must be a function: current value is ${show(fn)}`,
    );
  }
}

// Never throws: `String()` throws for `Object.create(null)` and for an object
// whose `toString` throws, and that error would replace ours.
function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  try {
    return String(value);
  } catch {
    return `a ${typeof value} that cannot be converted to a string`;
  }
}
