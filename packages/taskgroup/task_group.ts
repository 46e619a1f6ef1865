// Copyright the corral authors. MIT license.
import { Snapshot } from "@corral/context";
import { Cancelled, CancelScope } from "@corral/scope";
import {
  cancellationOf,
  cancelWithSource,
  checkName,
  checkOptions,
  currentScope,
  hasHeadroom,
  onCancelled,
  ownerOf,
  ownsCancellation,
  reparent,
  runTask,
  runUnder,
  setOwner,
  show,
  stateOf,
} from "@corral/scope/plumbing";
import { CapacityLimiter } from "@corral/sync";
import { waitForToken } from "@corral/sync/plumbing";
import { settleTask, Task } from "./task.ts";
import { TaskGroupError } from "./task_group_error.ts";
import {
  checkCallback,
  checkLimit,
  describe,
  isGeneratorFunction,
  label,
} from "./_validate.ts";

/** Options for {@linkcode taskGroup}. */
export interface TaskGroupOptions {
  /** A label for errors and the task tree. @default {""} */
  name?: string;
  /**
   * At most this many tasks run at once; the others wait in spawn order.
   * A positive integer. @default {undefined} (no limit)
   */
  limit?: number;
  /**
   * A `CapacityLimiter` the group's tasks take their slots from, shared
   * with whatever else uses it (a limit per upstream host across every
   * request's group). A task waits in spawn order for a token, holds it
   * (borrowed by its `Task`, the limiter's default borrower inside the
   * task, so `limiter.run()` there is the "already holds a token" error,
   * not a wait for itself) while its function runs, and returns it when it
   * settles. `limit: n` is a private `CapacityLimiter(n)`; give one or the
   * other. @default {undefined} (no limit)
   */
  limiter?: CapacityLimiter;
}

/** Options for {@linkcode TaskGroup.spawn} and {@linkcode TaskGroup.start}. */
export interface SpawnOptions {
  /** A label for errors and the task tree. @default {""} */
  name?: string;
}

/** The function `start()` runs: it calls `started(value)` once it is ready. */
export type StartFunction<V> = (
  started: (value?: V) => void,
  scope: CancelScope,
) => unknown;

const resolved: Promise<void> = Promise.resolve();

/** Runs a group's whole life; set by the static block of `TaskGroup`. */
let runGroup: <T>(
  group: TaskGroup,
  body: (group: TaskGroup) => T | Promise<T>,
) => Promise<T | undefined>;

/**
 * A task group (Trio's nursery), handed to the body of
 * {@linkcode taskGroup}: spawn tasks into it, start services with a
 * readiness handshake, or cancel it all. Like `Promise.all` over tasks you
 * add as you go, except that no task outlives the group, the first failure
 * cancels the others, every failure is reported, and `cancel()` stops
 * everything and leaves the group cleanly.
 *
 * @example Usage
 * ```ts
 * import { taskGroup } from "@corral/taskgroup";
 * import { sleep } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * const log: string[] = [];
 * await clock.run(() =>
 *   taskGroup((group) => {
 *     group.spawn(async () => {
 *       await sleep(20);
 *       log.push("slow");
 *     });
 *     group.spawn(async () => {
 *       await sleep(10);
 *       log.push("fast");
 *     });
 *   })
 * );
 * assert.deepEqual(log, ["fast", "slow"]); // the group waited for both
 * ```
 */
