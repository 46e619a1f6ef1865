// Copyright the corral authors. MIT license.
import { CancelScope } from "@corral/scope";
import {
  cancellationOf,
  childrenOf,
  ownerOf,
  roots,
  show,
  timeOf,
} from "@corral/scope/plumbing";
import { blockedOn } from "@corral/sync";
import { Task } from "./task.ts";
import { TaskGroup } from "./task_group.ts";

/**
 * Draws the live tree of groups, tasks and scopes as text, for debugging:
 * every active scope under `root` (by default, every root scope), with its
 * name, what it is, and its state: deadline, shield, cancellation.
 *
 * ```text
 * scope "request r-7" (deadline in 1.50 s)
 * └─ group "upstreams" (2 tasks)
 *    ├─ task "a" (cancelled by group)
 *    └─ task "b"
 *       └─ scope "moveOnAfter(100)" (deadline in 0.10 s)
 * ```
 *
 * @param root Where to start; every live root scope when omitted.
 * @returns The tree, one line per scope.
 *
 * @example Usage
 * ```ts
 * import { taskGroup, taskTree } from "@corral/taskgroup";
 * import { sleepForever } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * await taskGroup(async (group) => {
 *   group.spawn(sleepForever, { name: "worker" });
 *   const tree = taskTree(group.scope);
 *   assert.match(tree, /group "pool"/);
 *   assert.match(tree, /task "worker"/);
 *   group.cancel();
 * }, { name: "pool" });
 * ```
 */
export function taskTree(root?: CancelScope): string {
  if (root !== undefined && !(root instanceof CancelScope)) {
    throw new TypeError(
      `Cannot show task tree: 'root' must be a CancelScope or undefined: current value is ${
        show(root)
      }`,
    );
  }
  const lines: string[] = [];
  // Depth first with an explicit stack (a deep tree must not overflow).
  const todo: {
    scope: CancelScope;
    prefix: string;
    last: boolean;
    top: boolean;
  }[] = [];
  const tops = root === undefined ? [...roots()] : [root];
  for (let i = tops.length - 1; i >= 0; i--) {
    todo.push({ scope: tops[i]!, prefix: "", last: true, top: true });
  }
  while (todo.length > 0) {
    const { scope, prefix, last, top } = todo.pop()!;
    const branch = top ? "" : last ? "└─ " : "├─ ";
    lines.push(prefix + branch + describe(scope));
    const children = [...childrenOf(scope)];
    const childPrefix = top ? "" : prefix + (last ? "   " : "│  ");
    for (let i = children.length - 1; i >= 0; i--) {
      todo.push({
        scope: children[i]!,
        prefix: childPrefix,
        last: i === children.length - 1,
        top: false,
      });
    }
  }
  return lines.join("\n");
}

function describe(scope: CancelScope): string {
  const owner = ownerOf(scope);
  const kind = owner instanceof TaskGroup
    ? "group"
    : owner instanceof Task
    ? "task"
    : "scope";
  const name = scope.name === "" ? "" : ` "${scope.name}"`;
  const state: string[] = [];
  if (owner instanceof TaskGroup) {
    state.push(`${owner.size} task${owner.size === 1 ? "" : "s"}`);
    if (owner.waiting > 0) state.push(`${owner.waiting} waiting for a slot`);
  }
  // What a wait called in this scope is blocked on (a named primitive).
  const blocked = blockedOn(scope);
  if (blocked !== undefined) state.push(blocked.description);
  if (scope.deadline !== Infinity) {
    const left = scope.deadline - timeOf(scope);
    state.push(
      left > 0
        ? `deadline in ${(left / 1000).toFixed(2)} s`
        : "deadline passed",
    );
  }
  if (scope.shield) state.push("shielded");
  const cancelled = cancellationOf(scope);
  if (cancelled !== undefined) {
    state.push(
      scope.cancelCalled
        ? `cancelled: ${cancelled.source}`
        : "cancelled by an enclosing scope",
    );
  }
  return `${kind}${name}${state.length > 0 ? ` (${state.join(", ")})` : ""}`;
}
