// Copyright the corral authors. MIT license.
/**
 * Argument checks of docs/rules.md "Bad input": the action, what was wrong, the
 * current value.
 *
 * @module
 */
import { text } from "@corral/scope/plumbing";

export {
  checkCallback,
  checkName,
  checkOptions,
  label,
  show,
} from "@corral/scope/plumbing";

/**
 * A count (capacity, total, initial value, max): a non-negative integer,
 * or `Infinity` when `infinite` allows it.
 */
export function checkCount(
  action: string,
  argument: string,
  value: unknown,
  infinite: boolean,
): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must be a number: current value is ${
        text(value)
      }`,
    );
  }
  if (
    !(Number.isInteger(value) && value >= 0) &&
    !(infinite && value === Infinity)
  ) {
    throw new RangeError(
      `Cannot ${action}: '${argument}' must be a non-negative integer${
        infinite ? " or Infinity" : ""
      }: current value is ${text(value)}`,
    );
  }
  return value;
}
