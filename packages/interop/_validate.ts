// Copyright the corral authors. MIT license.
/**
 * Argument checks of docs/rules.md "Bad input". Messages follow
 * std: the action, what was wrong, the current value. Every check runs
 * before anything starts, so bad input disturbs nothing.
 *
 * @module
 */
import { show } from "@corral/scope/plumbing";

export {
  checkBoolean,
  checkCallback as checkFunction,
  checkDuration,
  checkName,
  checkOptions,
  describe,
  label,
  show,
} from "@corral/scope/plumbing";

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
