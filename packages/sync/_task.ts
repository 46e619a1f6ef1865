// Copyright the corral authors. MIT license.
/**
 * What "the current task" is, for the owner of a `Lock` and the default
 * borrower of a `CapacityLimiter`.
 *
 * `@corral/sync` sits below `@corral/taskgroup`, so it cannot ask for a
 * `Task`. It walks out from the current scope to the first scope whose
 * owner (set with the plumbing's `setOwner`) is a task: a task group marks
 * each task's scope with its `Task`, and its own scope with the
 * `TaskGroup`. A group's body runs in the group's scope but belongs to the
 * task around the group (as a Trio nursery's body runs in the parent
 * task), so an owner that can `spawn` is walked past. Code in no task (a
 * script's top level, a root scope, `moveOnAfter` around it) is one task,
 * Trio's main task.
 *
 * Limits: two promise chains started with `Promise.all` in one task are
 * one task here; so is all code outside any task.
 *
 * @module
 */
import type { CancelScope } from "@corral/scope";
import { ownerOf, parentOf } from "@corral/scope/plumbing";

/** The task of code that runs in no task. */
export const outsideAnyTask: object = Object.freeze({
  toString: () => "code outside any task",
});

/** The task `scope` belongs to (see the module doc). */
export function taskOf(scope: CancelScope | undefined): object {
  for (; scope !== undefined; scope = parentOf(scope)) {
    const owner = ownerOf(scope);
    if (owner !== undefined && !isGroup(owner)) return owner;
  }
  return outsideAnyTask;
}

/** A task group's body belongs to the task around the group. */
function isGroup(owner: object): boolean {
  return typeof (owner as { spawn?: unknown }).spawn === "function";
}
