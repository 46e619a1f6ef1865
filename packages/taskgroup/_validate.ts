// Copyright the corral authors. MIT license.
/**
 * Argument checks of docs/rules.md "Bad input": the action, what was wrong, the
 * current value.
 *
 * @module
 */

export {
  checkCallback,
  checkOptions,
  describe,
  isGeneratorFunction,
  label,
} from "@corral/scope/plumbing";
import { checkCallback, show, text } from "@corral/scope/plumbing";

/** `limit` must be undefined or a positive integer. */
export function checkLimit(action: string, limit: unknown): void {
  if (limit === undefined) return;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1) {
    throw new RangeError(
      `Cannot ${action}: 'limit' must be a positive integer: current value is ${
        text(limit)
      }`,
    );
  }
}

/** Every attempt must be a function (docs/rules.md "Bad input"). */
export function checkAttempts(
  action: string,
  attempts: unknown,
  argument = "attempts",
): void {
  if (!Array.isArray(attempts)) {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must be an array of functions: current value is ${
        show(attempts)
      }`,
    );
  }
  attempts.forEach((attempt, index) =>
    checkCallback(action, attempt, `${argument}[${index}]`)
  );
}

/** A sync or async iterable (docs/rules.md "Bad input"). */
export function checkIterable(
  action: string,
  items: unknown,
  argument: string,
): void {
  const iterable = items !== null && items !== undefined &&
    (typeof (items as Iterable<unknown>)[Symbol.iterator] === "function" ||
      typeof (items as AsyncIterable<unknown>)[Symbol.asyncIterator] ===
        "function");
  if (!iterable) {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must be an iterable or an async iterable: current value is ${
        show(items)
      }`,
    );
  }
}
