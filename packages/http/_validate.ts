// Copyright the corral authors. MIT license.
/**
 * Argument checks of docs/rules.md "Bad input", from
 * `@corral/scope/plumbing`, plus the one this package adds. Messages follow
 * std: the action, what was wrong, the current value.
 *
 * @module
 */
export {
  checkCallback,
  checkDuration,
  checkOptions,
  checkSignal,
  label,
  show,
} from "@corral/scope/plumbing";
