// Copyright the corral authors. MIT license.
import { Cancelled, CancelScope, shielded } from "@corral/scope";
import {
  cancellationOf,
  cancelWithSource,
  onCancelled,
} from "@corral/scope/plumbing";
import { TaskGroupError } from "@corral/taskgroup/task-group-error";
import {
  checkDuration,
  checkFunction,
  checkName,
  checkOptions,
  describe,
  label,
  show,
} from "./_validate.ts";

/**
 * Options for {@linkcode Quarantine.listen}: those of `addEventListener`
 * but `signal`, which is the block's own. Spelled out rather than taken
 * from the DOM types, which a Node-only program does not have.
 */
export interface ListenOptions {
  /** Remove the listener after its first call. @default {false} */
  once?: boolean;
  /** The listener will not call `preventDefault()`. @default {false} */
  passive?: boolean;
  /** Listen in the capture phase. @default {false} */
  capture?: boolean;
}

/** Options for {@linkcode quarantine}. */
export interface QuarantineOptions {
  /** A label for the scope and for errors. @default {"quarantine"} */
  name?: string;
}

/** The id of a timer set through a {@linkcode Quarantine}, as the runtime's `setTimeout` returns it. */
export type TimerId = ReturnType<typeof setTimeout>;

/** Made only by {@linkcode quarantine}; the static block fills it in. */
let openQuarantine: (name: string, scope: CancelScope) => Quarantine;
/** Proves to the constructor that `openQuarantine` called it. */
const OPEN = Symbol("open quarantine");
let closeQuarantine: (q: Quarantine) => Promise<unknown[]>;

/**
 * The handle a {@linkcode quarantine} block gets: everything foreign code
 * starts through it (signals handed out, promises tracked, timers, event
 * listeners, cleanup callbacks) belongs to the block and is aborted,
 * cleared and awaited when the block exits. Like trio-asyncio's
 * `open_loop()`: "callback spaghetti in quarantine".
 *
 * A failure of something it holds (a tracked promise that rejects before
 * the block is aborted, a timer callback or listener that throws, a cleanup
 * that fails) cancels the block and is reported when it exits, never lost
 * to a global error handler (trio-asyncio #121).
 *
 * @example Usage
 * ```ts
 * import { quarantine } from "@corral/interop";
 * import assert from "node:assert/strict";
 *
 * let ticks = 0;
 * let closed = false;
 * await quarantine(async (q) => {
 *   q.setInterval(() => ticks++, 1); // foreign-style callback code
 *   q.defer(() => {
 *     closed = true; // runs when the block exits
 *   });
 *   await new Promise((resolve) => setTimeout(resolve, 5));
 * });
 * assert.ok(closed); // and the interval is cleared: nothing leaks out
 * const before = ticks;
 * await new Promise((resolve) => setTimeout(resolve, 5));
 * assert.equal(ticks, before);
 * ```
 */
export class Quarantine {
  readonly #name: string;
  readonly #scope: CancelScope;
  /** Made on first read of `signal`; aborted on cancel or on exit. */
  #controller: AbortController | undefined;
  #timers = new Set<TimerId>();
  #intervals = new Set<TimerId>();
  #tracked = new Set<PromiseLike<unknown>>();
  /** Resolves the wait for `#tracked` to empty, during teardown. */
  #trackedEmpty: (() => void) | undefined;
  #deferred: (() => unknown)[] = [];
  /** Failures of what the block holds, in order (not the body's own). */
  #errors: unknown[] = [];
  /** "open" → "closing" (teardown runs) → "closed". */
  #state: "open" | "closing" | "closed" = "open";

  private constructor(token: symbol, name: string, scope: CancelScope) {
    // `private` binds TypeScript alone; plain JavaScript could still call
    // `new Quarantine()` and get a handle no block would ever clean up.
    if (token !== OPEN) {
      throw new TypeError(
        "Cannot create Quarantine: handles are made by quarantine(fn), which passes one to fn",
      );
    }
    this.#name = name;
    this.#scope = scope;
  }

