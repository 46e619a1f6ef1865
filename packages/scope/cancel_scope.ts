// Copyright the corral authors. MIT license.
import { Variable } from "@corral/context";
import { Cancelled, type CancelSource } from "./cancelled.ts";
import { type Clock, type DeadlineEntry, realClock } from "./_clock.ts";
import { hasHeadroom } from "./_headroom.ts";
import {
  type AnyWaiter,
  internals,
  type ScopeState,
  type Settle,
  TELL,
} from "./_internal.ts";
import {
  checkCallback,
  checkDeadline,
  checkDuration,
  checkName,
  checkOptions,
  checkShield,
  describe,
  label,
  show,
  text,
} from "./_validate.ts";

/** The scope of the current logical call chain. Changed only by `#start`. */
const currentScope_ = new Variable<CancelScope>({ name: "corral.scope" });

/**
 * The children of a scope, as an intrusive doubly-linked list through the
 * children's `#previousSibling`/`#nextSibling`: linking and unlinking cost
 * O(1) and allocate nothing (a `Set` per parent cost a hash table per scope
 * that had a child, and rehashing under 100,000 tasks).
 */
interface ChildList {
  first: CancelScope | undefined;
  last: CancelScope | undefined;
}

const resolvedUndefined: Promise<undefined> = Promise.resolve(undefined);
const promiseThen = Promise.prototype.then;

// The bits of `CancelScope.#flags`.
const ACTIVE = 1;
const EXITED = 2;
const CANCEL_CALLED = 4;
const CANCEL_CAUGHT = 8;
const SHIELD = 16;
const EFFECTIVELY_CANCELLED = 32;
const SOURCE_SHIFT = 6;
const SOURCE_MASK = 3 << SOURCE_SHIFT;
/** In a `ChildList` (its parent's, or the roots'): `#unlink` has work to do. */
const LINKED = 256;
/** Made with `timeout`, not yet run: `#deadline` holds the timeout. */
const TIMEOUT_PENDING = 512;
/** `#ownSource` by its number in `#flags` (0 for none). */
const SOURCES: readonly (CancelSource | undefined)[] = [
  undefined,
  "explicit",
  "deadline",
  "group",
];

/** Active scopes with no parent, for the task tree view. */
const roots: ChildList = { first: undefined, last: undefined };

/**
 * How many scope bodies are running synchronously, one inside the other, on
 * the current stack. Groups that open groups with no `await` between nest
 * their bodies on one stack, a dozen frames a level; past
 * `MAX_SYNC_DEPTH` levels a body starts a microtask later, on a fresh stack,
 * so no depth of nesting can overflow the stack in our bookkeeping (rule 19).
 */
let syncDepth = 0;
const MAX_SYNC_DEPTH = 64;

/**
 * How the body of the scope `#runBody` ran last ended, noted with
 * assignments (they need no stack) before `#runBody` hands the outcome on,
 * and cleared by `#start` once `#enter` returned (rule 19). The stack may
 * end right where the body returned or threw, so that even the call that
 * hands the outcome on overflows; or the context's restore may overflow on
 * the way out. Then `#start`, a few frames up, finds the note and hands
 * the outcome on itself: dropped, the body would run on in a scope that
 * had left the tree, and its failure would be reported nowhere. (Handed on
 * twice, when only the restore overflowed, it is concluded once: the
 * second conclusion finds the scope exited and `settle` taken.)
 */
let strandedScope: CancelScope | undefined;
let strandedFailed = false;
let strandedOutcome: unknown;

/** Options for {@linkcode CancelScope}. */
export interface CancelScopeOptions {
  /**
   * An absolute deadline on the scope's clock, in milliseconds (compare with
   * `now()`). Cannot be given with `timeout`. @default {Infinity}
   */
  deadline?: number;
  /**
   * A relative deadline in milliseconds, counted from the moment `run()`
   * enters the scope (Trio's rule, D6). Cannot be given with `deadline`.
   * @default {undefined}
   */
  timeout?: number;
  /** Ignore the cancellation of enclosing scopes (rule 7 of docs/rules.md). @default {false} */
  shield?: boolean;
  /**
   * A label for errors, `toString()` and the task tree. A function is called
   * once, the first time the label is needed, for one that costs something
   * to make (a request's method and URL): most scopes end unread. If it
   * throws or returns no string, the label says so instead. @default {""}
   */
  name?: string | (() => string);
}

/**
 * A cancel scope: a region of code that can be cancelled as a whole, by
 * `cancel()`, by a deadline, or by the cancellation of an enclosing scope,
 * after Trio's `CancelScope`. Like an `AbortController`, but
 * level-triggered and nested: once cancelled, every checkpoint inside throws
 * {@linkcode Cancelled}, again and again, until control leaves the scope,
 * where the scope that owns the cancellation absorbs it.
 *
 * A scope is entered only by {@linkcode CancelScope.run}, and runs once.
 *
 * ## The tree (plumbing) and the scope (origination)
 *
 * Active scopes form a tree that mirrors how their `run()` calls nest in the
 * logical call chain (a task spawned into a group nests in the group's
 * scope). A scope *originates* cancellation through `#cancelCalled` (its own
 * `cancel()` or deadline); the *plumbing* is `#effectivelyCancelled`, which
 * says whether checkpoints here throw: true when we were cancelled, or when
 * the parent is effectively cancelled and we are not shielded. Every change
 * that could alter it (cancel, deadline, shield, entering, moving a scope)
 * ends in `CancelScope.#recalculate`, which walks the subtree with an
 * explicit worklist, never recursion, so 100,000 nested scopes unwind without
 * overflowing the stack. Cancellation flows through this tree alone: never
 * through listeners on a parent's `AbortSignal`, which would cost O(N²) in
 * Deno's `EventTarget`.
 *
 * @example Usage
 * ```ts
 * import { CancelScope, sleep } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * const scope = new CancelScope({ timeout: 1_000, name: "slow-call" });
 * const result = await clock.run(() => scope.run(() => sleep(5_000)));
 * assert.equal(result, undefined);
 * assert.ok(scope.cancelCalled && scope.cancelCaught);
 * assert.equal(clock.now(), 1_000);
 * ```
 */
