// Copyright the corral authors. MIT license.
/**
 * Argument checks of docs/rules.md "Bad input". Messages follow
 * std: the action, what was wrong, the current value. Every check runs
 * before anything starts, so bad input disturbs nothing.
 *
 * @module
 */
export {
  checkBoolean,
  checkCallback as checkFunction,
  checkDuration,
  checkName,
  checkOptions,
  checkSignal,
  describe,
  label,
  show,
} from "@corral/scope/plumbing";
