// Copyright the corral authors. MIT license.
import { type CancelScope, shielded } from "@corral/scope";
import { lockInternals } from "./_lock_internals.ts";
import { taskOf } from "./_task.ts";
import { checkName, checkOptions, label, show } from "./_validate.ts";
import { currentScope, wait, WaitNode, WaitQueue } from "./_wait.ts";
import { Lock, type LockStatistics } from "./lock.ts";

/** Options for {@linkcode Condition}. */
export interface ConditionOptions {
  /** The lock to use. @default {a new Lock} */
  lock?: Lock;
  /** Shown in errors and by the task tree. @default {""} */
  name?: string;
}

/** What {@linkcode Condition.statistics} returns. */
export interface ConditionStatistics {
  /** How many tasks wait to be notified. */
  tasksWaiting: number;
  /** Those tasks, in the order `notify()` wakes them. */
  waiters: object[];
  /** The scopes their waits were called in, in the same order. */
  waitingScopes: (CancelScope | undefined)[];
  /** The statistics of the lock. */
  lockStatistics: LockStatistics;
}

/**
 * A condition variable (Trio's `Condition`): a task holding the lock calls
 * `wait()`, which releases the lock, waits for `notify()`, and takes the
 * lock again before it returns. `notify(n)` and `notifyAll()` (lock held)
 * move waiters to the lock's queue in order, so each wakes owning the lock.
 *
 * `wait()` is a checkpoint. A cancelled `wait()` still takes the lock back
 * before it throws `Cancelled` (in a shielded scope, as Trio does), so the
 * `finally` around it runs holding the lock, as it expects.
 *
 * @example Usage
 * ```ts
 * import { Condition } from "@corral/sync";
 * import { taskGroup } from "@corral/taskgroup";
 * import assert from "node:assert/strict";
 *
 * const condition = new Condition();
 * const items: number[] = [];
 * const got: number[] = [];
 * await taskGroup((group) => {
 *   group.spawn(() =>
 *     condition.run(async () => {
 *       while (items.length === 0) await condition.wait();
 *       got.push(items.shift()!);
 *     })
 *   );
 *   group.spawn(() =>
 *     condition.run(() => {
 *       items.push(1);
 *       condition.notify();
 *     })
 *   );
 * });
 * assert.deepEqual(got, [1]);
 * ```
 */
export class Condition {
  readonly #name: string;
  readonly #lock: Lock;
  readonly #waiters: WaitQueue;

  /**
   * Makes a condition on `lock` or a new lock.
   *
   * @param options The lock and the name.
   * @throws {TypeError} If `lock` is not a `Lock`.
   */
  constructor(options?: ConditionOptions) {
    checkOptions("create condition", options);
    this.#name = checkName("create condition", options?.name);
    const lock = options?.lock;
    if (lock !== undefined && !(lock instanceof Lock)) {
      throw new TypeError(
        `Cannot create condition${
          label(this.#name)
        }: 'lock' must be a Lock: current value is ${show(lock)}`,
      );
    }
    this.#lock = lock ?? new Lock();
    this.#waiters = new WaitQueue(this, "waiting on condition", this.#name);
  }

  /** The name given to the constructor. */
  get name(): string {
    return this.#name;
  }

  /** The lock. */
  get lock(): Lock {
    return this.#lock;
  }

  /** Whether a task holds the lock. */
  get locked(): boolean {
    return this.#lock.locked;
  }

  /**
   * Acquires the lock (`lock.acquire()`).
   *
   * @returns When the current task holds the lock.
   */
  acquire(): Promise<void> {
    return this.#lock.acquire();
  }

  /**
   * Takes the lock if free (`lock.tryAcquire()`).
   *
   * @returns True if the current task now holds the lock.
   */
  tryAcquire(): boolean {
    return this.#lock.tryAcquire();
  }

  /** Releases the lock (`lock.release()`). */
  release(): void {
    this.#lock.release();
  }

  /**
   * Runs `fn` holding the lock (`lock.run(fn)`).
   *
   * @typeParam T What `fn` returns.
   * @param fn The critical section.
   * @returns What `fn` returns.
   *
   * @example Usage
   * ```ts
   * import { Condition } from "@corral/sync";
   * import assert from "node:assert/strict";
   *
   * const condition = new Condition();
   * await condition.run(() => assert.ok(condition.locked));
   * ```
   */
  run<T>(fn: () => T | Promise<T>): Promise<T> {
    return this.#lock.run(fn);
  }

  /**
   * Releases the lock, waits for `notify()`, and takes the lock back. The
   * current task must hold the lock. A checkpoint; holds the lock again
   * when it throws `Cancelled`.
   *
   * @returns When notified, holding the lock.
   * @throws {Error} If the current task does not hold the lock (rejects).
   */
  wait(): Promise<void> {
    const scope = currentScope();
    const task = taskOf(scope);
    if (lockInternals.ownerOf(this.#lock) !== task) {
      return Promise.reject(this.#notHeld("wait on"));
    }
    this.#lock.release();
    const waiting = wait<void>(
      this.#waiters,
      new WaitNode(scope, task, undefined),
    );
    return waiting.then(undefined, (error) => this.#reacquire(error));
  }

  /** Trio: a cancelled wait takes the lock back, shielded, then throws. */
  async #reacquire(error: unknown): Promise<never> {
    await shielded(() => this.#lock.acquire());
    throw error;
  }

  /**
   * Wakes up to `n` waiters, oldest first: each will own the lock in turn
   * after the current task releases it. Not a checkpoint.
   *
   * @param n How many. @default {1}
   * @throws {Error} If the current task does not hold the lock.
   * @throws {RangeError} If `n` is not a non-negative integer.
   */
  notify(n = 1): void {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(
        `Cannot notify condition${
          label(this.#name)
        }: 'n' must be a non-negative integer: current value is ${show(n)}`,
      );
    }
    this.#checkHeld("notify");
    for (let i = 0; i < n; i++) {
      const node = this.#waiters.shift();
      if (node === undefined) break;
      lockInternals.enqueue(this.#lock, node);
    }
  }

  /** Wakes every waiter (see {@linkcode Condition.notify}). */
  notifyAll(): void {
    this.#checkHeld("notify");
    for (let node = this.#waiters.shift(); node; node = this.#waiters.shift()) {
      lockInternals.enqueue(this.#lock, node);
    }
  }

  /**
   * Who waits, and the lock's statistics.
   *
   * @returns A fresh snapshot.
   */
  statistics(): ConditionStatistics {
    const nodes = this.#waiters.nodes();
    return {
      tasksWaiting: nodes.length,
      waiters: nodes.map((node) => node.value as object),
      waitingScopes: nodes.map((node) => node.scope),
      lockStatistics: this.#lock.statistics(),
    };
  }

  /** `Condition "queue" (1 waiting; Lock (locked, 0 waiting))`. */
  toString(): string {
    return `Condition${
      label(this.#name)
    } (${this.#waiters.size} waiting; ${this.#lock})`;
  }

  #checkHeld(action: string): void {
    if (lockInternals.ownerOf(this.#lock) !== taskOf(currentScope())) {
      throw this.#notHeld(action);
    }
  }

  #notHeld(action: string): Error {
    return new Error(
      `Cannot ${action} condition${
        label(this.#name)
      }: the current task does not hold its lock; acquire it first`,
    );
  }
}