export class CancelScope {
  /** Label for messages; a function until first read (see `#label`). */
  #name: string | (() => string);
  /**
   * The state and the yes/no facts below, as bits of one small integer: a
   * task holds a scope for its whole life, and five fields fewer per scope
   * is less for the garbage collector to copy under 100,000 live tasks.
   * Read and written only through the methods that follow: methods, not
   * private accessors, which V8 does not inline (a private getter and
   * setter pair cost 25 ns where a pair of private methods cost 4, on
   * Deno 2.9 and Node 20).
   */
  #flags = 0;

  /** idle → active (in `#start`) → exited (in `#exit`); never back. */
  #state(): ScopeState {
    return this.#flags & EXITED
      ? "exited"
      : this.#flags & ACTIVE
      ? "active"
      : "idle";
  }
  #setState(state: ScopeState): void {
    this.#flags = (this.#flags & ~(ACTIVE | EXITED)) |
      (state === "active" ? ACTIVE : state === "exited" ? EXITED : 0);
  }

  // --- Origination: what this scope itself asks for. ---

  /**
   * True once this scope itself was cancelled: its `cancel()`, or its
   * deadline passed. Never goes back to false. A scope cancelled only through
   * an ancestor keeps it false (rule 4 of docs/rules.md). Only writer: `#cancelWith`.
   */
  #cancelCalled(): boolean {
    return (this.#flags & CANCEL_CALLED) !== 0;
  }
  #setCancelCalled(value: boolean): void {
    this.#setFlag(CANCEL_CALLED, value);
  }
  /**
   * What cancelled this scope itself (set with `#cancelCalled`), which may
   * differ from `#cancelled.source` when an enclosing scope's reason came
   * first. `failAfter` reads it (rule 9).
   */
  #ownSource(): CancelSource | undefined {
    return SOURCES[(this.#flags & SOURCE_MASK) >> SOURCE_SHIFT];
  }
  #setOwnSource(source: CancelSource | undefined): void {
    this.#flags = (this.#flags & ~SOURCE_MASK) |
      (source === undefined ? 0 : SOURCES.indexOf(source) << SOURCE_SHIFT);
  }
  /** True once `run()` absorbed a `Cancelled` (rule 4). Only writer: `#absorbs`. */
  #cancelCaught(): boolean {
    return (this.#flags & CANCEL_CAUGHT) !== 0;
  }
  #setCancelCaught(value: boolean): void {
    this.#setFlag(CANCEL_CAUGHT, value);
  }
  /**
   * The first cause of cancellation to reach this scope, its own or inherited
   * from the parent (rule 5: first writer wins, nested scopes see the
   * parent's reason). It is what checkpoints here throw and what `signal`
   * aborts with. Set once, by `#cancelWith` or `#recalculate`.
   */
  #cancelled: Cancelled | undefined;
  /** See the `shield` accessor. Writers: the constructor and the setter. */
  #shield(): boolean {
    return (this.#flags & SHIELD) !== 0;
  }
  #setShield(value: boolean): void {
    this.#setFlag(SHIELD, value);
  }
  /**
   * The absolute deadline on `#clock`, `Infinity` for none; until the scope
   * runs, its relative timeout instead when `TIMEOUT_PENDING` is set (one
   * field for both). Kept in `#rare`: most scopes have no deadline, and a
   * field of its own cost every task 8 bytes (an idle task 976 → 968 bytes
   * on Deno, 1,066 → 1,058 on Node).
   */
  #deadline(): number {
    const rare = this.#rare;
    return rare === undefined ? Infinity : rare.deadline;
  }
  #setDeadline(value: number): void {
    if (this.#rare !== undefined) this.#rare.deadline = value;
    else if (value !== Infinity) (this.#rare = new Rare()).deadline = value;
  }
  /** The deadline, `Infinity` while a timeout waits for `run()`. */
  #absoluteDeadline(): number {
    return this.#flags & TIMEOUT_PENDING ? Infinity : this.#deadline();
  }

  // --- Plumbing: this scope's place in the tree. ---

  /** The enclosing active scope; `undefined` for a root or when not active. */
  #parent: CancelScope | undefined;
  /** Active scopes whose parent we are; created on the first child. */
  #children: ChildList | undefined;
  /** Our neighbours in the parent's (or the roots') `ChildList`. */
  #previousSibling: CancelScope | undefined;
  #nextSibling: CancelScope | undefined;
  /** The clock of `#deadline`: the parent's, or the one `MockClock.run` gave. */
  #clock(): Clock {
    const rare = this.#rare;
    return rare === undefined ? realClock : rare.clock;
  }
  #setClock(clock: Clock): void {
    if (clock !== realClock) (this.#rare ??= new Rare()).clock = clock;
    else if (this.#rare !== undefined) this.#rare.clock = clock;
  }
  /**
   * True when checkpoints here throw: always true if `#cancelCalled`; true
   * while the parent is effectively cancelled and we are not shielded.
   * Unlike `#cancelCalled` it can go back to false, when a shield goes up.
   * Only writers: `#recalculate`, and `#cancelWith` for a scope not active.
   */
  #effectivelyCancelled(): boolean {
    return (this.#flags & EFFECTIVELY_CANCELLED) !== 0;
  }
  #setEffectivelyCancelled(value: boolean): void {
    this.#setFlag(EFFECTIVELY_CANCELLED, value);
  }
  /**
   * Takes our entry (made on the first deadline) out of the clock's
   * deadline queue, if it is there.
   */
  #unschedule(): void {
    const rare = this.#rare;
    if (rare?.deadlineEntry !== undefined) {
      rare.clock.unschedule(rare.deadlineEntry);
    }
  }
  /** Made on the first read of `signal` (never for most scopes). */
  #controller(): AbortController | undefined {
    return this.#rare?.controller;
  }
  /**
   * What most scopes never need (a deadline and its queue entry, a
   * signal, a mock clock), in one object made on first use: a task holds
   * its scope for its whole life, and three fields fewer per scope is less
   * for the garbage collector to copy under 100,000 live tasks.
   */
  #rare: Rare | undefined;
  /**
   * Callbacks of the waits blocked in this scope: one callback (the usual
   * case: one task waits in its own scope) or, past one, a `Set`, so that a
   * wait that ends removes its callback in O(1) (rule 17).
   */
  #waiters: AnyWaiter | Set<AnyWaiter> | undefined;
  /** The task or group this scope belongs to, for the task tree view. */
  #owner: object | undefined;
  /** A task's outcome goes here when it ends (see `#runBody`). */
  #settle: Settle<unknown> | undefined;

  #setFlag(flag: number, value: boolean): void {
    this.#flags = value ? this.#flags | flag : this.#flags & ~flag;
  }

  /**
   * Creates a scope. Nothing starts until {@linkcode CancelScope.run}.
   *
   * @param options Deadline or timeout, shield and name.
   * @throws {RangeError} If `deadline` is NaN, or `timeout` is NaN or negative.
   * @throws {TypeError} If both `deadline` and `timeout` are given,
   * `shield` is not a boolean, or `name` is neither a string nor a function.
   */
  constructor(options?: CancelScopeOptions) {
    if (options === undefined) { // every unnamed task: nothing to check
      this.#name = "";
      return;
    }
    // Read field by field: no `{}` default to allocate on every scope.
    checkOptions("create scope", options);
    const deadline = options?.deadline, timeout = options?.timeout;
    const shield = options?.shield === undefined ? false : options.shield;
    const name = typeof options?.name === "function" ? options.name : checkName(
      "create scope",
      options?.name,
      "name",
      "a string or a function",
    );
    if (deadline !== undefined && timeout !== undefined) {
      throw new TypeError(
        `Cannot create scope: 'deadline' and 'timeout' cannot be given together: current values are ${
          text(deadline)
        } and ${text(timeout)}`,
      );
    }
    if (deadline !== undefined) checkDeadline("create scope", deadline);
    if (timeout !== undefined) {
      checkDuration("create scope", "timeout", timeout);
    }
    checkShield("create scope", shield);
    this.#name = name;
    this.#setDeadline(deadline ?? timeout ?? Infinity);
    if (timeout !== undefined) this.#flags |= TIMEOUT_PENDING;
    this.#setShield(shield);
  }

  /** The label given at construction (made now, if it was a function). */
  get name(): string {
    return this.#label();
  }

  /**
   * The label, made on first read from a name function. Messages and
   * `Cancelled` read it inside our bookkeeping, so what the function does
   * cannot disturb that (rule 19): a throw or a value that is not a string
   * becomes a label that says so.
   */
  #label(): string {
    const name = this.#name;
    if (typeof name === "string") return name;
    let label: string;
    this.#name = ""; // what a name function that reads its own scope sees
    try {
      const made: unknown = name();
      label = typeof made === "string"
        ? made
        : `(name function returned ${show(made)})`;
    } catch (error) {
      label = `(name function failed: ${describe(error)})`;
    }
    return this.#name = label;
  }

  /**
   * True once this scope itself has been cancelled: by `cancel()`, or because
   * its deadline has passed (a deadline equal to `now()` has passed), even if
   * no checkpoint has looked yet. False for a scope cancelled only through an
   * enclosing scope. For whether a `Cancelled` was actually absorbed, see
   * `cancelCaught`.
   */
  get cancelCalled(): boolean {
    if (
      !this.#cancelCalled() && this.#state() !== "exited" &&
      this.#absoluteDeadline() !== Infinity &&
      this.#deadline() <= internals.clockOf(this.#clockScope()).now()
    ) {
      this.#cancelWith("deadline", undefined);
    }
    return this.#cancelCalled();
  }

  /** True once `run()` absorbed a `Cancelled` that this scope owned. */
  get cancelCaught(): boolean {
    return this.#cancelCaught();
  }

  /**
   * The `Cancelled` that cancels this scope (its own cause or, first, an
   * enclosing scope's), or `undefined` while nothing has cancelled it.
   */
  get reason(): Cancelled | undefined {
    return this.#cancelled;
  }

  /**
   * The absolute deadline on the scope's clock (`Infinity` for none). A
   * scope made with `timeout` reports `Infinity` until `run()` fixes it.
   * Can be moved while the scope runs: earlier takes effect at once (a
   * deadline already past cancels now); later never un-cancels (rule 6).
   *
   * @throws {RangeError} When set to NaN.
   */
  get deadline(): number {
    return this.#absoluteDeadline();
  }
  set deadline(value: number) {
    checkDeadline(`set deadline of scope${label(this.#label())}`, value);
    this.#flags &= ~TIMEOUT_PENDING;
    this.#setDeadline(value);
    if (this.#state() === "active") this.#deadlineChanged();
  }

  /**
   * When true, the cancellation of enclosing scopes does not reach inside;
   * this scope's own cancellation and that of scopes inside it still do
   * (rule 7). Can change while the scope runs: lowering it inside a
   * cancelled parent makes the next checkpoint throw.
   *
   * @throws {TypeError} When set to a value that is not a boolean.
   */
  get shield(): boolean {
    return this.#shield();
  }
  set shield(value: boolean) {
    checkShield(`set shield of scope${label(this.#label())}`, value);
    this.#setShield(value);
    if (this.#state() === "active") CancelScope.#recalculate(this);
  }

  /**
   * An `AbortSignal` that aborts, with this scope's `Cancelled` as its
   * `reason`, the first time the scope becomes effectively cancelled: so a
   * shielded scope's signal stays unaborted while only an enclosing scope is
   * cancelled. Made on first read; once aborted it stays aborted. Hand it to
   * foreign code: `fetch(url, { signal: scope.signal })`.
   */
  get signal(): AbortSignal {
    if (this.#controller() === undefined) {
      const controller = new AbortController();
      (this.#rare ??= new Rare()).controller = controller;
      if (this.#effectivelyCancelled()) controller.abort(this.#cancelled);
    }
    return this.#controller()!.signal;
  }

  /**
   * Cancels the scope: every checkpoint inside throws `Cancelled` from now
   * until control leaves it. Idempotent; the first reason wins. Before `run()`
   * the scope starts cancelled; after it, only `cancelCalled` changes.
   *
   * @param reason Why; carried by the `Cancelled` as `reason`.
   */
  cancel(reason?: unknown): void {
    this.#cancelWith("explicit", reason);
  }

  /**
   * Runs `fn` inside the scope, nested in the current scope, and returns its
   * result, or `undefined` if the scope absorbed a cancellation it owned
   * (rule 3). A scope runs once.
   *
   * @typeParam T The result of `fn`.
   * @param fn Called with this scope; may be async.
   * @returns What `fn` returns, or `undefined` when cancelled.
   * @throws {TypeError} If `fn` is not a function, is a generator function,
   * or returns a generator (rule 8).
   * @throws {Error} If the scope already ran or is running.
   */
  run<T>(fn: (scope: CancelScope) => T | Promise<T>): Promise<T | undefined> {
    return this.#start(currentScope_.get(), undefined, fn);
  }

  /** The state, as `CancelScope "name" (active, deadline in 1.50 s)`. */
  toString(): string {
    const parts: string[] = [this.#state()];
    if (this.#absoluteDeadline() !== Infinity && this.#state() !== "exited") {
      const left = this.#deadline() -
        internals.clockOf(this.#clockScope()).now();
      parts.push(
        left > 0
          ? `deadline in ${(left / 1000).toFixed(2)} s`
          : "deadline passed",
      );
    }
    if (this.#shield()) parts.push("shielded");
    if (this.#cancelled !== undefined && this.#effectivelyCancelled()) {
      parts.push(
        this.#ownSource() === undefined
          ? "cancelled by an enclosing scope"
          : this.#ownSource() === "explicit"
          ? "cancelled explicitly"
          : `cancelled by its ${
            this.#ownSource() === "group" ? "task group" : "deadline"
          }`,
      );
    }
    if (this.#cancelCaught()) parts.push("cancel caught");
    return `CancelScope${label(this.#label())} (${parts.join(", ")})`;
  }

  // ---------------------------------------------------------------------
  // Entering and leaving
  // ---------------------------------------------------------------------

  #start<T>(
    parent: CancelScope | undefined,
    clock: Clock | undefined,
    fn: (scope: CancelScope) => T | Promise<T>,
    settle?: Settle<T>,
  ): Promise<T | undefined> {
    // Rule 8: entered only by run(callback), once; no generators. Checked
    // before anything changes, so bad input disturbs nothing.
    if (!isPlainFunction(fn)) {
      checkCallback(`run scope${label(this.#label())}`, fn);
    }
    if (this.#state() !== "idle") {
      throw new Error(
        `Cannot run scope${label(this.#label())}: it ${
          this.#state() === "active" ? "is already running" : "already ran"
        }; create a new CancelScope for each run`,
      );
    }
    this.#setState("active");
    this.#settle = settle;
    try {
      const outcome = this.#enter(parent, clock, fn);
      strandedScope = strandedOutcome = undefined; // see `strandedScope`
      return outcome;
    } catch (error) {
      // Rule 19: only our own bookkeeping throws here (`#runBody` catches
      // what `fn` throws): a stack overflow, where the caller's own
      // recursion left no room.
      if (strandedScope === this) {
        // The body ran, and its outcome may not have been handed on (see
        // `strandedScope`). Handed on with builtins and a closure that runs
        // on a fresh stack, and no call of a function of ours that may be
        // cold: one not run for a while is compiled again first, and V8
        // will not compile near the end of the stack. `scope`, not `this`,
        // in the closure: an arrow that reads `this` makes every call of
        // `#start` allocate a context for it.
        // deno-lint-ignore no-this-alias
        const scope = this, failed = strandedFailed, outcome = strandedOutcome;
        const handedOnLater = promiseThen.call(
          resolvedUndefined,
          () =>
            failed
              ? scope.#conclude(true, outcome)
              : CancelScope.#awaitBody(scope, outcome),
        ) as Promise<T | undefined>;
        strandedScope = strandedOutcome = undefined;
        return handedOnLater;
      }
      try {
        return this.#enterFailed(error);
      } catch (again) {
        // No room even for that (`#enterFailed` is cold). Leave the tree.
        // A task whose outcome is already on its way is done with;
        // otherwise `settle` is dropped, never to be called, and the throw
        // tells the caller the task never ran (`runTask`).
        try {
          this.#exit();
        } catch {
          // Nothing more can be done at this depth.
        }
        if (settle !== undefined && this.#settle === undefined) {
          return resolvedUndefined;
        }
        this.#settle = undefined;
        throw again;
      }
    }
  }

  #enter<T>(
    parent: CancelScope | undefined,
    clock: Clock | undefined,
    fn: (scope: CancelScope) => T | Promise<T>,
  ): Promise<T | undefined> {
    // Code that escaped its scope (a promise nobody awaited) still has
    // the exited scope as its current one. A scope it opens must not hang
    // under a scope that is out of the tree, where no cancellation
    // reaches it: it becomes a root instead.
    if (parent !== undefined && parent.#state() === "exited") {
      parent = undefined;
    }
    this.#setClock(
      clock ??
        (parent === undefined ? realClock : parent.#clock()),
    );
    // Rule 6: a relative timeout counts from entry; a deadline already
    // past at entry cancels the scope before `fn` runs (own cause first,
    // as in Trio's __enter__, so it wins over an inherited reason).
    if (this.#flags & TIMEOUT_PENDING) {
      this.#flags &= ~TIMEOUT_PENDING;
      this.#setDeadline(this.#clock().now() + this.#deadline());
    }
    this.#deadlineChanged();
    this.#link(parent);
    return currentScope_.run(this, CancelScope.#runBody, this, fn);
  }

  /**
   * `#start` threw before the body ran: undo what it did, so the scope is
   * out of the tree and its deadline out of the queue, and hand the error
   * on: to `settle` (on a fresh stack) for a task, or as the rejection.
   */
  #enterFailed<T>(error: unknown): Promise<T | undefined> {
    // `settle` is let go only once it is sure to be called (see `#start`).
    this.#exit();
    const settle = this.#settle;
    if (settle === undefined) return Promise.reject(error);
    promiseThen.call(resolvedUndefined, () => settle(this, true, error));
    this.#settle = undefined;
    return resolvedUndefined;
  }

  /**
   * Runs the body of a scope, inside it. How its outcome comes back:
   *
   * - A plain value or a synchronous throw exits the scope at once, with no
   *   async frame (a quarter of the cost of a trivial scope).
   * - A native promise gets one `then` with two callbacks shared by every
   *   scope: its reactions run in the context they were registered in,
   *   which is this scope's, so the callbacks find the scope through
   *   `currentScope_`. An async frame per scope instead cost a fifth of a
   *   task's memory, and with it its garbage collection.
   * - Any other thenable is awaited, as `await` would.
   *
   * Tasks of a group pass `settle`: their outcome goes to it once the scope
   * has exited, and the returned promise never rejects, so nobody needs to
   * handle it. A task's value settles a tick later, as an `await` would; a
   * synchronous throw settles at once, so a task failing inside `spawn()`
   * cancels its spawner before the spawner's next checkpoint (CPython
   * #128550, docs/semantics.md #104).
   */
  static #runBody<T>(
    scope: CancelScope,
    fn: (scope: CancelScope) => T | Promise<T>,
  ): Promise<T | undefined> {
    if (syncDepth >= MAX_SYNC_DEPTH) {
      // Deep synchronous nesting: start the body on a fresh stack. The
      // reaction runs in this scope's context, where it was registered.
      return promiseThen.call(
        resolvedUndefined,
        () => CancelScope.#runBody(scope, fn),
      ) as Promise<T | undefined>;
    }
    let result: unknown;
    syncDepth++;
    try {
      result = fn(scope);
    } catch (error) {
      syncDepth--;
      strandedScope = scope; // see `strandedScope`
      strandedFailed = true;
      strandedOutcome = error;
      if (!hasHeadroom()) return scope.#concludeLater(true, error);
      return scope.#exitWith(true, error);
    }
    syncDepth--;
    // Noted before it is handed on, not in a `catch` around that: a `try`
    // here made every task 15% slower on Bun (JavaScriptCore).
    strandedScope = scope; // see `strandedScope`
    strandedFailed = false;
    strandedOutcome = result;
    if (!isNativePromise(result)) {
      // `then` is read here, not in a helper: the overflow of a helper's
      // call must reach `#start`, not pass for the body's failure.
      let then: unknown;
      if (
        result !== null &&
        (typeof result === "object" || typeof result === "function")
      ) {
        try {
          then = (result as PromiseLike<unknown>).then;
        } catch (error) {
          // A `then` getter that throws, a revoked Proxy: as `await`
          // would, the body fails with what was thrown.
          return scope.#exitWith(true, error);
        }
      }
      if (typeof then === "function") {
        return CancelScope.#awaitBody(scope, result);
      }
      if (scope.#settle === undefined) return scope.#exitWith(false, result);
      result = Promise.resolve(result);
    }
    return promiseThen.call(
      result,
      CancelScope.#bodyFulfilled,
      CancelScope.#bodyRejected,
    ) as Promise<T | undefined>;
  }

  static #bodyFulfilled(value: unknown): unknown {
    return currentScope_.get()!.#conclude(false, value);
  }

  static #bodyRejected(error: unknown): unknown {
    return currentScope_.get()!.#conclude(true, error);
  }

  /**
   * The body returned a thenable that is not a native promise, or an
   * outcome that `#start` hands on.
   */
  static async #awaitBody<T>(
    scope: CancelScope,
    result: unknown,
  ): Promise<T | undefined> {
    let failed = false;
    let outcome: unknown;
    try {
      outcome = await result;
    } catch (error) {
      failed = true;
      outcome = error;
    }
    return scope.#conclude(failed, outcome) as T | undefined;
  }

  /** `#conclude` for a body that ended synchronously, as a promise. */
  #exitWith<T>(failed: boolean, outcome: unknown): Promise<T | undefined> {
    let value: unknown;
    try {
      value = this.#conclude(failed, outcome);
    } catch (error) {
      // Rule 19: a body that ended at the very end of the stack leaves our
      // bookkeeping no room; if it overflowed before the scope left the
      // tree, conclude again on a fresh stack, with the body's own outcome.
      if (this.#state() !== "exited") {
        return this.#concludeLater(failed, outcome);
      }
      return Promise.reject(error);
    }
    return value === undefined
      ? resolvedUndefined
      : Promise.resolve(value as T);
  }

  /** `#conclude` a microtask later, on a fresh stack. */
  #concludeLater<T>(failed: boolean, outcome: unknown): Promise<T | undefined> {
    return promiseThen.call(
      resolvedUndefined,
      () => this.#conclude(failed, outcome),
    ) as Promise<T | undefined>;
  }

  /**
   * The end of every run: applies rules 8 and 3 to how the body ended,
   * leaves the scope, and then returns the value, throws the error, or, for
   * a task, hands the outcome to `settle` and returns `undefined`.
   */
  #conclude(failed: boolean, outcome: unknown): unknown {
    // Rule 8 again: a body whose value is a generator (an async callback
    // that resolves to one, say) would run the generator's body later,
    // outside the scope.
    if (!failed && isGenerator(outcome)) {
      failed = true;
      outcome = generatorReturned(this.#label());
    }
    if (failed && this.#absorbs(outcome)) {
      failed = false;
      outcome = undefined;
    }
    // Bookkeeping first (rule 19): the scope leaves the tree before any
    // code that could throw looks at the outcome.
    this.#exit();
    const settle = this.#settle;
    if (settle !== undefined) {
      this.#settle = undefined;
      settle(this, failed, outcome);
      return undefined;
    }
    if (failed) throw outcome;
    return outcome;
  }

  /**
   * Rule 3 (owner): a Cancelled is absorbed by the outermost cancelled scope
   * reachable without crossing a shield. Decided here, as it reaches our
   * exit: we absorb only if we own the cancellation; otherwise it goes on
   * out. Sets `cancelCaught`.
   */
  #absorbs(error: unknown): boolean {
    if (error instanceof Cancelled && this.#ownsCancellation()) {
      this.#setCancelCaught(true);
      return true;
    }
    return false;
  }

  /** Rule 3: we are cancelled, and no cancelled ancestor is visible from us. */
  #ownsCancellation(): boolean {
    return this.#effectivelyCancelled() && !this.#parentCancellationIsVisible();
  }

  #link(parent: CancelScope | undefined): void {
    this.#parent = parent;
    const list = parent === undefined
      ? roots
      : (parent.#children ??= { first: undefined, last: undefined });
    this.#previousSibling = list.last;
    this.#nextSibling = undefined;
    if (list.last === undefined) list.first = this;
    else list.last.#nextSibling = this;
    list.last = this;
    this.#flags |= LINKED;
    // Our children depend only on our own state, so when that does not
    // change (the common case) there is nothing to walk.
    if (
      this.#effectivelyCancelled() !==
        (this.#cancelCalled() || this.#parentCancellationIsVisible())
    ) {
      CancelScope.#recalculate(this);
    }
  }

  #unlink(): void {
    if ((this.#flags & LINKED) === 0) return;
    this.#flags &= ~LINKED;
    const list = this.#parent === undefined ? roots : this.#parent.#children!;
    const previous = this.#previousSibling, next = this.#nextSibling;
    if (previous === undefined) list.first = next;
    else previous.#nextSibling = next;
    if (next === undefined) list.last = previous;
    else next.#previousSibling = previous;
    this.#previousSibling = this.#nextSibling = this.#parent = undefined;
  }

  /**
   * Leaves the tree and the deadline queue. Each step may be done again
   * (`#exitWith` retries after a stack overflow), so the state changes
   * last.
   */
  #exit(): void {
    this.#waiters = undefined;
    this.#unlink();
    this.#unschedule();
    this.#setState("exited");
  }

  // ---------------------------------------------------------------------
  // Cancellation
  // ---------------------------------------------------------------------

  #cancelWith(source: CancelSource, reason: unknown): void {
    if (this.#cancelCalled()) return;
    // Rule 5: the first cause wins, ours or one inherited earlier. Ours is
    // made before any flag changes: it formats the reason, a user value
    // (rule 19; formatting never throws, but a scope half-cancelled by a
    // throw here could never be cancelled again).
    if (this.#cancelled === undefined) {
      // The label first: a name function is user code, made on first
      // read, and may itself cancel this scope or an enclosing one; then
      // that cancellation came first.
      const scopeName = this.#label();
      if (this.#cancelCalled()) return;
      this.#cancelled ??= new Cancelled({ source, reason, scopeName });
    }
    this.#setCancelCalled(true);
    this.#setOwnSource(source);
    this.#unschedule();
    if (this.#state() === "active") {
      CancelScope.#recalculate(this);
    } else {
      // Not in the tree: nothing to walk, but the signal (if any) aborts.
      this.#setEffectivelyCancelled(true);
      this.#deliver();
    }
  }

  /** Keeps the deadline queue in step with `#deadline` (rule 6). */
  #deadlineChanged(): void {
    if (this.#cancelCalled()) return;
    if (this.#deadline() === Infinity) {
      this.#unschedule();
      return;
    }
    if (this.#deadline() <= this.#clock().now()) {
      this.#cancelWith("deadline", undefined);
      return;
    }
    const rare = this.#rare ??= new Rare();
    const entry = rare.deadlineEntry ??= {
      deadline: this.#deadline(),
      index: -1,
      expire: () => this.#cancelWith("deadline", undefined),
    };
    entry.deadline = this.#deadline();
    this.#clock().schedule(entry);
  }

  /** Trio's `parent_cancellation_is_visible_to_us`: the one place it is decided. */
  #parentCancellationIsVisible(): boolean {
    return !this.#shield() && this.#parent !== undefined &&
      this.#parent.#effectivelyCancelled();
  }

  /**
   * Brings `#effectivelyCancelled` up to date in `root` and every scope below
   * it whose state depends on it, depth first with an explicit stack (no
   * recursion: 100,000 nested scopes must not overflow). A scope that becomes
   * cancelled through its parent inherits the parent's `Cancelled` unless it
   * already has one (rule 5). Waiters and signals are told only after the
   * walk, so user code (abort listeners) never sees a half-updated tree.
   */
  static #recalculate(root: CancelScope): void {
    try {
      CancelScope.#walk(root, false);
    } catch {
      // Rule 19: the stack ended under the walk or the delivery (a
      // `cancel()` deep in a recursion). Some flags may be set already, so
      // an ordinary walk would stop at them and tell nobody: walk the whole
      // subtree again on a fresh stack, telling every cancelled scope's
      // waiters that were not told yet. Scheduled with `then`, a V8
      // builtin: `queueMicrotask` is JavaScript on Deno, and needs stack.
      try {
        promiseThen.call(
          resolvedUndefined,
          () => CancelScope.#walk(root, true),
        );
      } catch {
        // Not even room for that: nothing more can be done here.
      }
    }
  }

  /** `#recalculate`'s walk; `full` visits and tells every scope below. */
  static #walk(root: CancelScope, full: boolean): void {
    const todo = [root];
    let newlyCancelled: CancelScope[] | undefined;
    while (todo.length > 0) {
      const scope = todo.pop()!;
      const parentVisible = scope.#parentCancellationIsVisible();
      const cancelled = scope.#cancelCalled() || parentVisible;
      if (cancelled === scope.#effectivelyCancelled() && !full) continue;
      if (cancelled && scope.#cancelled === undefined) {
        scope.#cancelled = scope.#parent!.#cancelled;
      }
      scope.#setEffectivelyCancelled(cancelled);
      if (
        cancelled &&
        (scope.#waiters !== undefined || scope.#controller() !== undefined)
      ) {
        (newlyCancelled ??= []).push(scope);
      }
      for (
        let child = scope.#children?.first;
        child !== undefined;
        child = child.#nextSibling
      ) {
        todo.push(child);
      }
    }
    if (newlyCancelled !== undefined) {
      for (const scope of newlyCancelled) scope.#deliver();
    }
  }

  /**
   * Wakes the blocked waits, then aborts the signal. A waiter that throws
   * does not stop the others (see `callWaiter`). Each waiter leaves the
   * scope once it was told, not before: if the stack ends under this loop,
   * `#recalculate` delivers again, to those not yet told only.
   */
  #deliver(): void {
    if (!this.#effectivelyCancelled()) return; // a shield went up meanwhile
    const cancelled = this.#cancelled!;
    const waiters = this.#waiters;
    if (waiters instanceof Set) {
      for (const waiter of waiters) {
        callWaiter(waiter, cancelled);
        waiters.delete(waiter);
      }
    } else if (waiters !== undefined) callWaiter(waiters, cancelled);
    if (this.#waiters === waiters) this.#waiters = undefined;
    const controller = this.#controller();
    if (controller !== undefined && !controller.signal.aborted) {
      controller.abort(cancelled);
    }
  }

  /** The scopes of a `ChildList`, first to last (for the tree view). */
  static *#listed(list: ChildList | undefined): Generator<CancelScope> {
    for (let scope = list?.first; scope !== undefined;) {
      const next = scope.#nextSibling; // read first: the caller may unlink
      yield scope;
      scope = next;
    }
  }

  /** The scope whose clock an idle scope's deadline is read on. */
  #clockScope(): CancelScope | undefined {
    return this.#state() === "active" ? this : currentScope_.get();
  }

  /**
   * One idle scope that lives as long as this module. V8 forgets the layout
   * of a class's objects in a full garbage collection when none of them is
   * alive, and with it the optimized code that expected that layout: the
   * next burst of scopes ran deoptimized while V8 learnt it again, three
   * times slower (10,000 tasks spawned after a `gc()`, 1.2–1.7 µs a task
   * against 0.4–0.7 µs; `tools/bench` runs a `gc()` before every round).
   */
  static readonly #keepsLayoutAlive = new CancelScope();

  static {
    internals.current = () => currentScope_.get();
    internals.runWithParent = (scope, parent, fn) =>
      scope.#start(parent, undefined, fn);
    internals.runTask = (scope, parent, fn, settle) => {
      scope.#start(parent, undefined, fn, settle);
    };
    internals.setOwner = (scope, owner) => {
      scope.#owner = owner;
    };
    internals.ownerOf = (scope) => scope.#owner;
    internals.ownCancelSource = (scope) => scope.#ownSource();
    internals.ownsCancellation = (scope) => scope.#ownsCancellation();
    internals.runWithClock = (scope, clock, fn) =>
      scope.#start(undefined, clock, fn);
    internals.reparent = (scope, parent) => {
      if (scope.#state() !== "active" || scope.#parent === parent) return;
      scope.#unlink();
      scope.#link(parent);
    };
    internals.cancelWithSource = (scope, source, reason) =>
      scope.#cancelWith(source, reason);
    internals.pendingCancellation = (scope) => {
      scope.#clock().expireDue();
      return scope.#effectivelyCancelled() ? scope.#cancelled : undefined;
    };
    internals.addWaiter = (scope, waiter) => {
      const waiters = scope.#waiters;
      if (waiters === undefined) scope.#waiters = waiter;
      else if (waiters instanceof Set) waiters.add(waiter);
      else if (waiters !== waiter) scope.#waiters = new Set([waiters, waiter]);
    };
    internals.removeWaiter = (scope, waiter) => {
      const waiters = scope.#waiters;
      if (waiters === waiter) scope.#waiters = undefined;
      else if (waiters instanceof Set) waiters.delete(waiter);
    };
    internals.clockOf = (scope) =>
      scope === undefined ? realClock : scope.#clock();
    internals.parentOf = (scope) => scope.#parent;
    internals.childrenOf = (scope) => CancelScope.#listed(scope.#children);
    internals.roots = () => CancelScope.#listed(roots);
    internals.stateOf = (scope) => scope.#state();
  }
}

