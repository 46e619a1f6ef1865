// Copyright the corral authors. MIT license.
/**
 * The one wait of this package: a FIFO queue of waiters, each its own
 * cancellation observer (rule 17), and the fast path every wait takes when
 * it does not have to wait (Trio's `checkpoint_if_cancelled` then
 * `cancel_shielded_checkpoint`).
 *
 * A primitive hands an item or a token to a waiter only by taking it out of
 * the queue and calling its `wake`: a waiter still in the queue has not been
 * cancelled (cancelling takes it out first, in `cancelled`), so what is
 * handed over always arrives. Nothing is handed to a waiter that left.
 *
 * @module
 */
import {
  type Cancelled,
  type CancelScope,
  checkpoint,
  currentScope,
} from "@corral/scope";
import {
  CancellationObserver,
  cancellationOf,
  label,
  unwatchCancellation,
  watchCancellation,
} from "@corral/scope/plumbing";

function ignore(): void {}

/**
 * What a failed wait's promise is resolved with: a thenable that rejects it
 * with `error`. A waiter keeps only its promise's `resolve` (each resolving
 * function costs 56 bytes of heap on 64-bit V8, more than the rest of the
 * waiter's bookkeeping), so it fails by resolving with this; the rejection
 * then lands one microtask later than a direct `reject` would.
 */
class Rejection {
  readonly #error: unknown;
  constructor(error: unknown) {
    this.#error = error;
  }
  then(_: unknown, reject: (error: unknown) => void): void {
    reject(this.#error);
  }
}

/** The `resolve` of the promise being made (see {@linkcode wait}). */
let capturedResolve: ((value: unknown) => void) | undefined;

/** The executor of every wait's promise: one function, no closure per wait. */
function capture(resolve: (value: unknown) => void): void {
  capturedResolve = resolve;
}

/**
 * A waiter: one call of `acquire`, `wait`, `send` or `receive` that could
 * not finish at once. Lives in one {@linkcode WaitQueue} at a time (a
 * condition moves its waiters to the lock's queue), and is its own
 * observer of its scope's cancellation: a blocked wait is this object and
 * its promise, with no closure of its own (rule 17: one registration on the
 * scope, removed in O(1)).
 */
export class WaitNode extends CancellationObserver {
  prev: WaitNode | undefined = undefined;
  next: WaitNode | undefined = undefined;
  /** The queue the waiter is in; `undefined` once it left. */
  queue: WaitQueue | undefined = undefined;
  /**
   * Settles the wait; `undefined` once settled, so only the first of
   * `wake`, `fail` and the cancellation counts.
   */
  resolve: ((value: unknown) => void) | undefined = undefined;
  /** The scope that waits (the innermost one where the wait was called). */
  readonly scope: CancelScope | undefined;
  /** What the waiter carries: the item to send, the borrower, the task. */
  value: unknown;
  /** The channel handle it waits on, to fail it when that handle closes. */
  readonly handle: object | undefined;

  constructor(
    scope: CancelScope | undefined,
    value: unknown,
    handle: object | undefined,
  ) {
    super();
    this.scope = scope;
    this.value = value;
    this.handle = handle;
  }

  /** Ends the wait with `value` (the caller took it out of its queue). */
  wake(value: unknown): void {
    const resolve = this.resolve;
    if (resolve === undefined) return;
    this.resolve = undefined;
    unwatchCancellation(this);
    resolve(value);
  }

  /** Ends the wait with `error` (the caller took it out of its queue). */
  fail(error: unknown): void {
    const resolve = this.resolve;
    if (resolve === undefined) return;
    this.resolve = undefined;
    unwatchCancellation(this);
    resolve(new Rejection(error));
  }

  /**
   * The scope was cancelled first: leave whatever queue the waiter is in
   * now (a cancelled wait leaves no trace, rule 17), and reject.
   */
  cancelled(cancelled: Cancelled): void {
    // Out of the queue first, settled or not: a waiter that `wait` left
    // there when the stack overflowed (rule 19) has nothing to settle.
    this.queue?.remove(this);
    const resolve = this.resolve;
    if (resolve === undefined) return;
    this.resolve = undefined;
    resolve(new Rejection(cancelled));
  }

  /**
   * One idle node kept while this module lives, so that V8 keeps the
   * layout of wait nodes (and the optimized code that expects it) through
   * a full collection with no wait alive; see `Receiver`.
   */
  static readonly #keepsLayoutAlive: unknown = new WaitNode(
    undefined,
    undefined,
    undefined,
  );
}

