// Copyright the corral authors. MIT license.
/**
 * The plumbing of the scope tree, for packages that build on
 * `@corral/scope` (task groups, synchronization primitives, bridges to
 * foreign code): the one way to wait as a checkpoint, being told once when
 * a scope is cancelled, running a scope under a chosen parent, and walking
 * the tree. Application code uses the public API of `@corral/scope`.
 *
 * ## Stability
 *
 * Every export of this module is documented and versioned with the package:
 * a change to any of them is a breaking change of `@corral/scope`, recorded
 * in the changelog. The sibling packages of the workspace import the exact
 * version of `@corral/scope` they were built with.
 *
 * ## Waiting
 *
 * A wait of these packages is a checkpoint (rule 17): it throws at once
 * inside a cancelled scope, and a cancelled wait leaves no trace. Build it
 * on {@linkcode park}: the primitive puts a waiter in its own queue, and
 * `park` gives it the one callback that takes it out again if the scope is
 * cancelled first. One callback on the scope per wait, removed in O(1);
 * never a listener on an `AbortSignal`, never a timer.
 *
 * @example A one-shot flag whose wait is a checkpoint
 * ```ts
 * import { moveOnAfter } from "@corral/scope";
 * import { park } from "@corral/scope/plumbing";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * class Flag {
 *   #set = false;
 *   #waiters = new Set<() => void>();
 *   set(): void {
 *     this.#set = true;
 *     for (const wake of this.#waiters) wake();
 *     this.#waiters.clear();
 *   }
 *   wait(): Promise<void> {
 *     return park<void>((wake) => {
 *       if (this.#set) return wake();
 *       this.#waiters.add(wake);
 *       return () => this.#waiters.delete(wake); // cancelled: leave the queue
 *     });
 *   }
 * }
 *
 * const clock = new MockClock({ autojump: true });
 * const flag = new Flag();
 * assert.equal(await clock.run(() => moveOnAfter(10, () => flag.wait())), undefined);
 * flag.set();
 * await flag.wait();
 * ```
 *
 * @module
 */
import "./cancel_scope.ts";
import type { CancelScope } from "./cancel_scope.ts";
import type { Cancelled, CancelSource } from "./cancelled.ts";
import {
  internals,
  type Settle,
  TELL,
  type Told,
  type Waiter,
} from "./_internal.ts";

export { currentScope } from "./cancel_scope.ts";
export { hasHeadroom } from "./_headroom.ts";
export { queueMacrotask } from "./_clock.ts";
export type { ScopeState, Settle, Waiter } from "./_internal.ts";
export {
  checkBoolean,
  checkCallback,
  checkDeadline,
  checkDuration,
  checkName,
  checkOptions,
  checkSignal,
  describe,
  isGeneratorFunction,
  isThenable,
  label,
  show,
  text,
} from "./_validate.ts";

/**
 * The `Cancelled` that a checkpoint in `scope` would throw now, or
 * `undefined`. Expires the deadlines that have passed first, so a deadline
 * is seen even before its timer fires.
 *
 * @param scope The scope to look at; `undefined` (outside any scope) is
 * never cancelled.
 * @returns The pending `Cancelled`, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import { cancellationOf } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * const scope = new CancelScope();
 * await scope.run(() => {
 *   assert.equal(cancellationOf(scope), undefined);
 *   scope.cancel("stop");
 *   assert.equal(cancellationOf(scope)?.reason, "stop");
 * });
 * ```
 */
export function cancellationOf(
  scope: CancelScope | undefined,
): Cancelled | undefined {
  return scope === undefined ? undefined : internals.pendingCancellation(scope);
}

/**
 * Calls `fn` once, with the scope's `Cancelled`, when `scope` becomes
 * effectively cancelled (its own cancel or deadline, or an enclosing
 * scope's that no shield stops). If it already is, `fn` is called at once,
 * before `onCancelled` returns (Go's `context.AfterFunc`). The returned
 * function unregisters `fn` in O(1) and is harmless to call twice or after
 * `fn` ran. Nothing is kept once the scope exits.
 *
 * `fn` runs inside the cancelling code (a `cancel()` call, a deadline's
 * timer): keep it short and do not throw; an error it throws is reported as
 * uncaught and does not stop the other callbacks. One exception (rule 19):
 * a `cancel()` right at the end of the stack may make `fn` overflow it,
 * and then `fn` is called again on a fresh stack, so make it safe to run
 * again after a run that stopped part way.
 *
 * @param scope The scope to watch.
 * @param fn Called once with the `Cancelled`.
 * @returns A function that unregisters `fn`.
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import { onCancelled } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * const scope = new CancelScope();
 * const seen: unknown[] = [];
 * await scope.run(() => {
 *   onCancelled(scope, (cancelled) => seen.push(cancelled.reason));
 *   const dispose = onCancelled(scope, () => seen.push("never"));
 *   dispose();
 *   scope.cancel("done");
 * });
 * assert.deepEqual(seen, ["done"]);
 * ```
 */
