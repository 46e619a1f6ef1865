// Copyright the corral authors. MIT license.
/**
 * The scope tree's plumbing for `@corral/taskgroup` and `@corral/interop`:
 * running a scope under a chosen parent, moving it, cancelling with a
 * source, waiting as a checkpoint, and walking the tree. No stability
 * promise: application code uses the public API in `mod.ts`.
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import { internals } from "@corral/scope/internal";
 * import assert from "node:assert/strict";
 *
 * const parent = new CancelScope({ name: "parent" });
 * await parent.run(() => {
 *   assert.equal(internals.current(), parent);
 * });
 * ```
 *
 * @module
 */
import "./cancel_scope.ts";
export {
  internals,
  type ScopeInternals,
  type ScopeState,
  type Settle,
  type Waiter,
} from "./_internal.ts";
export {
  activity,
  type Clock,
  type DeadlineEntry,
  realClock,
} from "./_clock.ts";
export {
  checkBoolean,
  checkCallback,
  checkDeadline,
  checkDuration,
  describe,
  isGeneratorFunction,
  label,
  show,
} from "./_validate.ts";
