// Copyright the corral authors. MIT license.
import { CancelScope } from "@corral/scope";
import { show } from "./_validate.ts";
import { blocked } from "./_wait.ts";

/** What {@linkcode blockedOn} returns. */
export interface BlockedOn {
  /** The primitive (for a channel, the handle the wait was called on). */
  primitive: object;
  /** `waiting on lock "db"`, `sending on channel "jobs"`, for the task tree. */
  description: string;
}

/**
 * What a wait called directly in `scope` is blocked on, if that is a
 * primitive of this package that has a name: the task tree
 * (`@corral/taskgroup`'s `taskTree()`) shows it on the scope's line, as
 * `task "fetch" (waiting on limiter "api")`.
 *
 * Only named primitives are tracked, so an unnamed one costs nothing per
 * wait; every primitive's `statistics()` lists its waiters, named or not.
 * The scope is the innermost one where the wait was called (inside a
 * `moveOnAfter` in a task, the `moveOnAfter`'s scope). If one scope has
 * several waits at once (`Promise.all`), the latest one is shown.
 *
 * @param scope The scope to ask about.
 * @returns The primitive and a description, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { blockedOn, Lock } from "@corral/sync";
 * import { currentScope } from "@corral/scope";
 * import { taskGroup } from "@corral/taskgroup";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock({ name: "db" });
 * await taskGroup(async (group) => {
 *   await lock.acquire();
 *   const waiter = group.spawn(() => lock.acquire());
 *   await new Promise((resolve) => setTimeout(resolve, 1));
 *   assert.equal(blockedOn(waiter.scope)?.description, 'waiting on lock "db"');
 *   assert.equal(blockedOn(currentScope()!), undefined);
 *   waiter.cancel();
 *   lock.release();
 * });
 * ```
 */
export function blockedOn(scope: CancelScope): BlockedOn | undefined {
  if (!(scope instanceof CancelScope)) {
    throw new TypeError(
      `Cannot tell what a scope is blocked on: 'scope' must be a CancelScope: current value is ${
        show(scope)
      }`,
    );
  }
  const node = blocked.get(scope);
  const queue = node?.queue;
  if (node === undefined || queue?.description === undefined) return undefined;
  return {
    primitive: node.handle ?? queue.primitive,
    description: queue.description,
  };
}
