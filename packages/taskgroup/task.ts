// Copyright the corral authors. MIT license.
import { CancelScope } from "@corral/scope";
import { internals } from "@corral/scope/internal";

/** How a task ended: its value, or what it threw. */
export type Outcome<R> = { ok: true; value: R | undefined } | {
  ok: false;
  error: unknown;
};

/** Settles a task handle; only the task group calls it. */
export let settleTask: <R>(task: Task<R>, outcome: Outcome<R>) => void;

/**
 * The handle of a task spawned into a task group: its result, and a way to
 * cancel that task alone. Like the promise of an async call, except that the
 * task belongs to its group, which waits for it and reports its failure.
 *
 * `result` is made when first read, so a handle nobody touches never causes
 * an unhandled rejection (DESIGN rule 16); a failure always reaches the
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
  readonly #name: string;
  readonly #scope: CancelScope;
  #outcome: Outcome<R> | undefined;
  #result: Promise<R | undefined> | undefined;
  /**
   * Settles `#result` once it was read. Typed with `unknown`, not `R`: a
   * field that takes an `R` would make `Task<R>` invariant, so a
   * `Task<string>` would not fit in a `Task<unknown>[]`.
   */
  #settleResult: ((outcome: Outcome<unknown>) => void) | undefined;

  /**
   * Made by `TaskGroup.spawn`; not for user code.
   *
   * @param name The task's name.
   * @param scope The task's own scope.
   */
  constructor(name: string, scope: CancelScope) {
    this.#name = name;
    this.#scope = scope;
    internals.setOwner(scope, this);
  }

  /** The name given to `spawn`. */
  get name(): string {
    return this.#name;
  }

  /** The task's own scope: cancelling it cancels this task alone. */
  get scope(): CancelScope {
    return this.#scope;
  }

  /** True once the task has finished, failed or been cancelled. */
  get done(): boolean {
    return this.#outcome !== undefined;
  }

  /**
   * Resolves with the task's value (`undefined` if `cancel()` stopped it),
   * or rejects with what it threw (`Cancelled` if its group was cancelled).
   */
  get result(): Promise<R | undefined> {
    if (this.#result === undefined) {
      const outcome = this.#outcome;
      this.#result = outcome === undefined
        ? new Promise((resolve, reject) => {
          this.#settleResult = (outcome) =>
            outcome.ok
              ? resolve(outcome.value as R | undefined)
              : reject(outcome.error);
        })
        : outcome.ok
        ? Promise.resolve(outcome.value)
        : Promise.reject(outcome.error);
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
    const state = this.#outcome === undefined
      ? "running"
      : this.#outcome.ok
      ? "finished"
      : "failed";
    return `Task${this.#name === "" ? "" : ` "${this.#name}"`} (${state})`;
  }

  /**
   * One idle handle that lives as long as this module, so V8 keeps the
   * layout of tasks (and the optimized code that expects it) through a full
   * garbage collection with no task alive; see `CancelScope`.
   */
  static readonly #keepsLayoutAlive = new Task("", new CancelScope());

  static {
    settleTask = (task, outcome) => {
      task.#outcome = outcome;
      task.#settleResult?.(outcome);
      task.#settleResult = undefined;
    };
  }
}
