// Copyright the corral authors. MIT license.
/**
 * The scope tree's plumbing, shared by the files of this package and, through
 * `internal.ts`, by `@corral/taskgroup` and `@corral/interop`. Filled in by
 * the static block of `CancelScope`, which alone can touch its private
 * fields: every change of tree state still goes through `CancelScope`.
 *
 * @module
 */
import type { CancelScope } from "./cancel_scope.ts";
import type { Cancelled, CancelSource } from "./cancelled.ts";
import type { Clock } from "./_clock.ts";

/** What a scope is doing, for `toString()` and the task tree view. */
export type ScopeState = "idle" | "active" | "exited";

/** A callback woken with the scope's `Cancelled` when it becomes cancelled. */
export type Waiter = (cancelled: Cancelled) => void;

/**
 * What a scope's list of waiters holds: a callback, or an object with a
 * {@linkcode TELL} method (a `CancellationObserver`, registered as itself:
 * no bound function per wait).
 */
export type AnyWaiter = Waiter | Told;

/** The method key a scope calls an object waiter by. */
export const TELL: unique symbol = Symbol("corral.tell");

/** A waiter object: the scope calls its {@linkcode TELL} method. */
export interface Told {
  [TELL](cancelled: Cancelled): void;
}

/**
 * Receives a task's outcome once its scope has exited: `failed` is false
 * with the value (or `undefined` if the scope absorbed a cancellation),
 * true with what was thrown. One function can serve every task of a group,
 * since it gets the task's scope.
 */
export type Settle<T> = (
  scope: CancelScope,
  failed: boolean,
  outcome: T | unknown,
) => void;

/** The operations `CancelScope` lends to the rest of the workspace. */
export interface ScopeInternals {
  /** The scope of the current context, or `undefined` outside any scope. */
  current(): CancelScope | undefined;
  /** Runs `scope` as a child of `parent` (a root when `undefined`). */
  runWithParent<T>(
    scope: CancelScope,
    parent: CancelScope | undefined,
    fn: (scope: CancelScope) => T | Promise<T>,
  ): Promise<T | undefined>;
  /**
   * Like `runWithParent`, for a task of a group: the outcome goes to
   * `settle` after the scope exits, and no promise is left to reject.
   */
  runTask<T>(
    scope: CancelScope,
    parent: CancelScope | undefined,
    fn: (scope: CancelScope) => T | Promise<T>,
    settle: Settle<T>,
  ): void;
  /** Marks the task or group `scope` belongs to (task tree view). */
  setOwner(scope: CancelScope, owner: object): void;
  /**
   * Rule 3: whether `scope` would absorb a `Cancelled` reaching its exit now
   * (it is cancelled and no cancelled ancestor is visible from it).
   */
  ownsCancellation(scope: CancelScope): boolean;
  /** What cancelled `scope` itself (not an enclosing scope), if anything. */
  ownCancelSource(scope: CancelScope): CancelSource | undefined;
  /** The task or group `scope` belongs to, if any. */
  ownerOf(scope: CancelScope): object | undefined;
  /** Runs `scope` as a root on `clock`. */
  runWithClock<T>(
    scope: CancelScope,
    clock: Clock,
    fn: (scope: CancelScope) => T | Promise<T>,
  ): Promise<T | undefined>;
  /** Moves an active scope under `parent` (the `start()` handshake). */
  reparent(scope: CancelScope, parent: CancelScope): void;
  /** `cancel(reason)` with a source other than `"explicit"`. */
  cancelWithSource(
    scope: CancelScope,
    source: CancelSource,
    reason: unknown,
  ): void;
  /**
   * The `Cancelled` a checkpoint in `scope` throws now, or `undefined`.
   * Expires due deadlines first.
   */
  pendingCancellation(scope: CancelScope): Cancelled | undefined;
  /** Registers `waiter` to be called once when `scope` becomes cancelled. */
  addWaiter(scope: CancelScope, waiter: AnyWaiter): void;
  /** Forgets a waiter that was not called. */
  removeWaiter(scope: CancelScope, waiter: AnyWaiter): void;
  /** The clock `scope` measures its deadline on. */
  clockOf(scope: CancelScope | undefined): Clock;
  /** The enclosing scope, while `scope` is active. */
  parentOf(scope: CancelScope): CancelScope | undefined;
  /** The active scopes nested directly in `scope`. */
  childrenOf(scope: CancelScope): Iterable<CancelScope>;
  /** The active scopes that have no parent. */
  roots(): Iterable<CancelScope>;
  /** Whether `scope` is idle, active or exited. */
  stateOf(scope: CancelScope): ScopeState;
}

/** Filled in when `cancel_scope.ts` is evaluated. */
export const internals = {} as ScopeInternals;
