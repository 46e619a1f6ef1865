// Copyright the corral authors. MIT license.
import { CancelScope } from "@corral/scope";
import {
  cancellationOf,
  checkCallback,
  currentScope,
} from "@corral/scope/plumbing";
import { CapacityLimiter } from "@corral/sync";
import {
  callMessage,
  checkExport,
  type Lender,
  perform,
  prepare,
  startWorker,
} from "./_call.ts";
import type { WorkerHandle } from "./_host.ts";
import { type Call, callName } from "./_protocol.ts";
import {
  checkArgs,
  checkExportName,
  checkGrace,
  checkModule,
  checkName,
  checkOptions,
  checkSize,
  checkTransfer,
  label,
  show,
} from "./_validate.ts";
import type { RunInWorkerOptions } from "./run_in_worker.ts";

/** Options for {@linkcode WorkerPool}. */
export interface WorkerPoolOptions {
  /** The module whose exports the pool runs, e.g. `new URL("./work.ts", import.meta.url)`. */
  module: string | URL;
  /** How many workers at most, and so how many calls at once: a positive integer. */
  size: number;
  /**
   * How long a cancelled call may clean up before its worker is
   * terminated, in milliseconds (see `runInWorker`). @default {100}
   */
  grace?: number;
  /** Shown in errors. @default {""} */
  name?: string;
}

/**
 * Workers kept alive between calls, so that a call costs a message each
 * way instead of a thread start. At most `size` workers run, one call each;
 * further calls wait in line, first come first served, in a
 * `CapacityLimiter` of `@corral/sync` (so the wait is a checkpoint, and a
 * cancelled wait takes no turn). Workers start when a call needs one and
 * are reused most recently used first.
 *
 * A pool is structured: it runs only inside {@linkcode WorkerPool.open},
 * and when `open()` returns every worker has been terminated (rules 8 and
 * 15). A call is exactly a `runInWorker` call on a reused worker: the same
 * cancellation (with the grace period), deadline, context and errors. A
 * worker terminated because its call was cancelled, or one that crashed,
 * is not reused: the next call that needs a worker starts a new one, so
 * the pool keeps its size.
 *
 * @example Split a CPU-heavy job over two workers
 * ```ts
 * import { failAfter } from "@corral/scope";
 * import { map } from "@corral/taskgroup";
 * import { WorkerPool } from "@corral/worker";
 * import assert from "node:assert/strict";
 *
 * const pool = new WorkerPool({
 *   module: new URL("./_test_work.ts", import.meta.url),
 *   size: 2,
 * });
 * const counts = await failAfter(10_000, () =>
 *   pool.open(() =>
 *     map([[0, 5_000], [5_000, 10_000]], (range) =>
 *       pool.run<number>("countPrimes", range), { limit: 2 })
 *   )
 * );
 * assert.equal(counts!.reduce((a, b) => a + b), 1229); // primes below 10,000
 * ```
 */
export class WorkerPool {
  readonly #module: string;
  readonly #size: number;
  readonly #grace: number;
  readonly #name: string;
  readonly #limiter: CapacityLimiter;
  /** Idle workers, the most recently used last. */
  readonly #idle: WorkerHandle[] = [];
  /** Every worker started and not yet terminated, busy or idle. */
  readonly #workers = new Set<WorkerHandle>();
  #state: "new" | "open" | "closed" = "new";
  /** `run in worker pool "cpu"`, made once: every message starts with it. */
  readonly #action: string;
  /**
   * The options of each export's call scopes (named `worker: work.ts#sum`),
   * made once each: `CancelScope` only reads them.
   */
  readonly #scopeOptions = new Map<string, { name: string }>();