/**
 * The scope that encloses the caller, or `undefined` outside any scope.
 *
 * @returns The innermost active scope of the current logical call chain.
 *
 * @example Usage
 * ```ts
 * import { CancelScope, currentScope } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * const scope = new CancelScope({ name: "outer" });
 * await scope.run(() => assert.equal(currentScope(), scope));
 * assert.equal(currentScope(), undefined);
 * ```
 */
export function currentScope(): CancelScope | undefined {
  return currentScope_.get();
}

const AsyncFunction = (async () => {}).constructor;

/** The rarely used state of a scope (see `CancelScope.#rare`). */
class Rare {
  /** See `CancelScope#deadline`. */
  deadline = Infinity;
  deadlineEntry: DeadlineEntry | undefined = undefined;
  controller: AbortController | undefined = undefined;
  clock: Clock = realClock;
}

function callWaiter(waiter: AnyWaiter, cancelled: Cancelled): void {
  try {
    if (typeof waiter === "function") waiter(cancelled);
    else waiter[TELL](cancelled);
  } catch (error) {
    // Rule 19: a waiter told right where the stack ends (a `cancel()` deep
    // in a recursion) may overflow it, which is no bug of its own: it is
    // told again on a fresh stack. A throw with room to spare is a bug of
    // whoever registered it, rethrown on a fresh stack where it is reported
    // as uncaught; either way the other waiters are told now.
    let room = false;
    try {
      room = hasHeadroom();
    } catch {
      // No room.
    }
    if (room) {
      queueMicrotask(() => {
        throw error;
      });
    } else {
      // A V8 builtin, not `queueMicrotask` (a JavaScript function on Deno,
      // which needs stack of its own).
      promiseThen.call(resolvedUndefined, () => callWaiter(waiter, cancelled));
    }
  }
}

