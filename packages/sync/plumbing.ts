// Copyright the corral authors. MIT license.
/**
 * The plumbing of `@corral/sync`, for packages that build on it (a task
 * group that queues its tasks behind a `CapacityLimiter`, a stream that
 * reads a channel). Application code uses the public API.
 *
 * Every export is documented and versioned with the package: a change is a
 * breaking change of `@corral/sync`.
 *
 * @module
 */
import type { CapacityLimiter } from "./capacity_limiter.ts";
import { Receiver } from "./channel.ts";
import { channelInternals } from "./_channel_internals.ts";
import { limiterInternals } from "./_limiter_internals.ts";
import { checkCallback, show } from "./_validate.ts";
import { currentScope, fits, wait, WaitNode, WaitQueue } from "./_wait.ts";

/**
 * Queues `borrower` for a token of `limiter` without a promise and without
 * a scope: `granted()` is called (once, synchronously, from whatever
 * returned the token or raised `total`) when `borrower` holds a token, to
 * be returned with `limiter.release(borrower)`. The queue is the limiter's
 * own, FIFO with every other waiter; if a token is free and nobody waits,
 * `granted()` is called before `waitForToken` returns.
 *
 * The returned function withdraws the wait: true if it was still waiting
 * (it holds nothing and leaves no trace, rule 17), false if the token was
 * already granted (then `borrower` holds it). A task group calls it when
 * its scope is cancelled.
 *
 * @param limiter The limiter.
 * @param borrower Who will hold the token.
 * @param granted Called once the token is `borrower`'s.
 * @returns Withdraws the wait.
 * @throws {Error} If `borrower` already holds a token.
 *
 * @example Usage
 * ```ts
 * import { CapacityLimiter } from "@corral/sync";
 * import { waitForToken } from "@corral/sync/plumbing";
 * import assert from "node:assert/strict";
 *
 * const limiter = new CapacityLimiter(1);
 * const log: string[] = [];
 * waitForToken(limiter, "a", () => log.push("a"));
 * const withdraw = waitForToken(limiter, "b", () => log.push("b"));
 * assert.deepEqual(log, ["a"]);
 * assert.equal(withdraw(), true); // b leaves the queue
 * limiter.release("a");
 * assert.deepEqual(log, ["a"]);
 * assert.equal(limiter.borrowed, 0);
 * ```
 */
export function waitForToken(
  limiter: CapacityLimiter,
  borrower: unknown,
  granted: () => void,
): () => boolean {
  return limiterInternals.waitForToken(limiter, borrower, granted);
}

/**
 * Trio's `ParkingLot` (`trio.lowlevel`): a FIFO of tasks waiting for
 * something only the code that owns the lot knows about, with no state of
 * its own. The waits of this package are built on the same queue and wait
 * node; this is the same wait for a sibling package (`produce()` waits in
 * one for the consumer's demand).
 *
 * `park()` is a checkpoint (rule 1): it rejects at once with the
 * `Cancelled` of a cancelled scope, and a wait whose scope is cancelled
 * leaves the lot at once (rule 17) and rejects. A blocked `park()` is one
 * node and its promise, with no closure.
 *
 * @example Usage
 * ```ts
 * import { ParkingLot } from "@corral/sync/plumbing";
 * import assert from "node:assert/strict";
 *
 * const lot = new ParkingLot();
 * const parked = lot.park();
 * assert.equal(lot.size, 1);
 * assert.equal(lot.unpark(), true);
 * await parked;
 * assert.equal(lot.unpark(), false); // nobody waits
 *
 * const failing = lot.park();
 * lot.failAll(new Error("closed"));
 * await assert.rejects(failing, /closed/);
 * ```
 */
export class ParkingLot {
  readonly #queue: WaitQueue = new WaitQueue(this, "", "");
  /**
   * The node of the last wait `unpark()` woke: out of the queue, watching
   * nothing, its promise settled, and held by nobody else. The next
   * `park()` from the same scope takes it instead of a new node (one
   * producer parks in its own scope once an item in `produce()`).
   */
  #spare: WaitNode | undefined = undefined;

  /** How many waits are parked here. */
  get size(): number {
    return this.#queue.size;
  }

  /**
   * Waits until `unpark()` wakes this wait, `failAll()` fails it, or the
   * current scope is cancelled.
   *
   * @returns Resolves when unparked.
   */
  park(): Promise<void> {
    const scope = currentScope();
    let node = this.#spare;
    if (fits(node, scope, undefined)) this.#spare = undefined;
    else node = new WaitNode(scope, undefined, undefined);
    return wait(this.#queue, node);
  }

  /**
   * Wakes the oldest parked wait.
   *
   * @returns Whether there was one.
   */
  unpark(): boolean {
    const node = this.#queue.shift();
    if (node === undefined) return false;
    node.wake(undefined);
    this.#spare = node;
    return true;
  }

  /**
   * Fails every parked wait with `error` (a wait parked later is not
   * affected).
   *
   * @param error What the waits reject with.
   */
  failAll(error: unknown): void {
    for (let node; (node = this.#queue.shift()) !== undefined;) {
      node.fail(error);
    }
  }
}

/**
 * For a stream built on a channel (`produce()`): the promise its `next()`
 * can return when `receiver.receive()` would hand an item over at once,
 * with no more than the microtask yield of every fast path. The item is
 * taken and comes as an iterator result in one promise, where
 * `receive().then(...)` takes two promises and one more microtask turn.
 *
 * `undefined`, with nothing taken, when `receive()` would do anything else:
 * wait for an item, fail (a closed handle, the end of the channel, a
 * cancelled scope: rule 1 holds, since `receive()` then rejects), or go
 * through `checkpoint()` (every 32nd fast path does, rule 2). Then call
 * `receive()`: a decline counts nothing, so asking `receiveReady` again
 * instead would decline again. A thenable item is adopted first, as the
 * promise of `receive()` adopts it; `onRejected` gets its rejection.
 *
 * @typeParam T The items.
 * @param receiver The receive handle.
 * @param onRejected Handles the rejection of a thenable item.
 * @returns The promise of the iterator result, or `undefined`.
 * @throws {TypeError} If `receiver` is not a `Receiver`, or `onRejected`
 * not a function.
 *
 * @example Usage
 * ```ts
 * import { openChannel } from "@corral/sync";
 * import { receiveReady } from "@corral/sync/plumbing";
 * import assert from "node:assert/strict";
 *
 * const [sender, receiver] = openChannel<string>(1);
 * const fail = (error: unknown): never => {
 *   throw error;
 * };
 * assert.equal(receiveReady(receiver, fail), undefined); // nothing buffered
 * sender.trySend("a");
 * assert.deepEqual(await receiveReady(receiver, fail), {
 *   done: false,
 *   value: "a",
 * });
 * ```
 */
export function receiveReady<T>(
  receiver: Receiver<T>,
  onRejected: (
    error: unknown,
  ) => IteratorResult<T> | Promise<IteratorResult<T>>,
): Promise<IteratorResult<T>> | undefined {
  if (!(receiver instanceof Receiver)) {
    throw new TypeError(
      `Cannot receive ready item: 'receiver' must be a Receiver: current value is ${
        show(receiver)
      }`,
    );
  }
  checkCallback("receive ready item", onRejected, "onRejected");
  return channelInternals.receiveReady(receiver, onRejected);
}