export class TaskGroup {
  readonly #name: string;
  readonly #scope: CancelScope;
  /** Where slots come from: `options.limiter`, or a private one for `limit`. */
  readonly #limiter: CapacityLimiter | undefined;
  /** The tasks holding a token of `#limiter` (each borrows for itself). */
  readonly #holders: Set<Task<unknown>> | undefined;
  /**
   * Whether `#limiter` is shared (`options.limiter`). A private one (from
   * `limit`) gets its tokens back only from this group's tasks, whose
   * settling launches the queue: its head needs no place in its queue.
   */
  readonly #sharedLimiter: boolean;
  /** Withdraws the queue head's place in the limiter's queue, if it has one. */
  #withdraw: (() => boolean) | undefined;
  /** The limiter granted the queue head its token; it launches next. */
  #headHasToken = false;
  /** Tasks spawned and not yet settled, queued ones and pending starts included. */
  #unsettled = 0;
  /** Tasks waiting for a slot of `#limiter`, in spawn order. */
  #queue: { task: Task<unknown>; launch: () => void }[] = [];
  /**
   * Whether the group's scope will launch the queue when it is cancelled:
   * registered once, the first time a task is queued, for the group's whole
   * life (once per refill of the queue would pile up in a long-lived group).
   */
  #queueWatched = false;
  /** True once the body has returned or thrown. */
  #bodyDone = false;
  /**
   * True once the body is done and every task settled: the group is finished
   * and `spawn` throws. Set in the same step that releases the join, so no
   * task can slip in between and outlive the group (rule 15).
   */
  #finished = false;
  #releaseJoin: (() => void) | undefined;
  /** Every failure that was not a cancellation, in order (rule 10). */
  #errors: unknown[] = [];
  /** The first `Cancelled` that came out of the body or a task. */
  #cancelled: Cancelled | undefined;

