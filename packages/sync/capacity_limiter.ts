// Copyright the corral authors. MIT license.
import type { CancelScope } from "@corral/scope";
import { limiterInternals } from "./_limiter_internals.ts";
import { taskOf } from "./_task.ts";
import {
  checkCallback,
  checkCount,
  checkName,
  checkOptions,
  label,
  show,
} from "./_validate.ts";
import {
  cancelledWait,
  currentScope,
  fastPath,
  GrantNode,
  rejectMisuse,
  wait,
  WaitNode,
  WaitQueue,
} from "./_wait.ts";

/** Options for {@linkcode CapacityLimiter}. */
export interface CapacityLimiterOptions {
  /** Shown in errors and by the task tree ("waiting on limiter "api""). @default {""} */
  name?: string;
}

/** What {@linkcode CapacityLimiter.statistics} returns. */
export interface CapacityLimiterStatistics {
  /** How many tokens are borrowed. */
  borrowed: number;
  /** The total number of tokens. */
  total: number;
  /** Who holds a token, in the order they got it. */
  borrowers: unknown[];
  /** How many acquires wait. */
  tasksWaiting: number;
  /** The borrowers waiting, in the order they will get a token. */
  waiters: unknown[];
  /** The scopes those acquires were called in, in the same order. */
  waitingScopes: (CancelScope | undefined)[];
}

/**
 * A limit on how many borrowers hold a token at once (Trio's
 * `CapacityLimiter`): one limiter can be shared by every task and group
 * that talks to one upstream, so the limit holds across all of them.
 *
 * Each borrower holds at most one token: by default the borrower is the
 * current task (see `Lock` on what the task is); pass any value to borrow
 * on behalf of something else. Acquiring twice for the same borrower, or
 * releasing for a borrower that holds nothing, is an error. `total` can be
 * changed while tokens are out: raising it wakes waiters at once; lowering
 * it takes nothing back, new borrowers wait until enough are returned.
 * FIFO: a returned token goes to the longest waiter.
 *
 * `acquire()` is a checkpoint (rule 17): it throws `Cancelled` in a
 * cancelled scope even when a token is free, and a cancelled acquire holds
 * no token and takes no turn.
 *
 * @example Usage
 * ```ts
 * import { CapacityLimiter } from "@corral/sync";
 * import { sleep } from "@corral/scope";
 * import { taskGroup } from "@corral/taskgroup";
 * import assert from "node:assert/strict";
 *
 * const upstream = new CapacityLimiter(2, { name: "upstream" });
 * let running = 0, most = 0;
 * await taskGroup((group) => {
 *   for (let i = 0; i < 5; i++) {
 *     group.spawn(() =>
 *       upstream.run(async () => {
 *         most = Math.max(most, ++running);
 *         await sleep(1);
 *         running--;
 *       })
 *     );
 *   }
 * });
 * assert.equal(most, 2);
 * assert.equal(upstream.borrowed, 0);
 * ```
 */
export class CapacityLimiter {
  readonly #name: string;
  #total: number;
  readonly #borrowers = new Set<unknown>();
  readonly #waiters: WaitQueue;

  /**
   * Makes a limiter with `total` tokens.
   *
   * @param total How many tokens: a non-negative integer or `Infinity`.
   * @param options The limiter's name.
   * @throws {RangeError} If `total` is not a non-negative integer or
   * `Infinity`.
   */
  constructor(total: number, options?: CapacityLimiterOptions) {
    checkOptions("create capacity limiter", options);
    const name = checkName("create capacity limiter", options?.name);
    checkCount(`create capacity limiter${label(name)}`, "total", total, true);
    this.#name = name;
    this.#total = total;
    this.#waiters = new WaitQueue(this, "waiting on limiter", name);
  }

  /** The name given to the constructor. */
  get name(): string {
    return this.#name;
  }

  /** The total number of tokens. */
  get total(): number {
    return this.#total;
  }

  /**
   * Changes the total. Raising it hands the new tokens to waiters at once.
   *
   * @throws {RangeError} If not a non-negative integer or `Infinity`.
   */
  set total(total: number) {
    checkCount(
      `set total of capacity limiter${label(this.#name)}`,
      "total",
      total,
      true,
    );
    this.#total = total;
    this.#handOut();
  }

  /** How many tokens are borrowed. */
  get borrowed(): number {
    return this.#borrowers.size;
  }

