// Copyright the corral authors. MIT license.
import { CancelScope } from "@corral/scope";
import { setOwner, show } from "@corral/scope/plumbing";

/**
 * Settles a task handle: `failed` says whether `outcome` is what the task
 * threw or its value. Only the task group calls it.
 */
export let settleTask: (
  task: Task<unknown>,
  failed: boolean,
  outcome: unknown,
) => void;

/**
 * The handle of a task spawned into a task group: its result, and a way to
 * cancel that task alone. Like the promise of an async call, except that the
 * task belongs to its group, which waits for it and reports its failure.
 *
 * `result` is made when first read, so a handle nobody touches never causes
 * an unhandled rejection (rule 16 of docs/rules.md); a failure always reaches the
 * group's `TaskGroupError` as well.
 *
 * @typeParam R The task's return value.
 *
 * @example Usage
 * ```ts
 * import { taskGroup } from "@corral/taskgroup";
 * import { sleepForever } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * await taskGroup(async (group) => {
 *   const forever = group.spawn(sleepForever, { name: "forever" });
 *   const answer = group.spawn(() => 42);
 *   assert.equal(await answer.result, 42);
 *   forever.cancel(); // stops that task alone; not a failure
 *   assert.equal(await forever.result, undefined);
 * });
 * ```
 */
export class Task<R> {
  /** The task's own scope, which also holds its name. */
  readonly #scope: CancelScope;
  /**
   * Undefined while the task runs; then whether it failed, and `#outcome`
   * holds what it threw or its value. Two fields rather than an outcome
   * object: one object fewer per task for the garbage collector.
   */
  #failed: boolean | undefined;
  /**
   * What the task threw or returned, once `#failed` is set. Before that,
   * the function that settles `#result` if it was read (its own field would
   * cost every task 8 bytes; few tasks have their result read while they
   * run). Typed with `unknown`, not `R`: a field that takes an `R` would
   * make `Task<R>` invariant, so a `Task<string>` would not fit in a
   * `Task<unknown>[]`.
   */
  #outcome: unknown;
  #result: Promise<R | undefined> | undefined;

  /**
   * Made by `TaskGroup.spawn`; not for user code.
   *
   * @param scope The task's own scope, named as the task.
   */
  constructor(scope: CancelScope) {
    if (!(scope instanceof CancelScope)) {
      throw new TypeError(
        `Cannot create Task: 'scope' must be a CancelScope: current value is ${
          show(scope)
        }; tasks are made by TaskGroup.spawn()`,
      );
    }
    this.#scope = scope;
    setOwner(scope, this);
  }

  /** The name given to `spawn`. */
  get name(): string {
    return this.#scope.name;
  }

  /** The task's own scope: cancelling it cancels this task alone. */
  get scope(): CancelScope {
    return this.#scope;
  }

  /** True once the task has finished, failed or been cancelled. */
  get done(): boolean {
    return this.#failed !== undefined;
  }

  /**
   * Resolves with the task's value (`undefined` if `cancel()` stopped it),
   * or rejects with what it threw (`Cancelled` if its group was cancelled).
   */
  get result(): Promise<R | undefined> {
    if (this.#result === undefined) {
      this.#result = this.#failed === undefined
        ? new Promise((resolve, reject) => {
          this.#outcome = (failed: boolean, outcome: unknown) =>
            failed ? reject(outcome) : resolve(outcome as R | undefined);
        })
        : this.#failed
        ? Promise.reject(this.#outcome)
        : Promise.resolve(this.#outcome as R | undefined);
    }
    return this.#result;
  }

  /**
   * Cancels this task alone: its checkpoints throw `Cancelled`, which its own
   * scope absorbs, so the group neither fails nor cancels the others
   * (rule 12). Harmless after the task ended.
   *
   * @param reason Why; carried by the `Cancelled`.
   */
  cancel(reason?: unknown): void {
    this.#scope.cancel(reason);
  }

  /** The state, as `Task "fetch" (running)`. */
  toString(): string {
    const state = this.#failed === undefined
      ? "running"
      : this.#failed
      ? "failed"
      : "finished";
    const name = this.#scope.name;
    return `Task${name === "" ? "" : ` "${name}"`} (${state})`;
  }

  /**
   * One idle handle that lives as long as this module, so V8 keeps the
   * layout of tasks (and the optimized code that expects it) through a full
   * garbage collection with no task alive; see `CancelScope`.
   */
  static readonly #keepsLayoutAlive = new Task(new CancelScope());

  static {
    settleTask = (task, failed, outcome) => {
      if (task.#failed !== undefined) return;
      const settleResult = task.#result === undefined
        ? undefined
        : task.#outcome as (failed: boolean, outcome: unknown) => void;
      task.#failed = failed;
      task.#outcome = outcome;
      settleResult?.(failed, outcome);
    };
  }
}