/**
 * The waiter of `waitForToken` (the plumbing's scope-less wait for a
 * limiter's token): `granted` is called when the token is the borrower's,
 * and a failure is dropped (nobody waits on a promise).
 */
export class GrantNode extends WaitNode {
  constructor(borrower: unknown, granted: () => void) {
    super(undefined, borrower, undefined);
    this.resolve = granted;
  }
  override fail(): void {
    this.resolve = undefined;
  }
}

/** Who is blocked on a named primitive, keyed by the waiting scope. */
export const blocked: Map<CancelScope, WaitNode> = new Map();

/**
 * A FIFO queue of waiters: a doubly linked list, so a cancelled waiter
 * leaves in O(1) from anywhere in it (an array with tombstones would keep
 * every cancelled waiter of a lock held for an hour: Trio #548).
 */
export class WaitQueue {
  head: WaitNode | undefined = undefined;
  tail: WaitNode | undefined = undefined;
  size = 0;
  /** The primitive the queue belongs to. */
  readonly primitive: object;
  /**
   * `"waiting on lock \"db\""`, for the task tree; `undefined` for an
   * unnamed primitive, whose waits are not registered (they cost nothing).
   */
  readonly description: string | undefined;

  constructor(primitive: object, what: string, name: string) {
    this.primitive = primitive;
    this.description = name === "" ? undefined : `${what}${label(name)}`;
  }

  push(node: WaitNode): void {
    node.queue = this;
    node.prev = this.tail;
    if (this.tail === undefined) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    this.size++;
    if (this.description !== undefined && node.scope !== undefined) {
      blocked.set(node.scope, node);
    }
  }

  remove(node: WaitNode): void {
    if (node.queue !== this) return;
    const { prev, next } = node;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    node.prev = node.next = node.queue = undefined;
    this.size--;
    if (
      this.description !== undefined && node.scope !== undefined &&
      blocked.get(node.scope) === node
    ) {
      blocked.delete(node.scope);
    }
  }

  /** Puts a waiter taken out by {@linkcode WaitQueue.shiftLive} back in front. */
  unshift(node: WaitNode): void {
    node.queue = this;
    node.next = this.head;
    if (this.head === undefined) this.tail = node;
    else this.head.prev = node;
    this.head = node;
    this.size++;
    if (this.description !== undefined && node.scope !== undefined) {
      blocked.set(node.scope, node);
    }
  }

  /**
   * Takes the oldest waiter out of the queue. A waiter with nothing to
   * settle, left by a `wait` that overflowed the stack (rule 19), is
   * dropped on the way: what is handed over goes to one that waits.
   */
  shift(): WaitNode | undefined {
    for (;;) {
      const node = this.head;
      if (node === undefined) return undefined;
      this.remove(node);
      if (node.resolve !== undefined) return node;
    }
  }

  /**
   * Takes the oldest waiter whose scope is not cancelled out of the queue
   * (AnyIO #728): a waiter whose deadline has passed, but whose timer has
   * not fired yet, is failed with its `Cancelled` and skipped, so what is
   * handed over goes to a waiter that will use it.
   *
   * Reading a waiter's cancellation expires the deadlines that have passed,
   * and cancellation callbacks run then (a task group launches its queue):
   * the caller re-checks what it was about to hand over afterwards.
   */
  shiftLive(): WaitNode | undefined {
    for (;;) {
      const node = this.shift();
      if (node === undefined || node.scope === undefined) return node;
      const cancelled = cancellationOf(node.scope);
      if (cancelled === undefined) return node;
      node.fail(cancelled);
    }
  }

  /** The waiters, oldest first (a copy: safe to change the queue meanwhile). */
  nodes(): WaitNode[] {
    const nodes: WaitNode[] = [];
    for (let node = this.head; node !== undefined; node = node.next) {
      nodes.push(node);
    }
    return nodes;
  }
}

/**
 * The queue of a primitive nobody has waited on yet: always empty, never
 * pushed to (the primitive makes its own queue on the first wait).
 */
export const noWaiters: WaitQueue = new WaitQueue({}, "", "");

/**
 * Waits in `queue` until a primitive takes `node` out and wakes it, or the
 * scope is cancelled (then `node` leaves the queue and the wait rejects
 * with the `Cancelled`). Rejects at once inside a cancelled scope.
 */
