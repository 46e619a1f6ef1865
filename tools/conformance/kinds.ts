// Copyright the corral authors. MIT license.
/**
 * Every object that can be cancelled, behind one shape, so that the contract
 * in `cancellable.ts` is written once and applied to each: a `CancelScope`,
 * the scope of a task group, a task handle, and a scope made by interop's
 * `fromSignal` (when `@corral/interop` exists).
 *
 * @module
 */
import assert from "node:assert/strict";
import { CancelScope, currentScope } from "@corral/scope";
import { MockClock } from "@corral/scope/testing";
import { type Task, taskGroup } from "@corral/taskgroup";
import type { Feature } from "./harness.ts";
import { interop } from "./interop_api.ts";

/** What a test body gets: how to cancel the thing, and its scope. */
export interface Handle {
  /** Cancels it the way its users do (`scope.cancel`, `task.cancel`, ...). */
  cancel(reason?: unknown): void;
  /** The scope whose state the contract checks. */
  readonly scope: CancelScope;
}

/** One kind of cancellable object. */
export interface Kind {
  /** The row prefix in the table. */
  name: string;
  /** Features it cannot be made without. */
  needs: Feature[];
  /**
   * Runs `body` inside a fresh object of this kind, nested in the current
   * scope, and resolves with what the construct returned (`undefined` when
   * it absorbed a cancellation).
   */
  run<T>(body: (handle: Handle) => Promise<T>): Promise<T | undefined>;
}

/** The kinds, in table order. */
export const kinds: Kind[] = [
  {
    name: "CancelScope",
    needs: [],
    run(body) {
      const scope = new CancelScope({ name: "contract" });
      return scope.run((given) => {
        assert.equal(given, scope);
        return body({ cancel: (reason) => scope.cancel(reason), scope });
      });
    },
  },
  {
    name: "taskGroup scope",
    needs: [],
    run(body) {
      return taskGroup((group) => {
        assert.equal(currentScope(), group.scope);
        return body({
          cancel: (reason) => group.cancel(reason),
          scope: group.scope,
        });
      }, { name: "contract" });
    },
  },
  {
    name: "Task handle",
    needs: [],
    async run<T>(body: (handle: Handle) => Promise<T>) {
      let task!: Task<T>;
      await taskGroup((group) => {
        task = group.spawn(async (scope) => {
          // `spawn` runs the task's first step before it returns the handle.
          await null;
          assert.equal(scope, task.scope);
          assert.equal(currentScope(), task.scope);
          return body({ cancel: (reason) => task.cancel(reason), scope });
        }, { name: "contract" });
      });
      assert.ok(task.done);
      return task.result;
    },
  },
  {
    name: "fromSignal scope",
    needs: ["interop"],
    run(body) {
      const controller = new AbortController();
      return interop().fromSignal(controller.signal, () => {
        const scope = currentScope();
        assert.ok(scope instanceof CancelScope, "fromSignal runs in a scope");
        return body({ cancel: (reason) => controller.abort(reason), scope });
      });
    },
  },
];

/** Runs `fn` on a fresh autojumping `MockClock`. */
export function onMockClock<T>(
  fn: (clock: MockClock) => T | Promise<T>,
): Promise<T | undefined> {
  const clock = new MockClock({ autojump: true });
  return clock.run(() => fn(clock));
}