export function onCancelled(
  scope: CancelScope,
  fn: (cancelled: Cancelled) => void,
): () => void {
  const pending = internals.pendingCancellation(scope);
  if (pending !== undefined) {
    fn(pending);
    return noop;
  }
  // A wrapper per registration, so the same `fn` can be registered twice
  // and each dispose removes its own.
  const waiter: Waiter = (cancelled) => fn(cancelled);
  internals.addWaiter(scope, waiter);
  return () => internals.removeWaiter(scope, waiter);
}

function noop(): void {}

// Filled in by the static block of `CancellationObserver`, which alone
// touches the links of its instances.
let watch: (scope: CancelScope, observer: CancellationObserver) => boolean;
let unwatch: (observer: CancellationObserver) => boolean;

/**
 * A waiter that a scope tells once when it becomes cancelled: extend this
 * class, implement {@linkcode CancellationObserver.cancelled}, and register
 * an instance with {@linkcode watchCancellation}. A primitive's waiter
 * object (its place in the queue, what it will be woken with) can be the
 * observer itself: a wait then allocates nothing of its own (what
 * {@linkcode park} makes: four closures, and a function to undo the
 * registration), since the scope holds the observer itself.
 *
 * The registration lives in the instance (one private field, the scope),
 * so {@linkcode unwatchCancellation} needs nothing but the observer, in
 * O(1).
 *
 * @example A one-shot flag whose waiters are their own observers
 * ```ts
 * import { CancelScope, type Cancelled } from "@corral/scope";
 * import {
 *   CancellationObserver,
 *   cancellationOf,
 *   currentScope,
 *   unwatchCancellation,
 *   watchCancellation,
 * } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * class Waiter extends CancellationObserver {
 *   constructor(
 *     readonly waiters: Set<Waiter>,
 *     readonly resolve: () => void,
 *     readonly reject: (error: unknown) => void,
 *   ) {
 *     super();
 *   }
 *   wake(): void {
 *     unwatchCancellation(this);
 *     this.resolve();
 *   }
 *   cancelled(cancelled: Cancelled): void {
 *     this.waiters.delete(this); // a cancelled wait leaves no trace
 *     this.reject(cancelled);
 *   }
 * }
 *
 * class Flag {
 *   #waiters = new Set<Waiter>();
 *   set(): void {
 *     for (const waiter of this.#waiters) waiter.wake();
 *     this.#waiters.clear();
 *   }
 *   wait(): Promise<void> {
 *     const scope = currentScope();
 *     const cancelled = cancellationOf(scope);
 *     if (cancelled !== undefined) return Promise.reject(cancelled);
 *     return new Promise((resolve, reject) => {
 *       const waiter = new Waiter(this.#waiters, resolve, reject);
 *       this.#waiters.add(waiter);
 *       if (scope !== undefined) watchCancellation(scope, waiter);
 *     });
 *   }
 * }
 *
 * const flag = new Flag();
 * const scope = new CancelScope();
 * const waiting = scope.run(() => flag.wait());
 * scope.cancel();
 * assert.equal(await waiting, undefined); // cancelled, absorbed by `scope`
 * const later = new CancelScope().run(() => flag.wait());
 * flag.set();
 * await later;
 * ```
 */
export abstract class CancellationObserver {
  /** The scope watched; `undefined` while not watching. */
  #scope: CancelScope | undefined = undefined;

  /**
   * Called once, with the scope's `Cancelled`, when the watched scope
   * becomes effectively cancelled; the observer is no longer watching by
   * then. It runs inside the cancelling code (a `cancel()` call, a
   * deadline's timer): keep it short and do not throw; an error it throws
   * is reported as uncaught and does not stop the other observers.
   *
   * @param cancelled The scope's `Cancelled`.
   */
  abstract cancelled(cancelled: Cancelled): void;