/** The fast check of rule 8; `checkCallback` explains a failure. */
function isPlainFunction(fn: unknown): boolean {
  return typeof fn === "function" &&
    (fn.constructor === Function || fn.constructor === AsyncFunction);
}

function generatorReturned(name: string): TypeError {
  return new TypeError(
    `Cannot run scope${
      label(name)
    }: the callback returned a generator; scopes take plain or async functions, so that no yield can suspend inside a scope`,
  );
}

/**
 * A promise made by this realm's `Promise` itself (not a subclass): its
 * reactions are registered without running user code, and run in the
 * context of the registration. `await`'s own test (PromiseResolve: a
 * promise whose `constructor` is `Promise`), with `instanceof` for the
 * internal slot: 10 ns, where `Object.getPrototypeOf` took 35 ns on Deno
 * 2.9 for every scope with an async body. (A subclass whose `constructor`
 * reads as `Promise` passes, and its own `then` is bypassed: as `await`
 * bypasses it.)
 */
function isNativePromise(value: unknown): value is Promise<unknown> {
  try {
    return value instanceof Promise && value.constructor === Promise;
  } catch {
    return false; // a revoked Proxy, a throwing `constructor` getter
  }
}

/**
 * Constructors whose `prototype` is %GeneratorPrototype% and
 * %AsyncGeneratorPrototype%: `instanceof` them asks whether an object
 * inherits from one, which V8 compiles to a walk of the prototype chain.
 */
function GeneratorObject(): void {}
GeneratorObject.prototype = Object.getPrototypeOf(function* () {}).prototype;
function AsyncGeneratorObject(): void {}
AsyncGeneratorObject.prototype =
  Object.getPrototypeOf(async function* () {}).prototype;

/**
 * Whether `value` is a generator object: it inherits from one of the two
 * generator prototypes. Through `instanceof`: two `Object.getPrototypeOf`
 * calls took 50–60 ns on Deno 2.9 (for every object a body returned: a
 * `Response`, Hono's `Context`), `instanceof` 15 ns; reading the
 * `toStringTag` made a string each time.
 */
function isGenerator(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  try {
    return value instanceof GeneratorObject ||
      value instanceof AsyncGeneratorObject;
  } catch {
    return false; // a revoked Proxy, a throwing getPrototypeOf trap
  }
}