  /**
   * Made by {@linkcode taskGroup}; not for user code.
   *
   * @param options The group's name and limit.
   */
  constructor(options?: TaskGroupOptions) {
    checkOptions("create task group", options);
    const name = checkName("create task group", options?.name);
    const limit = options?.limit;
    checkLimit(`create task group${label(name)}`, limit);
    const limiter = options?.limiter;
    if (limiter !== undefined && !(limiter instanceof CapacityLimiter)) {
      throw new TypeError(
        `Cannot create task group${
          label(name)
        }: 'limiter' must be a CapacityLimiter: current value is ${
          show(limiter)
        }`,
      );
    }
    if (limiter !== undefined && limit !== undefined) {
      throw new TypeError(
        `Cannot create task group${
          label(name)
        }: give 'limit' or 'limiter', not both`,
      );
    }
    this.#name = name;
    this.#limiter = limiter ??
      (limit === undefined ? undefined : new CapacityLimiter(limit));
    this.#holders = this.#limiter === undefined ? undefined : new Set();
    this.#sharedLimiter = limiter !== undefined;
    this.#scope = new CancelScope({ name: this.#name });
    setOwner(this.#scope, this);
  }

  /** The label given to `taskGroup`. */
  get name(): string {
    return this.#name;
  }

  /** The group's cancel scope: every task's scope nests in it. */
  get scope(): CancelScope {
    return this.#scope;
  }

  /** How many tasks have not settled yet. */
  get size(): number {
    return this.#unsettled;
  }

  /** How many tasks wait for a slot under `limit`. */
  get waiting(): number {
    return this.#queue.length - this.#queueHead;
  }

  /**
   * Starts `fn` as a task of this group and returns its handle. `fn`
   * receives the task's own scope. The task sees the context variables of
   * the `spawn` call (rule 14), but its enclosing scope is the group's, not
   * the one around `spawn` (rule 12: a `moveOnAfter` around `spawn` does not
   * time the task).
   *
   * Spawning never loses work (rule 12): into a group that has not finished
   * the task always starts, even if the group is cancelling, in which case
   * its first checkpoint throws and its `finally` blocks run.
   *
   * @typeParam R The task's return value.
   * @param fn The task.
   * @param options The task's name.
   * @returns The task's handle.
   * @throws {TypeError} If `fn` is not a function or is a generator function.
   * @throws {Error} If the group has finished.
   */
  spawn<R>(
    fn: (scope: CancelScope) => R | Promise<R>,
    options?: SpawnOptions,
  ): Task<R> {
    if (options !== undefined) checkOptions("spawn task", options);
    const name = checkName("spawn task", options?.name);
    this.#checkSpawn("spawn", name, fn);
    const task = new Task<R>(
      new CancelScope(name === "" ? undefined : { name }),
    );
    if (this.#hasFreeSlot(task)) this.#launch(task, fn, true);
    else {
      this.#unsettled++;
      // Rule 14: a waiting task is launched later by whoever frees a slot
      // (a settling task, the limiter, or the group's cancellation), so it
      // keeps the context of this spawn() call rather than the launcher's.
      const context = new Snapshot();
      this.#queue.push({
        task,
        launch: () => context.run(() => this.#launch(task, fn, false)),
      });
      this.#askForToken();
    }
    return task;
  }

  /**
   * Starts `fn` as a task and waits until it is ready: `fn(started, scope)`
   * calls `started(value)`, and `start()` resolves with `value` (Trio's
   * `nursery.start`). Until then the task runs under the caller: cancelling
   * the caller cancels it, and what it throws rejects `start()` itself,
   * unwrapped, without failing the group. After `started()` the task belongs
   * to the group alone (rule 13).
   *
   * A `start()` is never queued behind the group's `limit`: the caller
   * waits for readiness, and a task holding the last slot that starts
   * another would wait for a slot it holds itself. The started task counts
   * against the limit while it runs if a token is free (it never waits for
   * one). Calling `started()` twice, or after
   * the task ended, throws.
   *
   * @typeParam V The value passed to `started`.
   * @param fn The task; it must call `started` once.
   * @param options The task's name.
   * @returns The value passed to `started`.
   * @throws {TypeError} If `fn` is not a function.
   * @throws {Error} If the group has finished; rejects if `fn` returns
   * without calling `started`.
   *
   * @example Usage
   * ```ts
   * import { taskGroup } from "@corral/taskgroup";
   * import { sleepForever } from "@corral/scope";
   * import assert from "node:assert/strict";
   *
   * await taskGroup(async (group) => {
   *   const port = await group.start<number>(async (started) => {
   *     started(8080); // listening: let the caller go on
   *     await sleepForever();
   *   }, { name: "server" });
   *   assert.equal(port, 8080);
   *   group.cancel(); // stop the server; the group exits cleanly
   * });
   * ```
   */
  start<V = undefined>(
    fn: StartFunction<V>,
    options?: SpawnOptions,
  ): Promise<V> {
    checkOptions("start task", options);
    const name = checkName("start task", options?.name);
    this.#checkSpawn("start", name, fn);
    const caller = currentScope();
    const task = new Task<unknown>(new CancelScope({ name }));
    if (
      this.#limiter !== undefined && !isCancelled(this.#scope) &&
      this.#limiter.tryAcquire(task)
    ) {
      this.#holders!.add(task);
    }
    let watched = false;
    try {
      return new Promise<V>((resolve, reject) => {
        // "starting": runs under the caller; "moved": belongs to the group;
        // "unmoved": started() while the caller was cancelled, so (as in
        // Trio's _TaskStatus.started) it stays under the caller, whose scope
        // can absorb its Cancelled, and start() settles when it ends.
        let phase: "starting" | "moved" | "unmoved" | "ended" = "starting";
        let startedValue: V;
        const started = (value?: V) => {
          if (phase === "ended") {
            throw new Error(
              `Cannot call started() of task${
                label(name)
              }: the task has already ended; call started() from inside the task, before it returns`,
            );
          }
          if (phase !== "starting") {
            throw new Error(
              `Cannot call started() of task${label(name)} twice`,
            );
          }
          startedValue = value as V;
          if (caller !== undefined && isCancelled(caller)) {
            phase = "unmoved";
            return;
          }
          // Moved only once `reparent` is done: if it overflows the stack
          // (rule 19), `started()` throws, the task is still the caller's,
          // and its end settles `start()`.
          reparent(task.scope, this.#scope);
          phase = "moved";
          resolve(startedValue);
        };
        runUnder(task.scope, caller, (scope) => fn(started, scope))
          .then((value) => {
            const ended = phase;
            phase = "ended";
            if (ended === "moved") return this.#settle(task, false, value);
            this.#settle(task, false, undefined, true);
            if (ended === "unmoved") resolve(startedValue);
            else {
              reject(
                new Error(
                  `Task${
                    label(name)
                  } returned without calling started(); call started(value) once it is ready`,
                ),
              );
            }
          }, (error) => {
            const ended = phase;
            phase = "ended";
            if (ended === "moved") {
              return this.#settle(task, true, error);
            }
            // Rule 13: an error before started() belongs to the start() caller.
            this.#settle(task, true, error, true);
            reject(error);
          });
        // Counted once its outcome is watched, with no call between (rule
        // 19): a start that overflowed the stack on the way in rejects
        // `start()` and was never counted, so the join does not wait for it.
        this.#unsettled++;
        watched = true;
      });
    } finally {
      // Rule 19: `start()` overflowed the stack before its task was
      // watched; the task will never settle, so its token comes back here:
      // with a builtin now, and our own code (it may be cold) on a fresh
      // stack.
      if (!watched && this.#holders?.delete(task) === true) {
        const limiter = this.#limiter!;
        resolved.then(() => limiter.release(task));
      }
    }
  }

  /**
   * Cancels every task and the body, then leaves cleanly: `taskGroup()`
   * resolves with the body's value if the body finished, else `undefined`
   * (rule 11). Works from the body, a task or outside; harmless when repeated
   * or after the group finished.
   *
   * @param reason Why; carried by the `Cancelled` the tasks see.
   */
  cancel(reason?: unknown): void {
    this.#scope.cancel(reason);
  }

  /** The state, as `TaskGroup "workers" (3 tasks)`. */
  toString(): string {
    const state = this.#finished
      ? "finished"
      : `${this.#unsettled} task${this.#unsettled === 1 ? "" : "s"}`;
    return `TaskGroup${label(this.#name)} (${state})`;
  }

  #checkSpawn(action: string, name: string, fn: unknown): void {
    if (typeof fn !== "function" || isGeneratorFunction(fn)) {
      checkCallback(`${action} task${label(name)}`, fn);
    }
    if (this.#finished) {
      throw new Error(
        `Cannot ${action} task${label(name)} in task group${
          label(this.#name)
        }: the group has finished; spawn tasks while its body or tasks still run`,
      );
    }
    // Rules 15 and 16: a group made with `new TaskGroup()` never runs, so
    // nothing would wait for the task or report its failure.
    if (stateOf(this.#scope) === "idle") {
      throw new Error(
        `Cannot ${action} task${label(name)} in task group${
          label(this.#name)
        }: the group is not running; use the group taskGroup() passes to its body`,
      );
    }
  }

  /**
   * Whether a task spawned now may run at once. A cancelled group runs it at
   * once, past the limit: the task goes to its first checkpoint, which
   * throws, so its `finally` blocks run (rule 12), and holds no token.
   * Otherwise it takes a token if one is free and no task of the group is
   * queued before it. When the answer is no, the caller queues the task;
   * the first in the queue arranges for the whole queue to be launched if
   * the group is cancelled (its place in the limiter's queue is withdrawn
   * then: it holds nothing, rule 17).
   */
  #hasFreeSlot(borrower: Task<unknown>): boolean {
    const limiter = this.#limiter;
    if (limiter === undefined || isCancelled(this.#scope)) return true;
    if (
      this.#queueHead === this.#queue.length && limiter.tryAcquire(borrower)
    ) {
      this.#holders!.add(borrower);
      return true;
    }
    if (!this.#queueWatched) {
      this.#queueWatched = true;
      onCancelled(this.#scope, () => {
        this.#launchAll = true;
        this.#withdraw?.();
        this.#withdraw = undefined;
        this.#launchQueued();
      });
    }
    return false;
  }

  /** Puts the queue head in the limiter's queue, unless it is there. */
  #askForToken(): void {
    if (
      !this.#sharedLimiter || this.#withdraw !== undefined ||
      this.#headHasToken || this.#launchAll ||
      this.#queueHead === this.#queue.length
    ) return;
    this.#withdraw = waitForToken(
      this.#limiter!,
      this.#queue[this.#queueHead]!.task,
      this.#tokenGranted,
    );
  }

