// Copyright the corral authors. MIT license.
import type { CancelScope } from "@corral/scope";
import { taskOf } from "./_task.ts";
import {
  checkCallback,
  checkCount,
  checkName,
  checkOptions,
  label,
} from "./_validate.ts";
import {
  cancelledWait,
  currentScope,
  fastPath,
  wait,
  WaitNode,
  WaitQueue,
} from "./_wait.ts";

/** Options for {@linkcode Semaphore}. */
export interface SemaphoreOptions {
  /**
   * The most the value may reach: a `release()` past it is an error (a
   * bounded semaphore). @default {undefined} (no bound)
   */
  max?: number;
  /** Shown in errors and by the task tree. @default {""} */
  name?: string;
}

/** What {@linkcode Semaphore.statistics} returns. */
export interface SemaphoreStatistics {
  /** The current value. */
  value: number;
  /** The bound, if any. */
  max: number | undefined;
  /** How many acquires wait. */
  tasksWaiting: number;
  /** The tasks waiting, oldest first. */
  waiters: object[];
  /** The scopes those acquires were called in, oldest first. */
  waitingScopes: (CancelScope | undefined)[];
}

/**
 * A counting semaphore (Trio's `Semaphore`): `acquire()` waits until the
 * value is positive and decrements it; `release()` increments it, or hands
 * the unit directly to the longest waiter (FIFO, so the value stays 0 and
 * no later `tryAcquire()` can barge in). Units have no owner: any code may
 * release. For a limit per task, use `CapacityLimiter`.
 *
 * `acquire()` is a checkpoint (rule 17): it throws `Cancelled` in a
 * cancelled scope even when a unit is free, and a cancelled acquire takes
 * no unit and is not counted.
 *
 * @example Usage
 * ```ts
 * import { Semaphore } from "@corral/sync";
 * import assert from "node:assert/strict";
 *
 * const semaphore = new Semaphore(2, { max: 2 });
 * await semaphore.acquire();
 * assert.ok(semaphore.tryAcquire());
 * assert.ok(!semaphore.tryAcquire());
 * semaphore.release();
 * semaphore.release();
 * assert.throws(() => semaphore.release(), /released too many times/);
 * ```
 */
export class Semaphore {
  readonly #name: string;
  #value: number;
  readonly #max: number | undefined;
  readonly #waiters: WaitQueue;

  /**
   * Makes a semaphore with the value `initial`.
   *
   * @param initial The starting value: a non-negative integer.
   * @param options A bound and a name.
   * @throws {RangeError} If `initial` or `max` is not a non-negative
   * integer, or `max` is less than `initial`.
   */
  constructor(initial: number, options?: SemaphoreOptions) {
    checkOptions("create semaphore", options);
    const name = checkName("create semaphore", options?.name);
    const action = `create semaphore${label(name)}`;
    checkCount(action, "initial", initial, false);
    const max = options?.max;
    if (max !== undefined) {
      checkCount(action, "max", max, true);
      if (max < initial) {
        throw new RangeError(
          `Cannot ${action}: 'max' must be at least 'initial' (${initial}): current value is ${max}`,
        );
      }
    }
    this.#name = name;
    this.#value = initial;
    this.#max = max;
    this.#waiters = new WaitQueue(this, "waiting on semaphore", name);
  }

  /** The name given to the constructor. */
  get name(): string {
    return this.#name;
  }

  /** The current value: how many units `acquire()` can take without waiting. */
  get value(): number {
    return this.#value;
  }

  /** The bound, or `undefined`. */
  get max(): number | undefined {
    return this.#max;
  }

  /**
   * Waits for a unit and takes it. FIFO. A checkpoint.
   *
   * @returns When a unit is taken.
   */
  acquire(): Promise<void> {
    const scope = currentScope();
    if (this.#value > 0 && this.#waiters.size === 0) {
      const yielding = fastPath(scope);
      if (yielding === undefined) return cancelledWait(scope);
      this.#value--;
      return yielding;
    }
    return wait<void>(this.#waiters, new WaitNode(scope, undefined, undefined));
  }

  /**
   * Takes a unit if one is free and nobody waits. Not a checkpoint.
   *
   * @returns True if a unit was taken.
   */
  tryAcquire(): boolean {
    if (this.#value === 0 || this.#waiters.size > 0) return false;
    this.#value--;
    return true;
  }

  /**
   * Gives a unit back: to the longest waiter if there is one, else to the
   * value. Not a checkpoint.
   *
   * @throws {Error} If the value would pass `max`.
   */
  release(): void {
    if (this.#max !== undefined && this.#value >= this.#max) {
      throw new Error(
        `Cannot release semaphore${
          label(this.#name)
        }: released too many times (its value is already its max, ${this.#max})`,
      );
    }
    const next = this.#waiters.shiftLive();
    if (next !== undefined) next.wake(undefined);
    else this.#value++;
  }

  /**
   * Runs `fn` holding a unit, and releases it when `fn` settles.
   *
   * @typeParam T What `fn` returns.
   * @param fn The work.
   * @returns What `fn` returns.
   *
   * @example Usage
   * ```ts
   * import { Semaphore } from "@corral/sync";
   * import assert from "node:assert/strict";
   *
   * const semaphore = new Semaphore(1);
   * assert.equal(await semaphore.run(() => semaphore.value), 0);
   * assert.equal(semaphore.value, 1);
   * ```
   */
  run<T>(fn: () => T | Promise<T>): Promise<T> {
    checkCallback(`run with semaphore${label(this.#name)}`, fn);
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
   * The value and who waits.
   *
   * @returns A fresh snapshot.
   */
  statistics(): SemaphoreStatistics {
    const nodes = this.#waiters.nodes();
    return {
      value: this.#value,
      max: this.#max,
      tasksWaiting: nodes.length,
      waiters: nodes.map((node) => taskOf(node.scope)),
      waitingScopes: nodes.map((node) => node.scope),
    };
  }

  /** `Semaphore "io" (value 0, 3 waiting)`. */
  toString(): string {
    return `Semaphore${
      label(this.#name)
    } (value ${this.#value}, ${this.#waiters.size} waiting)`;
  }
}
