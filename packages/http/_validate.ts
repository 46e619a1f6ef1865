// Copyright the corral authors. MIT license.
/**
 * Argument checks of docs/rules.md "Bad input", from
 * `@corral/scope/plumbing`, plus the one this package adds. Messages follow
 * std: the action, what was wrong, the current value.
 *
 * @module
 */
import { show } from "@corral/scope/plumbing";

export {
  checkCallback,
  checkDuration,
  checkOptions,
  label,
  show,
} from "@corral/scope/plumbing";

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