  /** The limiter gave the queue head its token (one callback per group). */
  #tokenGranted = (): void => {
    this.#withdraw = undefined;
    this.#headHasToken = true;
    this.#launchQueued();
  };

  /** Runs a task; `fresh` when it is not counted yet (not queued). */
  #launch<R>(
    task: Task<R>,
    fn: (scope: CancelScope) => R | Promise<R>,
    fresh: boolean,
  ): void {
    // Counted here, with no call before the `try` (rule 19): a `spawn`
    // whose call to `#launch` overflowed the stack throws before the group
    // counts a task that would never settle, and its join never ends.
    if (fresh) this.#unsettled++;
    try {
      runTask(task.scope, this.#scope, fn, this.#settleTask);
    } catch (error) {
      // Rule 19: the task could not even start at the end of the stack,
      // and will never settle by itself: it fails with the overflow, on a
      // fresh stack. Noted first with no call of ours (there may be no room
      // for one); the body's end settles what no microtask did.
      try {
        this.#unstarted = { task, error, next: this.#unstarted };
      } catch (again) {
        // Not even room for the note: the first one made here asks V8 for
        // its object's template, which wants stack. A fresh task is not
        // counted after all, and `spawn` throws, as any call that
        // overflows does; a queued one goes back to the queue (see
        // `#launchWhileFree`).
        if (fresh) this.#unsettled--;
        throw again;
      }
      try {
        // `then`, a V8 builtin, where the stack may be short: on Deno
        // `queueMicrotask` is JavaScript, and needs stack of its own.
        resolved.then(() => this.#settleUnstarted());
      } catch {
        // `#run` does it when the body ends.
      }
    }
  }

  /** Tasks that could not start, not settled yet (see `#launch`). */
  #unstarted: Unstarted | undefined = undefined;

  #settleUnstarted(): void {
    for (let next = this.#unstarted; next !== undefined; next = next.next) {
      this.#settle(next.task, true, next.error);
    }
    this.#unstarted = undefined;
  }

  /** One callback for every task of the group (no closure per task). */
  #settleTask = (scope: CancelScope, failed: boolean, outcome: unknown) => {
    this.#settle(ownerOf(scope) as Task<unknown>, failed, outcome);
  };

  /**
   * Launches queued tasks while slots are free. The queue is read from
   * `#queueHead` on, and compacted once half of it is spent: `shift()` on
   * a long queue copies it every time. Not re-entered: a task that fails
   * synchronously settles inside `launch()`, and launching the next one
   * from there would nest one stack frame per queued task.
   */
  #launchQueued(): void {
    if (this.#queueHead === this.#queue.length) return; // nothing queued
    if (this.#launching) return; // the loop below goes on
    this.#launching = true;
    try {
      this.#launchWhileFree();
    } catch {
      // Rule 19: the stack ended under a launch, whose task went back to
      // the head of the queue: launch on a fresh stack.
      try {
        resolved.then(() => this.#launchQueued());
      } catch {
        // The next settle or cancellation launches it.
      }
    } finally {
      this.#launching = false;
    }
  }

  #launching = false;
  /** Set when the group is cancelled: the limit no longer holds (rule 12). */
  #launchAll = false;

  #launchWhileFree(): void {
    const queue = this.#queue;
    for (;;) {
      while (this.#queueHead < queue.length) {
        const next = queue[this.#queueHead]!;
        let token = this.#headHasToken;
        this.#headHasToken = false;
        if (!token && !this.#launchAll) {
          // FIFO: a head waiting in the limiter's queue is not overtaken.
          if (
            this.#withdraw !== undefined ||
            !this.#limiter!.tryAcquire(next.task)
          ) break;
          token = true;
        }
        if (token) this.#holders!.add(next.task);
        queue[this.#queueHead++] = undefined!;
        try {
          next.launch();
        } catch (error) {
          // Rule 19: it overflowed the stack before the task started
          // (`#launch` notes any later failure itself): back to the head,
          // with its token, for `#launchQueued` to launch again.
          queue[--this.#queueHead] = next;
          if (token) {
            this.#holders!.delete(next.task);
            this.#headHasToken = true;
          }
          throw error;
        }
      }
      // The new head joins the limiter's queue; granted at once (a stale
      // waiter ahead of it was skipped), it launches in this loop too.
      this.#askForToken();
      if (!this.#headHasToken || this.#queueHead === queue.length) break;
    }
    if (this.#queueHead === queue.length) {
      queue.length = 0;
      this.#queueHead = 0;
    } else if (this.#queueHead > 1024 && this.#queueHead * 2 > queue.length) {
      queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
  }

  /** The first task of `#queue` still waiting to launch. */
  #queueHead = 0;

  /**
   * Records how a task ended (rules 10 and 16): a failure that is not a
   * cancellation is kept for the `TaskGroupError` and cancels the group;
   * a `Cancelled` is remembered but is not a failure. `quiet` is for a
   * `start()` task that ended before `started()`: its outcome went to the
   * caller.
   */
  #settle(
    task: Task<unknown>,
    failed: boolean,
    outcome: unknown,
    quiet = false,
  ): void {
    // Rule 19: the counters rule 15 rests on change first, before anything
    // looks at the outcome (a user value) or wakes user code.
    this.#unsettled--;
    const heldToken = this.#holders?.delete(task) === true;
    settleTask(task, failed, outcome);
    if (!quiet && failed) {
      const recorded = this.#errors.length;
      try {
        this.#recordFailure(outcome, `task${label(task.name)}`);
      } catch {
        // Rule 19: a task settling at the very end of the stack can
        // overflow it here. Finish on a fresh stack, queued before the
        // join's continuation, so the error is never lost.
        try {
          resolved.then(() => {
            const who = `task${label(task.name)}`;
            if (this.#errors.length === recorded) {
              this.#recordFailure(outcome, who);
            } else {
              cancelWithSource(this.#scope, "group", `${who} failed`);
            }
          });
        } catch {
          // Not even room for that: keep the error (an assignment needs
          // no stack), for the join to report.
          if (this.#errors.length === recorded) {
            this.#errors[recorded] = outcome;
          }
        }
      }
    }
    // The token goes to the limiter's longest waiter: this group's queue
    // head, or another group's task.
    if (heldToken) this.#limiter!.release(task);
    this.#launchQueued();
    this.#finishIfDone();
  }

  #recordFailure(error: unknown, who: string): void {
    if (error instanceof Cancelled) {
      this.#cancelled ??= error;
      return;
    }
    this.#errors.push(error);
    if (this.#errors.length === 1) {
      cancelWithSource(
        this.#scope,
        "group",
        `${who} failed: ${describe(error)}`,
      );
    }
  }

  #finishIfDone(): void {
    if (this.#bodyDone && this.#unsettled === 0 && !this.#finished) {
      this.#finished = true;
      this.#releaseJoin?.();
    }
  }

  /** The group's whole life: body, join, verdict. Only `taskGroup` calls it. */
  async #run<T>(
    body: (group: TaskGroup) => T | Promise<T>,
  ): Promise<T | undefined> {
    let value: T | undefined;
    let bodyFinished = false;
    let failed = false, failure: unknown;
    try {
      value = await body(this);
      bodyFinished = true;
    } catch (error) {
      failed = true;
      failure = error;
    }
    if (failed) {
      // Rule 19: a body that threw synchronously may have thrown at the
      // very end of the stack (its `RangeError`), where what follows has no
      // room; it goes on after an `await`, on a fresh stack. The probe that
      // asks may overflow on the way in: that, too, is no room.
      let room = false;
      try {
        room = hasHeadroom();
      } catch {
        // No room.
      }
      if (!room) await resolved;
      this.#recordFailure(failure, "body");
    }
    this.#settleUnstarted();
    this.#bodyDone = true;
    // Wait for every task (rule 15). Not a cancellation point: the tasks are
    // cancelled through the scope tree, and we wait for their cleanup (Trio
    // never abandons a task). With no tasks, still one schedule point (D11).
    const join = new Promise<void>((resolve) => this.#releaseJoin = resolve);
    this.#finishIfDone();
    await (this.#finished ? resolved : join);
    if (this.#errors.length > 0) {
      throw new TaskGroupError(this.#errors, this.#name);
    }
    if (this.#cancelled !== undefined) {
      // Rule 10: only cancellations came out. If they are an enclosing
      // scope's, one Cancelled goes on out (not a group of them). If they
      // are ours (cancel()), rule 11: leave cleanly, with the body's value
      // if it finished (a Cancelled thrown here would make run() return
      // undefined and set cancelCaught).
      if (!ownsCancellation(this.#scope) || !bodyFinished) {
        throw this.#cancelled;
      }
    }
    return value;
  }

  /**
   * One idle group that lives as long as this module, so V8 keeps the
   * layout of groups through a full garbage collection; see `CancelScope`.
   */
  static readonly #keepsLayoutAlive = new TaskGroup();

  static {
    runGroup = (group, body) => group.#scope.run(() => group.#run(body));
  }
}

/** A task whose start overflowed the stack, with the overflow. */
interface Unstarted {
  task: Task<unknown>;
  error: unknown;
  next: Unstarted | undefined;
}

/**
 * Runs `body` with a new {@linkcode TaskGroup} and waits until the body and
 * every task in the group have finished (Trio's `open_nursery`, Go's
 * `errgroup`). The body is a task like the others.
 *
 * - The first error that is not a cancellation cancels the group; when all
 *   have stopped, a {@linkcode TaskGroupError} holding every such error is
 *   thrown (rule 10).
 * - `group.cancel()` stops everything and resolves with the body's value if
 *   the body finished, else `undefined` (rule 11).
 * - If an enclosing scope is cancelled, one `Cancelled` comes out.
 *
 * @typeParam T The body's value.
 * @param body Receives the group; may spawn and start tasks.
 * @param options The group's name, and its limit or limiter.
 * @returns The body's value (or `undefined` after `cancel()`).
 * @throws {TaskGroupError} If the body or a task failed.
 * @throws {TypeError} If `body` is not a function.
 * @throws {RangeError} If `limit` is not a positive integer.
 * @throws {TypeError} If `limiter` is not a `CapacityLimiter`, or both
 * `limit` and `limiter` are given.
 *
 * @example Usage
 * ```ts
 * import { taskGroup } from "@corral/taskgroup";
 * import { sleep } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * const result = await clock.run(() =>
 *   taskGroup(async (group) => {
 *     const a = group.spawn(async () => (await sleep(10), "a"));
 *     const b = group.spawn(async () => (await sleep(20), "b"));
 *     return [await a.result, await b.result];
 *   }, { name: "pair" })
 * );
 * assert.deepEqual(result, ["a", "b"]);
 * ```
 */
export function taskGroup<T>(
  body: (group: TaskGroup) => T | Promise<T>,
  options?: TaskGroupOptions,
): Promise<T | undefined> {
  const name = typeof options?.name === "string" ? options.name : "";
  checkCallback(`run task group${label(name)}`, body, "body");
  return runGroup(new TaskGroup(options), body);
}

/** Whether checkpoints in `scope` throw now. */
function isCancelled(scope: CancelScope): boolean {
  return cancellationOf(scope) !== undefined;
}
