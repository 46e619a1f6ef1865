// Copyright the corral authors. MIT license.
import type { CancelScope } from "@corral/scope";
import { lockInternals } from "./_lock_internals.ts";
import { taskOf } from "./_task.ts";
import { checkCallback, checkName, checkOptions, label } from "./_validate.ts";
import {
  cancelledWait,
  currentScope,
  fastPath,
  rejectMisuse,
  wait,
  WaitNode,
  WaitQueue,
} from "./_wait.ts";

/** Options for {@linkcode Lock}. */
export interface LockOptions {
  /** Shown in errors and by the task tree ("waiting on lock "db""). @default {""} */
  name?: string;
}

/** What {@linkcode Lock.statistics} returns. */
export interface LockStatistics {
  /** Whether a task holds the lock. */
  locked: boolean;
  /** The task holding it (see the module doc of `Lock` on tasks). */
  owner: object | undefined;
  /** How many acquires wait. */
  tasksWaiting: number;
  /** The tasks waiting, in the order they will get the lock. */
  waiters: object[];
  /** The scopes those acquires were called in, in the same order. */
  waitingScopes: (CancelScope | undefined)[];
}

/**
 * A mutual-exclusion lock owned by the task that acquired it (Trio's
 * `Lock`). Not re-entrant: acquiring it again from the task that holds it
 * is an error, and so is releasing it from another task. Fair: `release()`
 * hands the lock directly to the task that has waited longest (Trio's
 * `ParkingLot` hand-off), so a task that releases and acquires again in a
 * loop goes to the back of the line.
 *
 * `acquire()` is a checkpoint (rule 17): it throws `Cancelled` in a
 * cancelled scope even when the lock is free, and a cancelled acquire
 * holds nothing and takes no turn from the next waiter. `release()` is not
 * a checkpoint. Prefer {@linkcode Lock.run}, which releases for you.
 *
 * **What "the task" is.** This package sits below `@corral/taskgroup`:
 * the task is found by walking out from the current scope to the first
 * scope owned by a task (a task group marks each task's scope with its
 * `Task`). A group's body belongs to the task around the group, as a Trio
 * nursery's body does. All code in no task (a script's top level, root
 * scopes) is one task, Trio's main task. Two promise chains of one task
 * (`Promise.all` inside a task) are one owner: spawn tasks to have
 * several owners.
 *
 * Left out (Trio 0.27 has it): a lock whose owner's task exits without
 * releasing is not broken for its waiters; they wait on.
 *
 * @example Usage
 * ```ts
 * import { Lock } from "@corral/sync";
 * import { sleep } from "@corral/scope";
 * import { taskGroup } from "@corral/taskgroup";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock({ name: "db" });
 * let inside = 0, most = 0;
 * await taskGroup((group) => {
 *   for (let i = 0; i < 3; i++) {
 *     group.spawn(() =>
 *       lock.run(async () => {
 *         most = Math.max(most, ++inside);
 *         await sleep(1);
 *         inside--;
 *       })
 *     );
 *   }
 * });
 * assert.equal(most, 1);
 * ```
 */
export class Lock {
  readonly #name: string;
  #owner: object | undefined = undefined;
  readonly #waiters: WaitQueue;

  /**
   * Makes an unlocked lock.
   *
   * @param options The lock's name.
   */
  constructor(options?: LockOptions) {
    checkOptions("create lock", options);
    this.#name = checkName("create lock", options?.name);
    this.#waiters = new WaitQueue(this, "waiting on lock", this.#name);
  }

  /** The name given to the constructor. */
  get name(): string {
    return this.#name;
  }

  /** Whether a task holds the lock. */
  get locked(): boolean {
    return this.#owner !== undefined;
  }

  /**
   * Waits until the lock is free, then takes it for the current task.
   * FIFO. A checkpoint.
   *
   * @returns When the current task holds the lock.
   * @throws {Error} If the current task already holds it (rejects).
   */
  acquire(): Promise<void> {
    const scope = currentScope();
    const task = taskOf(scope);
    if (this.#owner === undefined && this.#waiters.size === 0) {
      const yielding = fastPath(scope);
      if (yielding === undefined) return cancelledWait(scope);
      this.#owner = task;
      return yielding;
    }
    if (this.#owner === task) {
      return rejectMisuse(scope, this.#alreadyHeld("acquire"));
    }
    return wait<void>(this.#waiters, new WaitNode(scope, task, undefined));
  }

  /**
   * Takes the lock if it is free and nobody waits for it. Not a
   * checkpoint.
   *
   * @returns True if the current task now holds the lock.
   * @throws {Error} If the current task already holds it.
   */
  tryAcquire(): boolean {
    const task = taskOf(currentScope());
    if (this.#owner === task) throw this.#alreadyHeld("try to acquire");
    if (this.#owner !== undefined || this.#waiters.size > 0) return false;
    this.#owner = task;
    return true;
  }

  /**
   * Releases the lock, handing it to the task that waited longest. Not a
   * checkpoint.
   *
   * @throws {Error} If the current task does not hold the lock.
   */
  release(): void {
    const task = taskOf(currentScope());
    if (this.#owner !== task) {
      throw new Error(
        `Cannot release lock${label(this.#name)}: ${
          this.#owner === undefined
            ? "it is not held"
            : "it is held by another task; a lock is released by the task that acquired it"
        }`,
      );
    }
    this.#handOff();
  }

  #handOff(): void {
    const next = this.#waiters.shiftLive();
    this.#owner = next?.value as object | undefined;
    next?.wake(undefined);
  }

  /**
   * Runs `fn` holding the lock, and releases it when `fn` settles.
   *
   * @typeParam T What `fn` returns.
   * @param fn The critical section.
   * @returns What `fn` returns.
   *
   * @example Usage
   * ```ts
   * import { Lock } from "@corral/sync";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * assert.equal(await lock.run(() => (assert.ok(lock.locked), 42)), 42);
   * assert.ok(!lock.locked);
   * ```
   */
  run<T>(fn: () => T | Promise<T>): Promise<T> {
    checkCallback(`run with lock${label(this.#name)}`, fn);
    return this.#run(fn);
  }

  async #run<T>(fn: () => T | Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /**
   * Who holds the lock and who waits.
   *
   * @returns A fresh snapshot.
   */
  statistics(): LockStatistics {
    const nodes = this.#waiters.nodes();
    return {
      locked: this.#owner !== undefined,
      owner: this.#owner,
      tasksWaiting: nodes.length,
      waiters: nodes.map((node) => node.value as object),
      waitingScopes: nodes.map((node) => node.scope),
    };
  }

  /** `Lock "db" (locked, 2 waiting)`. */
  toString(): string {
    return `Lock${label(this.#name)} (${
      this.#owner === undefined ? "unlocked" : "locked"
    }, ${this.#waiters.size} waiting)`;
  }

  #alreadyHeld(action: string): Error {
    return new Error(
      `Cannot ${action} lock${
        label(this.#name)
      }: the current task already holds it; a Lock is not re-entrant`,
    );
  }

  static {
    lockInternals.ownerOf = (lock) => lock.#owner;
    lockInternals.enqueue = (lock, node) => lock.#waiters.push(node);
  }
}