  /** The label given to `quarantine`. */
  get name(): string {
    return this.#name;
  }

  /** The block's scope; `cancel()` it to stop the block and all it holds. */
  get scope(): CancelScope {
    return this.#scope;
  }

  /**
   * A signal for foreign code. Aborts the first time the block is cancelled
   * (reason: the `Cancelled`), or when it exits (reason: an `AbortError`),
   * whichever comes first. Listeners registered with `listen` go with it.
   */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = this.#controller = new AbortController();
      if (this.#state !== "open") {
        controller.abort(this.#exitReason());
      } else {
        onCancelled(this.#scope, (cancelled) => controller.abort(cancelled));
      }
    }
    return this.#controller.signal;
  }

  /**
   * Makes the block wait for a foreign promise before it exits (after
   * `signal` aborts). If it rejects while the block is open, the block is
   * cancelled and the error reported when it exits; a rejection after the
   * abort is taken as the foreign work stopping, and dropped. Await it
   * yourself, if you need its value, with `abortable` or a plain `await`.
   *
   * @param promise The foreign work, started with `signal`.
   * @throws {TypeError} If `promise` is not a promise or thenable.
   * @throws {Error} If the block has exited.
   */
  track(promise: PromiseLike<unknown>): void {
    this.#checkOpen("track promise", this.#state === "closed");
    if (typeof (promise as PromiseLike<unknown> | null)?.then !== "function") {
      throw new TypeError(
        `Cannot track promise in quarantine${
          label(this.#name)
        }: 'promise' must be a promise: current value is ${show(promise)}`,
      );
    }
    this.#tracked.add(promise);
    const settled = () => {
      this.#tracked.delete(promise);
      if (this.#tracked.size === 0) this.#trackedEmpty?.();
    };
    promise.then(settled, (error) => {
      if (!this.#aborted()) this.#fail(error);
      settled();
    });
  }

  /**
   * `setTimeout`, cleared when the block exits. A callback that throws
   * cancels the block; its error is reported when the block exits.
   *
   * @param callback Called once after `ms`.
   * @param ms The delay in milliseconds. @default {0}
   * @returns The timer's id, for {@linkcode Quarantine.clearTimeout}.
   * @throws {Error} If the block is exiting or has exited.
   */
  setTimeout(callback: () => void, ms = 0): TimerId {
    this.#checkOpen("set timer", this.#state !== "open");
    checkFunction(`set timer in quarantine${label(this.#name)}`, callback);
    checkDuration(`set timer in quarantine${label(this.#name)}`, "ms", ms);
    const id: TimerId = setTimeout(() => {
      this.#timers.delete(id);
      this.#call(callback);
    }, ms);
    this.#timers.add(id);
    return id;
  }

  /**
   * `clearTimeout` for a timer of this block.
   *
   * @param id What `setTimeout` returned.
   */
  clearTimeout(id: TimerId | undefined): void {
    if (id === undefined || !this.#timers.delete(id)) return;
    clearTimeout(id);
  }

  /**
   * `setInterval`, cleared when the block exits. A callback that throws
   * cancels the block, and the interval stops.
   *
   * @param callback Called every `ms`.
   * @param ms The period in milliseconds. @default {0}
   * @returns The interval's id, for {@linkcode Quarantine.clearInterval}.
   * @throws {Error} If the block is exiting or has exited.
   */
  setInterval(callback: () => void, ms = 0): TimerId {
    this.#checkOpen("set interval", this.#state !== "open");
    checkFunction(`set interval in quarantine${label(this.#name)}`, callback);
    checkDuration(`set interval in quarantine${label(this.#name)}`, "ms", ms);
    const id: TimerId = setInterval(() => {
      if (!this.#call(callback)) this.clearInterval(id);
    }, ms);
    this.#intervals.add(id);
    return id;
  }

  /**
   * `clearInterval` for an interval of this block.
   *
   * @param id What `setInterval` returned.
   */
  clearInterval(id: TimerId | undefined): void {
    if (id === undefined || !this.#intervals.delete(id)) return;
    clearInterval(id);
  }

  /**
   * `target.addEventListener(type, listener)`, removed when the block
   * exits or is cancelled (through `signal`). A listener that throws
   * cancels the block instead of going to the global error handler.
   *
   * @param target The event target.
   * @param type The event type.
   * @param listener The listener.
   * @param options `once`, `passive`, `capture`.
   * @throws {Error} If the block is exiting or has exited.
   */
  listen<E extends Event = Event>(
    target: EventTarget,
    type: string,
    listener: (event: E) => void,
    options?: ListenOptions,
  ): void {
    this.#checkOpen("add listener", this.#state !== "open");
    checkOptions(`add listener in quarantine${label(this.#name)}`, options);
    checkFunction(
      `add listener in quarantine${label(this.#name)}`,
      listener,
      "listener",
    );
    target.addEventListener(
      type,
      (event) => this.#call(() => listener(event as E)),
      { ...options, signal: this.signal },
    );
  }

  /**
   * Registers a cleanup to run when the block exits, after its signal
   * aborted, its timers were cleared and its tracked promises settled;
   * cleanups run last registered first (Go's `defer`), each awaited, in a
   * shielded scope so that their own checkpoints do not throw. A failing
   * cleanup is reported; the others still run.
   *
   * @param cleanup The cleanup; may be async.
   * @throws {TypeError} If `cleanup` is not a function.
   * @throws {Error} If the block has exited.
   */
  defer(cleanup: () => unknown): void {
    this.#checkOpen("defer cleanup", this.#state === "closed");
    checkFunction(`defer cleanup in quarantine${label(this.#name)}`, cleanup);
    this.#deferred.push(cleanup);
  }

  /** The state, as `Quarantine "name" (open, 2 timers, 1 tracked)`. */
  toString(): string {
    const parts: string[] = [this.#state];
    const timers = this.#timers.size + this.#intervals.size;
    if (timers > 0) parts.push(`${timers} timer${timers === 1 ? "" : "s"}`);
    if (this.#tracked.size > 0) parts.push(`${this.#tracked.size} tracked`);
    return `Quarantine${label(this.#name)} (${parts.join(", ")})`;
  }

  #checkOpen(action: string, refused: boolean): void {
    if (refused) {
      throw new Error(
        `Cannot ${action} in quarantine${label(this.#name)}: the block has ${
          this.#state === "closed" ? "exited" : "begun to exit"
        }; start foreign work inside the block`,
      );
    }
  }

  /** Runs a foreign callback; a throw fails the block. False if it threw. */
  #call(callback: () => void): boolean {
    try {
      callback();
      return true;
    } catch (error) {
      this.#fail(error);
      return false;
    }
  }

  /** Records a failure and cancels the block (like a failing task). */
  #fail(error: unknown): void {
    this.#errors.push(error);
    if (this.#errors.length === 1 && this.#state === "open") {
      cancelWithSource(
        this.#scope,
        "group",
        `quarantine${label(this.#name)}: ${describe(error)}`,
      );
    }
  }

  /** Whether foreign work was told to stop: the block is closing or cancelled. */
  #aborted(): boolean {
    return this.#state !== "open" ||
      cancellationOf(this.#scope) !== undefined;
  }

  #exitReason(): unknown {
    return this.#scope.reason ??
      new DOMException(
        `Quarantine${label(this.#name)} exited`,
        "AbortError",
      );
  }

  /**
   * The teardown, in the order trio-asyncio learned the hard way (#89/#96,
   * #91/#108): tell foreign work to stop, clear what can be cleared, wait
   * for what was started, and only then run the cleanups.
   */
  async #close(): Promise<unknown[]> {
    this.#state = "closing";
    this.#controller?.abort(this.#exitReason());
    for (const id of this.#timers) clearTimeout(id);
    for (const id of this.#intervals) clearInterval(id);
    this.#timers.clear();
    this.#intervals.clear();
    // A plain wait, not a checkpoint: the block is leaving, and what it
    // started must settle first (a group's join is not a checkpoint either).
    while (this.#tracked.size > 0 || this.#deferred.length > 0) {
      if (this.#tracked.size > 0) {
        await new Promise<void>((resolve) => this.#trackedEmpty = resolve);
        this.#trackedEmpty = undefined;
        continue;
      }
      const cleanup = this.#deferred.pop()!;
      try {
        await shielded(() => cleanup());
      } catch (error) {
        this.#errors.push(error);
      }
    }
    this.#state = "closed";
    return this.#errors;
  }

  static {
    openQuarantine = (name, scope) => new Quarantine(OPEN, name, scope);
    closeQuarantine = (q) => q.#close();
  }
}

/**
 * Runs `fn` with a {@linkcode Quarantine} for foreign, callback-style code,
 * in a scope of its own, and cleans up after it however it exits: normally,
 * by an error, or by cancellation. Everything started through the handle is
 * stopped and awaited before `quarantine` returns, so no detritus (timers,
 * listeners, pending promises) leaks out of the block: trio-asyncio's
 * `open_loop`, for JS callbacks instead of an asyncio loop.
 *
 * Errors follow the task-group rules (rule 10 of docs/rules.md): the first failure,
 * of the body or of something the block holds, cancels the block; when the
 * teardown is done, every failure that is not a cancellation is thrown in a
 * `TaskGroupError`, always wrapped. Cancelling `q.scope` makes the block
 * exit cleanly (it returns `undefined`), as `group.cancel()` does.
 *
 * @typeParam T The result of `fn`.
 * @param fn The block; receives the handle.
 * @param options The block's name.
 * @returns `fn`'s result, or `undefined` if the block's own scope was
 * cancelled.
 * @throws {TaskGroupError} If the body or anything the block holds failed.
 * @throws {TypeError} If `fn` is not a function.
 *
 * @example Usage
 * ```ts
 * import { quarantine } from "@corral/interop";
 * import { moveOnAfter, sleepForever } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * const log: string[] = [];
 * await moveOnAfter(20, () =>
 *   quarantine(async (q) => {
 *     q.setInterval(() => log.push("tick"), 5); // callback-style code
 *     q.track(
 *       new Promise((resolve) =>
 *         q.signal.addEventListener("abort", () => resolve(log.push("aborted")))
 *       ),
 *     );
 *     q.defer(() => log.push("closed"));
 *     await sleepForever();
 *   })
 * );
 * // The interval was cleared, the promise aborted and awaited, the
 * // cleanup run last: nothing from the block is still running.
 * assert.deepEqual(log.slice(-2), ["aborted", "closed"]);
 * ```
 */
export function quarantine<T>(
  fn: (q: Quarantine) => T | Promise<T>,
  options?: QuarantineOptions,
): Promise<T | undefined> {
  checkOptions("call quarantine()", options);
  const name = checkName("call quarantine()", options?.name) || "quarantine";
  checkFunction("call quarantine()", fn);
  const scope = new CancelScope({ name });
  return scope.run(async () => {
    const q = openQuarantine(name, scope);
    let value: T | undefined;
    let bodyError: { error: unknown } | undefined;
    try {
      value = await fn(q);
    } catch (error) {
      bodyError = { error };
    }
    const held = await closeQuarantine(q);
    const errors: unknown[] = [];
    if (bodyError !== undefined && !(bodyError.error instanceof Cancelled)) {
      errors.push(bodyError.error);
    }
    for (const error of held) if (!errors.includes(error)) errors.push(error);
    if (errors.length > 0) throw new TaskGroupError(errors, name);
    if (bodyError !== undefined) throw bodyError.error; // a Cancelled
    return value;
  });
}