  /** Whether the observer is registered with a scope. */
  get watching(): boolean {
    return this.#scope !== undefined;
  }

  /**
   * An observer is registered as itself in the scope's own list of waiters
   * (one slot, or a `Set` past one, removed in O(1)): the scope calls its
   * hidden `TELL` method. No bound function and no lookup per wait; the
   * one field it adds is the scope it watches.
   */
  static {
    Object.defineProperty(CancellationObserver.prototype, TELL, {
      value: function (this: CancellationObserver, cancelled: Cancelled) {
        // The scope calls every waiter it held when it was cancelled, even
        // if an earlier one raised a shield meanwhile (as it does for
        // `park`: no wait is left registered nowhere). One unwatched
        // meanwhile, by what an earlier one did, is not told. (Known limit:
        // one unwatched and at once watching another scope, within that
        // same delivery, would be told now; nothing in the workspace does
        // that.)
        if (this.#scope === undefined) return;
        this.#scope = undefined;
        this.cancelled(cancelled);
      },
    });

    watch = (scope, observer) => {
      if (observer.#scope !== undefined) {
        throw new Error(
          "Cannot watch cancellation: the observer is already watching a scope; unwatch it first",
        );
      }
      const pending = internals.pendingCancellation(scope);
      if (pending !== undefined) {
        observer.cancelled(pending);
        return false;
      }
      observer.#scope = scope;
      internals.addWaiter(scope, observer as unknown as Told);
      return true;
    };

    unwatch = (observer) => {
      const scope = observer.#scope;
      if (scope === undefined) return false;
      internals.removeWaiter(scope, observer as unknown as Told);
      observer.#scope = undefined;
      return true;
    };
  }
}

/**
 * Registers `observer` to be told once, through its `cancelled` method,
 * when `scope` becomes effectively cancelled (its own cancel or deadline,
 * or an enclosing scope's that no shield stops): {@linkcode onCancelled}
 * for a waiter object, with nothing allocated per call. If the scope
 * already is cancelled, `cancelled` is called at once, before
 * `watchCancellation` returns, and the observer is not registered.
 *
 * An observer watches one scope at a time; {@linkcode unwatchCancellation}
 * takes it back in O(1) (when the wait ends some other way), and it can
 * then watch again. Nothing is kept once the scope exits: an observer still
 * registered then is never called.
 *
 * @param scope The scope to watch (an active one).
 * @param observer The observer; not already watching.
 * @returns True if the observer now watches `scope`; false if the scope
 * was cancelled and `observer.cancelled` has run.
 * @throws {Error} If the observer is already watching a scope.
 *
 * @example Usage
 * ```ts
 * import { CancelScope, type Cancelled } from "@corral/scope";
 * import {
 *   CancellationObserver,
 *   unwatchCancellation,
 *   watchCancellation,
 * } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * class Seen extends CancellationObserver {
 *   reasons: unknown[] = [];
 *   cancelled(cancelled: Cancelled): void {
 *     this.reasons.push(cancelled.reason);
 *   }
 * }
 *
 * const scope = new CancelScope();
 * const told = new Seen(), withdrawn = new Seen();
 * await scope.run(() => {
 *   assert.equal(watchCancellation(scope, told), true);
 *   watchCancellation(scope, withdrawn);
 *   unwatchCancellation(withdrawn);
 *   scope.cancel("done");
 * });
 * assert.deepEqual(told.reasons, ["done"]);
 * assert.deepEqual(withdrawn.reasons, []);
 * assert.equal(told.watching, false);
 * ```
 */
export function watchCancellation(
  scope: CancelScope,
  observer: CancellationObserver,
): boolean {
  return watch(scope, observer);
}

/**
 * Takes back a {@linkcode watchCancellation} in O(1): the observer will not
 * be told. Harmless to call on an observer that is not watching (never
 * registered, already told, already unwatched).
 *
 * @param observer The observer.
 * @returns True if it was watching a scope.
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import {
 *   CancellationObserver,
 *   unwatchCancellation,
 *   watchCancellation,
 * } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * class Never extends CancellationObserver {
 *   cancelled(): void {
 *     throw new Error("unreachable");
 *   }
 * }
 *
 * const scope = new CancelScope();
 * const observer = new Never();
 * await scope.run(() => {
 *   watchCancellation(scope, observer);
 *   assert.equal(unwatchCancellation(observer), true);
 *   assert.equal(unwatchCancellation(observer), false);
 *   scope.cancel();
 * });
 * ```
 */
export function unwatchCancellation(observer: CancellationObserver): boolean {
  return unwatch(observer);
}

/**
 * What {@linkcode park}'s `setup` returns: called when the wait is
 * cancelled, to take the waiter out of the primitive's queue.
 */
export type Abort = (cancelled: Cancelled) => void;

/**
 * The one wait routine of the workspace (Trio's `wait_task_rescheduled`):
 * a checkpoint that waits until the primitive wakes it or the current
 * scope is cancelled, whichever is first.
 *
 * - Inside a cancelled scope it rejects at once with the `Cancelled`, and
 *   `setup` is not called (rule 2).
 * - Else `setup(wake, fail)` runs synchronously: it either settles the wait
 *   at once (`wake(value)` or `fail(error)`) or puts the waiter in the
 *   primitive's queue and returns an `Abort`.
 * - If the scope is cancelled before the waiter is woken, `abort` runs
 *   (take the waiter out of the queue: a cancelled wait leaves no trace,
 *   rule 17) and the wait rejects with the `Cancelled`.
 * - Only the first of `wake`, `fail` and the cancellation counts; the
 *   others are ignored, so a primitive must hand over its item or token
 *   only when `wake` is called for a waiter still in its queue.
 *
 * One callback on the scope per wait, removed in O(1) when the wait ends.
 *
 * @typeParam T What the wait resolves with.
 * @param setup Enqueues the waiter; returns what undoes that, or nothing
 * when it settled the wait at once.
 * @returns The value passed to `wake`.
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import { park } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * const queue: ((value: string) => void)[] = [];
 * const scope = new CancelScope();
 * const waiting = scope.run(() =>
 *   park<string>((wake) => {
 *     queue.push(wake);
 *     return () => queue.splice(queue.indexOf(wake), 1);
 *   })
 * );
 * scope.cancel();
 * assert.equal(await waiting, undefined); // cancelled, absorbed by `scope`
 * assert.equal(queue.length, 0); // and out of the queue
 * ```
 */
export function park<T>(
  setup: (
    wake: (value: T) => void,
    fail: (error: unknown) => void,
  ) => Abort | void,
): Promise<T> {
  const scope = internals.current();
  if (scope !== undefined) {
    const pending = internals.pendingCancellation(scope);
    if (pending !== undefined) return Promise.reject(pending);
  }
  return new Promise<T>((resolve, reject) => {
    // `waiter` is read by `wake` and `fail` only once registered, which
    // happens after `setup` returned: a synchronous wake never sees it.
    let done = false, registered = false;
    const wake = (value: T) => {
      if (done) return;
      done = true;
      if (registered) internals.removeWaiter(scope!, waiter);
      resolve(value);
    };
    const fail = (error: unknown) => {
      if (done) return;
      done = true;
      if (registered) internals.removeWaiter(scope!, waiter);
      reject(error);
    };
    const abort = setup(wake, fail);
    if (done || scope === undefined) return;
    const waiter: Waiter = (cancelled) => {
      if (done) return;
      done = true;
      try {
        if (typeof abort === "function") abort(cancelled);
      } finally {
        reject(cancelled);
      }
    };
    registered = true;
    internals.addWaiter(scope, waiter);
  });
}

/**
 * Runs `scope` as a child of `parent` (a root when `undefined`) rather than
 * of the current scope: a task group runs its tasks under its own scope,
 * whoever spawns them (rule 12). Otherwise exactly `scope.run(fn)`.
 *
 * @typeParam T What `fn` returns.
 * @param scope A scope that has not run.
 * @param parent The scope to nest in.
 * @param fn The body.
 * @returns What `scope.run(fn)` returns.
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import { parentOf, runUnder } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * const home = new CancelScope();
 * await home.run(async () => {
 *   const child = new CancelScope();
 *   await runUnder(child, undefined, () => assert.equal(parentOf(child), undefined));
 * });
 * ```
 */
export function runUnder<T>(
  scope: CancelScope,
  parent: CancelScope | undefined,
  fn: (scope: CancelScope) => T | Promise<T>,
): Promise<T | undefined> {
  return internals.runWithParent(scope, parent, fn);
}

/**
 * Like {@linkcode runUnder}, for a task of a group: the outcome goes to
 * `settle` once the scope has exited, exactly once, and no promise is left
 * to reject. Once `scope` and `fn` passed the checks of `run()`, a
 * failure to start (a stack overflow) reaches `settle` too; only when even
 * that has no room left does `runTask` throw the overflow, and then
 * `settle` is never called: the caller settles the task itself.
 *
 * @typeParam T What `fn` returns.
 * @param scope A scope that has not run.
 * @param parent The scope to nest in.
 * @param fn The body.
 * @param settle Receives the scope, whether it failed, and the value or
 * error (`undefined` when the scope absorbed its own cancellation).
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import { runTask } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * const outcome = await new Promise((resolve) =>
 *   runTask(new CancelScope(), undefined, () => 42, (_, failed, value) =>
 *     resolve({ failed, value }))
 * );
 * assert.deepEqual(outcome, { failed: false, value: 42 });
 * ```
 */
export function runTask<T>(
  scope: CancelScope,
  parent: CancelScope | undefined,
  fn: (scope: CancelScope) => T | Promise<T>,
  settle: Settle<T>,
): void {
  internals.runTask(scope, parent, fn, settle);
}

/**
 * Runs `scope` as a root on the clock of `like` (the real clock when
 * `undefined`): code that starts structured work from outside any scope
 * (a request handler, a promise bridge) keeps a test's mock clock.
 *
 * @typeParam T What `fn` returns.
 * @param scope A scope that has not run.
 * @param like The scope whose clock to use.
 * @param fn The body.
 * @returns What `scope.run(fn)` returns.
 *
 * @example Usage
 * ```ts
 * import { CancelScope, now } from "@corral/scope";
 * import { runRootLike } from "@corral/scope/plumbing";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock();
 * clock.advance(5);
 * await clock.run((outer) =>
 *   runRootLike(new CancelScope(), outer, () => assert.equal(now(), 5))
 * );
 * ```
 */
export function runRootLike<T>(
  scope: CancelScope,
  like: CancelScope | undefined,
  fn: (scope: CancelScope) => T | Promise<T>,
): Promise<T | undefined> {
  return internals.runWithClock(scope, internals.clockOf(like), fn);
}

/**
 * Moves an active scope under `parent` (the `start()` handshake: a task
 * runs under its caller until it is ready, then under its group). Does
 * nothing to a scope that is not active.
 *
 * @param scope The active scope to move.
 * @param parent Its new parent.
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import { parentOf, reparent } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * const a = new CancelScope(), b = new CancelScope(), child = new CancelScope();
 * await a.run(() =>
 *   b.run(() =>
 *     child.run(() => {
 *       reparent(child, a);
 *       assert.equal(parentOf(child), a);
 *     })
 *   )
 * );
 * ```
 */
export function reparent(scope: CancelScope, parent: CancelScope): void {
  internals.reparent(scope, parent);
}

/**
 * `scope.cancel(reason)` with a source other than `"explicit"`: a task
 * group cancels its scope with `"group"` when a task fails (rule 5).
 *
 * @param scope The scope to cancel.
 * @param source What cancelled it.
 * @param reason Why.
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import { cancelWithSource } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * const scope = new CancelScope();
 * cancelWithSource(scope, "group", "a task failed");
 * assert.equal(scope.reason?.source, "group");
 * ```
 */
export function cancelWithSource(
  scope: CancelScope,
  source: CancelSource,
  reason: unknown,
): void {
  internals.cancelWithSource(scope, source, reason);
}

/**
 * Rule 3: whether `scope` would absorb a `Cancelled` reaching its exit now
 * (it is cancelled, and no cancelled enclosing scope is visible from it).
 *
 * @param scope An active scope.
 * @returns True if `scope` owns the cancellation.
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import { ownsCancellation } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * const outer = new CancelScope(), inner = new CancelScope();
 * await outer.run(() =>
 *   inner.run(() => {
 *     inner.cancel();
 *     assert.ok(ownsCancellation(inner));
 *     outer.cancel();
 *     assert.ok(!ownsCancellation(inner)); // the outer scope owns it now
 *   })
 * );
 * ```
 */
export function ownsCancellation(scope: CancelScope): boolean {
  return internals.ownsCancellation(scope);
}

/**
 * What cancelled `scope` itself (its `cancel()`, its deadline, its task
 * group), not an enclosing scope; `undefined` if nothing did.
 *
 * @param scope The scope.
 * @returns The source of its own cancellation.
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import { ownCancelSource } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * const scope = new CancelScope({ deadline: -Infinity });
 * assert.ok(scope.cancelCalled);
 * assert.equal(ownCancelSource(scope), "deadline");
 * ```
 */
export function ownCancelSource(scope: CancelScope): CancelSource | undefined {
  return internals.ownCancelSource(scope);
}

/**
 * Marks the task, group or primitive wait that `scope` belongs to, for the
 * task tree view.
 *
 * @param scope The scope.
 * @param owner What it belongs to.
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import { ownerOf, setOwner } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * const scope = new CancelScope(), owner = { kind: "job" };
 * setOwner(scope, owner);
 * assert.equal(ownerOf(scope), owner);
 * ```
 */
export function setOwner(scope: CancelScope, owner: object): void {
  internals.setOwner(scope, owner);
}

/**
 * The owner set with {@linkcode setOwner}, if any.
 *
 * @param scope The scope.
 * @returns Its owner.
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import { ownerOf } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ownerOf(new CancelScope()), undefined);
 * ```
 */
export function ownerOf(scope: CancelScope): object | undefined {
  return internals.ownerOf(scope);
}

/**
 * The enclosing scope of an active scope; `undefined` for a root or a scope
 * that is not active.
 *
 * @param scope The scope.
 * @returns Its parent.
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import { parentOf } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * const outer = new CancelScope(), inner = new CancelScope();
 * await outer.run(() => inner.run(() => assert.equal(parentOf(inner), outer)));
 * ```
 */
export function parentOf(scope: CancelScope): CancelScope | undefined {
  return internals.parentOf(scope);
}

/**
 * The active scopes nested directly in `scope`, oldest first.
 *
 * @param scope The scope.
 * @returns Its children.
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import { childrenOf } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * const outer = new CancelScope(), inner = new CancelScope();
 * await outer.run(() => inner.run(() => assert.deepEqual([...childrenOf(outer)], [inner])));
 * ```
 */
export function childrenOf(scope: CancelScope): Iterable<CancelScope> {
  return internals.childrenOf(scope);
}

/**
 * The active scopes with no parent, oldest first: the roots of the tree.
 *
 * @returns The roots.
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import { roots } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * const scope = new CancelScope();
 * await scope.run(() => assert.ok([...roots()].includes(scope)));
 * assert.ok(![...roots()].includes(scope));
 * ```
 */
export function roots(): Iterable<CancelScope> {
  return internals.roots();
}

/**
 * Whether `scope` has not run yet (`"idle"`), is running (`"active"`) or
 * has finished (`"exited"`).
 *
 * @param scope The scope.
 * @returns Its state.
 *
 * @example Usage
 * ```ts
 * import { CancelScope } from "@corral/scope";
 * import { stateOf } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * const scope = new CancelScope();
 * assert.equal(stateOf(scope), "idle");
 * await scope.run(() => assert.equal(stateOf(scope), "active"));
 * assert.equal(stateOf(scope), "exited");
 * ```
 */
export function stateOf(scope: CancelScope): "idle" | "active" | "exited" {
  return internals.stateOf(scope);
}

/**
 * The current time on the clock `scope` measures deadlines on (a
 * `MockClock`'s inside `MockClock.run`), or on the real clock for
 * `undefined`.
 *
 * @param scope The scope.
 * @returns The clock's time in milliseconds.
 *
 * @example Usage
 * ```ts
 * import { currentScope } from "@corral/scope";
 * import { timeOf } from "@corral/scope/plumbing";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock();
 * clock.advance(7);
 * assert.equal(await clock.run(() => timeOf(currentScope())), 7);
 * ```
 */
export function timeOf(scope: CancelScope | undefined): number {
  return internals.clockOf(scope).now();
}

/**
 * How many deadlines are queued on the clock of `scope` (the real clock for
 * `undefined`). The clock holds one timer for all of them and none when
 * there are none, so a test can check that nothing outlives its group
 * (rule 15).
 *
 * @param scope A scope whose clock to look at.
 * @returns The number of deadlines queued.
 *
 * @example Usage
 * ```ts
 * import { moveOnAfter } from "@corral/scope";
 * import { pendingDeadlines } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * await moveOnAfter(60_000, () => assert.equal(pendingDeadlines(undefined), 1));
 * assert.equal(pendingDeadlines(undefined), 0);
 * ```
 */
export function pendingDeadlines(scope: CancelScope | undefined): number {
  return internals.clockOf(scope).pending;
}