  /**
   * Makes a pool; starts nothing (see {@linkcode WorkerPool.open}).
   *
   * @param options The module, the size, the grace period, a name.
   * @throws {TypeError} If `options` is not an object, or `module` is not
   * a URL.
   * @throws {RangeError} If `size` is not a positive integer, or `grace`
   * is negative.
   */
  constructor(options: WorkerPoolOptions) {
    const action = "create worker pool";
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `Cannot ${action}: 'options' must be an object: current value is ${
          show(options)
        }`,
      );
    }
    const name = checkName(action, options.name);
    const more = `${action}${label(name)}`;
    this.#module = checkModule(more, options.module);
    this.#size = checkSize(more, options.size);
    this.#grace = checkGrace(more, options.grace);
    this.#name = name;
    this.#limiter = new CapacityLimiter(this.#size, { name });
    this.#action = `run in worker pool${label(name)}`;
  }

  /** The pool's name. */
  get name(): string {
    return this.#name;
  }

  /** The most workers the pool runs at once. */
  get size(): number {
    return this.#size;
  }

  /** How many workers are started (busy or idle). */
  get workers(): number {
    return this.#workers.size;
  }

  /**
   * Runs `body` with the pool open, then terminates every worker, and
   * returns what `body` returned. A pool opens once. A call still running
   * when `body` ends (one started from a task that outlives `body`) fails.
   *
   * @typeParam T What `body` returns.
   * @param body Uses the pool (usually inside a task group).
   * @returns What `body` returned, once no worker is left.
   * @throws {TypeError} If `body` is not a function.
   * @throws {Error} If the pool was opened before.
   *
   * @example Usage
   * ```ts
   * import { WorkerPool } from "@corral/worker";
   * import assert from "node:assert/strict";
   *
   * const pool = new WorkerPool({ module: new URL("./_test_work.ts", import.meta.url), size: 1 });
   * const sum = await pool.open(async () => {
   *   const a = await pool.run<number>("add", [1, 2]);
   *   return await pool.run<number>("add", [a, 3]); // the same worker again
   * });
   * assert.equal(sum, 6);
   * assert.equal(pool.workers, 0);
   * ```
   */
  open<T>(body: (pool: WorkerPool) => T | Promise<T>): Promise<T> {
    const action = `open worker pool${label(this.#name)}`;
    checkCallback(action, body, "body");
    if (this.#state !== "new") {
      return Promise.reject(
        new Error(
          `Cannot ${action}: it was opened before; create a new WorkerPool for each open()`,
        ),
      );
    }
    this.#state = "open";
    return this.#open(body);
  }

  async #open<T>(body: (pool: WorkerPool) => T | Promise<T>): Promise<T> {
    try {
      return await body(this);
    } finally {
      this.#state = "closed";
      this.#idle.length = 0;
      const workers = [...this.#workers];
      this.#workers.clear();
      await Promise.all(workers.map((worker) => worker.terminate()));
    }
  }

  /**
   * Runs the function exported as `exportName` by the pool's module on a
   * worker of the pool, waiting for one if all are busy, and returns what
   * it returns. A checkpoint (rule 17). Everything `runInWorker` says of a
   * call holds.
   *
   * @typeParam T What the exported function returns.
   * @param exportName The name of the exported function.
   * @param args Its arguments.
   * @param options What to transfer; the grace period (the pool's by default).
   * @returns What the function returned.
   * @throws {TypeError} Before any worker starts, for bad input (see
   * `runInWorker`).
   * @throws {Error} If the pool is not open.
   * @throws {Cancelled} If the calling scope was cancelled.
   *
   * @example Usage
   * ```ts
   * import { WorkerPool } from "@corral/worker";
   * import assert from "node:assert/strict";
   *
   * const pool = new WorkerPool({ module: new URL("./_test_work.ts", import.meta.url), size: 2 });
   * await pool.open(async () => {
   *   assert.equal(await pool.run("add", [2, 2]), 4);
   * });
   * ```
   */
  run<T = unknown>(
    exportName: string,
    args: unknown[],
    options?: RunInWorkerOptions,
  ): Promise<Awaited<T>> {
    const action = this.#action;
    const name = checkExportName(action, exportName);
    checkArgs(action, args);
    checkOptions(action, options);
    const transfer = checkTransfer(action, options?.transfer);
    const grace = options?.grace === undefined
      ? this.#grace
      : checkGrace(action, options.grace);
    if (this.#state !== "open") {
      return Promise.reject(
        new Error(
          `Cannot ${action}: the pool is ${
            this.#state === "new" ? "not open yet" : "closed"
          }; call run() inside pool.open(body)`,
        ),
      );
    }
    const pending = cancellationOf(currentScope());
    if (pending !== undefined) return Promise.reject(pending);
    let scopeOptions = this.#scopeOptions.get(name);
    if (scopeOptions === undefined) {
      scopeOptions = { name: callName(this.#module, name) };
      this.#scopeOptions.set(name, scopeOptions);
    }
    const scope = new CancelScope(scopeOptions);
    return scope.run(() =>
      this.#run<Awaited<T>>(action, name, args, transfer, grace)
    ) as Promise<Awaited<T>>;
  }

  #run<T>(
    action: string,
    name: string,
    args: unknown[],
    transfer: Transferable[],
    grace: number,
  ): Promise<T> {
    // The hot path: the export is checked, a worker is idle and a token is
    // free with nobody in line. The token is taken with `tryAcquire`, not
    // the `acquire` checkpoint: the cancellation check is done (in `run`),
    // and the call yields to the event loop anyway, since it waits for the
    // worker's answer. A token is free whenever a worker is idle, so
    // `tryAcquire` fails only when others wait in line (first come, first
    // served: then this call waits too).
    if (
      this.#idle.length > 0 &&
      checkExport(action, this.#module, name) === undefined
    ) {
      const borrower = {};
      if (this.#limiter.tryAcquire(borrower)) {
        const worker = this.#idle.pop()!;
        return this.#perform<T>(
          action,
          worker,
          borrower,
          callMessage(this.#module, name, args, worker),
          transfer,
          grace,
        );
      }
    }
    return this.#wait<T>(action, name, args, transfer, grace);
  }

  /** `#run` when the call must wait: for the module, a token or a worker. */
  async #wait<T>(
    action: string,
    name: string,
    args: unknown[],
    transfer: Transferable[],
    grace: number,
  ): Promise<T> {
    const checking = checkExport(action, this.#module, name);
    if (checking !== undefined) await checking;
    // Each call borrows on its own behalf: one task may run several calls
    // at once (Promise.all over pool.run).
    const borrower = {};
    await this.#limiter.acquire(borrower);
    let worker: WorkerHandle | undefined;
    let message: Call;
    try {
      if (this.#state !== "open") {
        throw new Error(`Cannot ${action}: the pool closed while it waited`);
      }
      worker = this.#idle.pop();
      message = callMessage(this.#module, name, args, worker);
      if (worker === undefined) {
        // Clone first: a message that cannot be cloned must not start a
        // worker.
        ({ message, transfer } = prepare(action, message, transfer));
        const started = await startWorker(action);
        if (this.#state !== "open") {
          await started.terminate();
          throw new Error(`Cannot ${action}: the pool closed while it waited`);
        }
        this.#workers.add(started);
        worker = started;
      }
    } catch (error) {
      // No call was sent: give back what was taken.
      if (worker !== undefined) this.#idle.push(worker);
      this.#limiter.release(borrower);
      throw error;
    }
    return await this.#perform<T>(
      action,
      worker,
      borrower,
      message,
      transfer,
      grace,
    );
  }

  /**
   * Sends the call to `worker`, which `borrower` holds a token for; once
   * it is over, `perform` calls `giveBack`.
   */
  #perform<T>(
    action: string,
    worker: WorkerHandle,
    borrower: object,
    message: Call,
    transfer: Transferable[],
    grace: number,
  ): Promise<T> {
    return perform<T>(
      action,
      this.#module,
      worker,
      message,
      transfer,
      grace,
      this.#lender,
      borrower,
    );
  }

  /**
   * A call is over: its worker goes back to the idle ones, or, if it died
   * or the pool closed, is terminated (the call waits for that); its
   * token goes back to the limiter.
   */
  readonly #lender: Lender = {
    giveBack: (worker, borrower) => {
      if (worker.alive && this.#state === "open") this.#idle.push(worker);
      else if (this.#workers.delete(worker)) {
        // The token only once the thread is gone: never more than `size`.
        return worker.terminate().then(() => this.#limiter.release(borrower));
      }
      this.#limiter.release(borrower);
      return undefined;
    },
  };

  /** `WorkerPool "cpu" (open, 2/4 workers, 1 waiting)`. */
  toString(): string {
    const stats = this.#limiter.statistics();
    return `WorkerPool${
      label(this.#name)
    } (${this.#state}, ${this.#workers.size}/${this.#size} workers, ${stats.tasksWaiting} waiting)`;
  }
}