  /** How many tokens are free (0 when `total` was lowered below `borrowed`). */
  get available(): number {
    return Math.max(0, this.#total - this.#borrowers.size);
  }

  /**
   * Waits for a token and lends it to `borrower`. FIFO. A checkpoint.
   *
   * @param borrower Who holds the token. @default {the current task}
   * @returns When `borrower` holds a token.
   * @throws {Error} If `borrower` already holds one (rejects).
   */
  acquire(borrower?: unknown): Promise<void> {
    const scope = currentScope();
    const who = borrower === undefined ? taskOf(scope) : borrower;
    if (this.#borrowers.has(who)) {
      return rejectMisuse(scope, this.#alreadyBorrowed("acquire", who));
    }
    if (this.#borrowers.size < this.#total && this.#waiters.size === 0) {
      const yielding = fastPath(scope);
      if (yielding === undefined) return cancelledWait(scope);
      this.#borrowers.add(who);
      return yielding;
    }
    return wait<void>(this.#waiters, new WaitNode(scope, who, undefined));
  }

  /**
   * Lends a token to `borrower` if one is free and nobody waits. Not a
   * checkpoint.
   *
   * @param borrower Who holds the token. @default {the current task}
   * @returns True if `borrower` now holds a token.
   * @throws {Error} If `borrower` already holds one.
   */
  tryAcquire(borrower?: unknown): boolean {
    const who = borrower === undefined ? taskOf(currentScope()) : borrower;
    if (this.#borrowers.has(who)) {
      throw this.#alreadyBorrowed("try to acquire", who);
    }
    if (this.#borrowers.size >= this.#total || this.#waiters.size > 0) {
      return false;
    }
    this.#borrowers.add(who);
    return true;
  }

  /**
   * Returns `borrower`'s token; it goes to the longest waiter. Not a
   * checkpoint.
   *
   * @param borrower Who holds the token. @default {the current task}
   * @throws {Error} If `borrower` holds no token.
   */
  release(borrower?: unknown): void {
    const who = borrower === undefined ? taskOf(currentScope()) : borrower;
    if (!this.#borrowers.delete(who)) {
      throw new Error(
        `Cannot release capacity limiter${label(this.#name)}: ${
          borrower === undefined ? "the current task" : show(borrower)
        } holds no token`,
      );
    }
    this.#handOut();
  }

  /** Lends free tokens to the longest waiters. */
  #handOut(): void {
    while (this.#borrowers.size < this.#total) {
      const next = this.#waiters.shiftLive();
      if (next === undefined) return;
      if (this.#borrowers.size >= this.#total) {
        // Taken meanwhile by code a passing deadline ran (see shiftLive).
        this.#waiters.unshift(next);
        return;
      }
      if (this.#borrowers.has(next.value)) {
        // The same borrower queued twice (two chains of one task): the
        // second one is the error, and takes nothing.
        next.fail(this.#alreadyBorrowed("acquire", next.value));
        continue;
      }
      this.#borrowers.add(next.value);
      next.wake(undefined);
    }
  }

  /**
   * Runs `fn` holding a token for the current task, and returns it when
   * `fn` settles.
   *
   * @typeParam T What `fn` returns.
   * @param fn The work.
   * @returns What `fn` returns.
   *
   * @example Usage
   * ```ts
   * import { CapacityLimiter } from "@corral/sync";
   * import assert from "node:assert/strict";
   *
   * const limiter = new CapacityLimiter(1);
   * assert.equal(await limiter.run(() => limiter.available), 0);
   * assert.equal(limiter.available, 1);
   * ```
   */
  run<T>(fn: () => T | Promise<T>): Promise<T> {
    checkCallback(`run with capacity limiter${label(this.#name)}`, fn);
    return this.#run(fn);
  }

  async #run<T>(fn: () => T | Promise<T>): Promise<T> {
    const borrower = taskOf(currentScope());
    await this.acquire(borrower);
    try {
      return await fn();
    } finally {
      this.release(borrower);
    }
  }

  /**
   * Who holds tokens and who waits.
   *
   * @returns A fresh snapshot.
   */
  statistics(): CapacityLimiterStatistics {
    const nodes = this.#waiters.nodes();
    return {
      borrowed: this.#borrowers.size,
      total: this.#total,
      borrowers: [...this.#borrowers],
      tasksWaiting: nodes.length,
      waiters: nodes.map((node) => node.value),
      waitingScopes: nodes.map((node) => node.scope),
    };
  }

  /** `CapacityLimiter "api" (3/4 borrowed, 2 waiting)`. */
  toString(): string {
    return `CapacityLimiter${
      label(this.#name)
    } (${this.#borrowers.size}/${this.#total} borrowed, ${this.#waiters.size} waiting)`;
  }

  static {
    limiterInternals.waitForToken = (limiter, borrower, granted) => {
      if (limiter.#borrowers.has(borrower)) {
        throw limiter.#alreadyBorrowed("acquire", borrower);
      }
      // No scope: the caller withdraws the wait itself (rule 17 still holds:
      // a withdrawn waiter is out of the queue and was given nothing).
      const node = new GrantNode(borrower, granted);
      limiter.#waiters.push(node);
      limiter.#handOut();
      return () => {
        if (node.queue === undefined) return false;
        node.queue.remove(node);
        return true;
      };
    };
  }

  #alreadyBorrowed(action: string, borrower: unknown): Error {
    return new Error(
      `Cannot ${action} capacity limiter${label(this.#name)}: ${
        typeof borrower === "object" && borrower !== null
          ? "this borrower"
          : show(borrower)
      } already holds a token; each borrower holds at most one`,
    );
  }
}
