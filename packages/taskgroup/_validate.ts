// Copyright the corral authors. MIT license.
/**
 * Argument checks of DESIGN "Bad input": the action, what was wrong, the
 * current value.
 *
 * @module
 */

export {
  checkCallback,
  describe,
  isGeneratorFunction,
  label,
} from "@corral/scope/plumbing";
import { checkCallback } from "@corral/scope/plumbing";

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