export function wait<T>(queue: WaitQueue, node: WaitNode): Promise<T> {
  const scope = node.scope;
  try {
    const cancelled = cancellationOf(scope);
    if (cancelled !== undefined) return Promise.reject(cancelled);
    const waiting = new Promise<T>(capture as never);
    const resolve = capturedResolve;
    // Rule 19: the executor overflowed the stack; the promise constructor
    // caught it, and `waiting` rejects with it. Nothing parks.
    if (resolve === undefined) return waiting;
    node.resolve = resolve;
    capturedResolve = undefined;
    queue.push(node);
    // A deadline that passed since the check above is seen here: then
    // `node.cancelled` has run, and the node left the queue again.
    if (scope !== undefined) watchCancellation(scope, node);
    return waiting;
  } catch (error) {
    // A stack overflow at the edge (rule 19): the wait rejects, and leaves
    // neither a waiter in the queue nor an observer on the scope. With no
    // room even for that, the waiter has nothing to settle: `shift` drops
    // it, and so does its scope's cancellation.
    node.resolve = capturedResolve = undefined;
    try {
      node.queue?.remove(node);
      unwatchCancellation(node);
    } catch {
      // Left as said above.
    }
    return Promise.reject(error);
  }
}

/**
 * The fast path of a wait that need not wait. Returns the yield the wait
 * returns once the caller took what it wanted (synchronously, after this
 * call), or `undefined` when the scope is cancelled: then the caller takes
 * nothing and returns {@linkcode cancelledWait} (rule 17).
 *
 * The yield cannot reject (Trio's `cancel_shielded_checkpoint`): what was
 * taken is kept. It is one microtask ({@linkcode resolved}), and every
 * {@linkcode CHECKPOINT_EVERY}th fast path goes through `checkpoint()`,
 * which turns it into a macrotask when a millisecond has passed since the
 * last one (rule 2: a loop of waits that never wait still lets timers
 * run). Not every time: `checkpoint()` reads the clock, and
 * `performance.now()` costs 90–120 ns on Deno 2.9 (measured), three times
 * the microtask itself; a loop of uncontended acquires would pay it on
 * each. The price: in a loop whose body does a millisecond of synchronous
 * work between waits, timers run every 32 ms rather than every 1 ms.
 *
 * The checkpoint is asked for before the cancellation is read: a scope's
 * cancellation cannot go away without user code running, so if it is not
 * cancelled now, it was not when `checkpoint()` looked, and the yield it
 * returned cannot reject.
 */
export function fastPath(
  scope: CancelScope | undefined,
): Promise<void> | undefined {
  if (++fastPaths < CHECKPOINT_EVERY) {
    return cancellationOf(scope) === undefined ? resolved : undefined;
  }
  fastPaths = 0;
  const yielding = checkpoint();
  if (cancellationOf(scope) === undefined) return yielding;
  yielding.then(undefined, ignore); // it may reject; nobody waits on it
  return undefined;
}

/**
 * {@linkcode fastPath} for a wait that hands its result over in a promise
 * of its own (an iterator's `next()`), so that the yield is that promise:
 * true when `fastPath` would return the plain microtask of
 * {@linkcode resolved} (the scope is not cancelled, and this is not the
 * fast path that goes through `checkpoint()`), and then it counts as one;
 * false, counting nothing, when the caller must take the usual way.
 */
export function fastPathNow(scope: CancelScope | undefined): boolean {
  if (fastPaths + 1 >= CHECKPOINT_EVERY) return false;
  if (cancellationOf(scope) !== undefined) return false;
  fastPaths++;
  return true;
}

/**
 * Whether `spare`, a node woken earlier and held by nobody else, can be the
 * node of a new wait of `handle` in `scope` (a primitive keeps the node of
 * the last wait it woke, a node less to allocate per item).
 */
export function fits(
  spare: WaitNode | undefined,
  scope: CancelScope | undefined,
  handle: object | undefined,
): spare is WaitNode {
  return spare !== undefined && spare.scope === scope &&
    spare.handle === handle;
}

/** How often a fast path goes through `checkpoint()` (see {@linkcode fastPath}). */
export const CHECKPOINT_EVERY = 32;
let fastPaths = 0;

/** The microtask yield of most fast paths. */
export const resolved: Promise<void> = Promise.resolve();

/** The rejection with the `Cancelled` pending in `scope`. */
export function cancelledWait(scope: CancelScope | undefined): Promise<never> {
  return Promise.reject(cancellationOf(scope));
}

export { currentScope };

/**
 * The rejection a wait returns for misuse (a second acquire, a closed
 * handle): the pending `Cancelled` comes first, as in Trio, whose waits
 * start with `checkpoint_if_cancelled()`.
 */
export function rejectMisuse(
  scope: CancelScope | undefined,
  error: unknown,
): Promise<never> {
  const cancelled = cancellationOf(scope);
  return Promise.reject(cancelled ?? error);
}
