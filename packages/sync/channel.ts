// Copyright the corral authors. MIT license.
import {
  BrokenResourceError,
  ClosedResourceError,
  EndOfChannel,
  WouldBlock,
} from "./errors.ts";
import { checkCount, checkName, checkOptions, label } from "./_validate.ts";
import { channelInternals } from "./_channel_internals.ts";
import {
  cancelledWait,
  currentScope,
  fastPath,
  fastPathNow,
  fits,
  noWaiters,
  rejectMisuse,
  resolved,
  wait,
  WaitNode,
  WaitQueue,
} from "./_wait.ts";

/** Options for {@linkcode openChannel}. */
export interface ChannelOptions {
  /** Shown in errors and by the task tree ("sending on channel "jobs""). @default {""} */
  name?: string;
}

/** What `statistics()` of either end of a channel returns. */
export interface ChannelStatistics {
  /** How many items are in the buffer. */
  bufferUsed: number;
  /** The most items the buffer has held at once. */
  peakBufferUsed: number;
  /** The capacity given to `openChannel`. */
  capacity: number;
  /** How many send handles (clones included) are open. */
  openSenders: number;
  /** How many receive handles (clones included) are open. */
  openReceivers: number;
  /** How many sends wait. */
  tasksWaitingSend: number;
  /** How many receives wait. */
  tasksWaitingReceive: number;
}

/** Nothing was taken (an item can be `undefined`). */
const NOTHING: unique symbol = Symbol("nothing");

/**
 * The state both ends share: the buffer, the waiters, the open handles.
 *
 * Invariants (Trio's `MemoryChannelState`): receivers wait only while the
 * buffer is empty and no sender waits; senders wait only while the buffer
 * is full (and no receiver waits). So at most one of the two queues holds
 * waiters.
 */
class ChannelState<T> {
  readonly name: string;
  readonly capacity: number;
  /**
   * The buffer: live items are `items[head..]`. Made on the first item, and
   * the queues on the first wait, so an idle channel stays small.
   */
  items: T[] | undefined = undefined;
  head = 0;
  peak = 0;
  senders = 1;
  receivers = 1;
  sendWaiters: WaitQueue = noWaiters;
  receiveWaiters: WaitQueue = noWaiters;
  /**
   * The node of the last receive `deliver` woke: out of the queue, watching
   * nothing, its promise settled, and held by nobody else. The next
   * blocked receive of the same receiver in the same scope takes it instead
   * of a new node (a consumer that waits for every item, as `produce()`
   * with no buffer does). The same for blocked sends measured no faster.
   */
  spareReceive: WaitNode | undefined = undefined;

  constructor(capacity: number, name: string) {
    this.capacity = capacity;
    this.name = name;
  }

  /** The queue of blocked sends, made on the first one. */
  sendQueue(): WaitQueue {
    if (this.sendWaiters === noWaiters) {
      this.sendWaiters = new WaitQueue(this, "sending on channel", this.name);
    }
    return this.sendWaiters;
  }

  /** The queue of blocked receives, made on the first one. */
  receiveQueue(): WaitQueue {
    if (this.receiveWaiters === noWaiters) {
      this.receiveWaiters = new WaitQueue(
        this,
        "receiving on channel",
        this.name,
      );
    }
    return this.receiveWaiters;
  }

  get used(): number {
    return this.items === undefined ? 0 : this.items.length - this.head;
  }

  push(item: T): void {
    const used = (this.items ??= []).push(item) - this.head;
    if (used > this.peak) this.peak = used;
  }

  shift(): T {
    const items = this.items!;
    const item = items[this.head]!;
    items[this.head++] = undefined!;
    if (this.head === items.length) {
      items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= items.length) {
      items.splice(0, this.head); // `shift()` would copy on every call
      this.head = 0;
    }
    return item;
  }

  /**
   * Hands `item` to the longest live receiver, or puts it in the buffer.
   * False when neither can take it.
   */
  deliver(item: T): boolean {
    const receiver = this.receiveWaiters.shiftLive();
    if (receiver !== undefined) {
      receiver.wake(item);
      this.spareReceive = receiver;
      return true;
    }
    if (this.used < this.capacity) {
      this.push(item);
      return true;
    }
    return false;
  }

  /**
   * Takes the next item: the buffer's head (then a blocked sender's item
   * moves into the freed slot), or a blocked sender's item directly (no
   * buffer). `NOTHING` when there is none.
   */
  take(): T | typeof NOTHING {
    if (this.used > 0) {
      const item = this.shift();
      const sender = this.sendWaiters.shiftLive();
      if (sender !== undefined) {
        this.push(sender.value as T);
        sender.wake(undefined);
      }
      return item;
    }
    const sender = this.sendWaiters.shiftLive();
    if (sender === undefined) return NOTHING;
    sender.wake(undefined);
    return sender.value as T;
  }

  /** Fails the waiters of `queue` (those of `handle` only, if given). */
  failWaiters(queue: WaitQueue, error: () => Error, handle?: object): void {
    for (const node of queue.nodes()) {
      if (handle !== undefined && node.handle !== handle) continue;
      queue.remove(node);
      node.fail(error());
    }
  }

  statistics(): ChannelStatistics {
    return {
      bufferUsed: this.used,
      peakBufferUsed: this.peak,
      capacity: this.capacity,
      openSenders: this.senders,
      openReceivers: this.receivers,
      tasksWaitingSend: this.sendWaiters.size,
      tasksWaitingReceive: this.receiveWaiters.size,
    };
  }

  describe(end: string): string {
    return `channel${label(this.name)} ${end}`;
  }
}

/**
 * Opens a memory channel (Trio's `open_memory_channel`): returns its send
 * end and its receive end. `capacity` items can wait in the buffer: `send`
 * waits while it is full, `receive` while it is empty. Capacity 0 (the
 * default to reach for) is a rendezvous: every `send` waits for a
 * `receive`. `Infinity` is allowed and gives up backpressure.
 *
 * Items go out in the order they came in, each to exactly one receiver,
 * and waiters are served in order: an item sent while receivers wait goes
 * to the one that waited longest; a slot freed in a full buffer goes to
 * the sender that waited longest.
 *
 * Every `send` and `receive` is a checkpoint (rule 17): it throws
 * `Cancelled` in a cancelled scope even when it would not wait, and a
 * cancelled `send` did not deliver its item, a cancelled `receive` took
 * none. `close()` is not a checkpoint.
 *
 * Ending: when every send handle (clones included) is closed and the
 * buffer is drained, `receive()` throws `EndOfChannel` and `for await`
 * ends. When every receive handle is closed, the buffer is dropped and
 * `send()` throws `BrokenResourceError`.
 *
 * @typeParam T The items.
 * @param capacity How many items the buffer holds: a non-negative integer
 * or `Infinity`. @default {0}
 * @param options The channel's name.
 * @returns `[sender, receiver]`.
 * @throws {RangeError} If `capacity` is not a non-negative integer or
 * `Infinity`.
 *
 * @example A producer and a consumer
 * ```ts
 * import { openChannel } from "@corral/sync";
 * import { taskGroup } from "@corral/taskgroup";
 * import assert from "node:assert/strict";
 *
 * const [sender, receiver] = openChannel<number>(0, { name: "numbers" });
 * const got: number[] = [];
 * await taskGroup((group) => {
 *   group.spawn(async () => {
 *     for (let i = 0; i < 3; i++) await sender.send(i);
 *     sender.close();
 *   });
 *   group.spawn(async () => {
 *     for await (const n of receiver) got.push(n);
 *   });
 * });
 * assert.deepEqual(got, [0, 1, 2]);
 * ```
 */
export function openChannel<T>(
  capacity = 0,
  options?: ChannelOptions,
): [sender: Sender<T>, receiver: Receiver<T>] {
  checkOptions("open channel", options);
  const name = checkName("open channel", options?.name);
  checkCount(`open channel${label(name)}`, "capacity", capacity, true);
  const state = new ChannelState<T>(capacity, name);
  return [new Sender(state as never), new Receiver(state as never)];
}

/**
 * The send end of a memory channel, made by {@linkcode openChannel}.
 *
 * @typeParam T The items.
 *
 * @example Usage
 * ```ts
 * import { openChannel } from "@corral/sync";
 * import assert from "node:assert/strict";
 *
 * const [sender, receiver] = openChannel<string>(1);
 * assert.ok(sender.trySend("a"));
 * assert.ok(!sender.trySend("b")); // full
 * assert.equal(await receiver.receive(), "a");
 * ```
 */
export class Sender<T> {
  readonly #state: ChannelState<T>;
  #closed = false;

  /**
   * Made by {@linkcode openChannel} and {@linkcode Sender.clone}.
   *
   * @param state The channel's shared state (not for user code).
   */
  constructor(state: never);
  constructor(state: ChannelState<T>) {
    if (!(state instanceof ChannelState)) {
      throw new TypeError(
        "Cannot create Sender: channel ends are made by openChannel()",
      );
    }
    this.#state = state;
  }

  /** The channel's name. */
  get name(): string {
    return this.#state.name;
  }

  /** Whether this handle was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends `item`: hands it to a waiting receiver, or puts it in the
   * buffer, or waits for room. A checkpoint; a cancelled send did not
   * deliver.
   *
   * @param item The item.
   * @returns When the item is delivered or buffered.
   * @throws {ClosedResourceError} If this handle is closed (rejects).
   * @throws {BrokenResourceError} If every receiver is closed (rejects).
   */
  send(item: T): Promise<void> {
    const scope = currentScope();
    const state = this.#state;
    if (this.#closed || state.receivers === 0) {
      return rejectMisuse(scope, this.#refusal());
    }
    if (state.receiveWaiters.size > 0 || state.used < state.capacity) {
      const yielding = fastPath(scope);
      if (yielding === undefined) return cancelledWait(scope);
      if (state.deliver(item)) return yielding;
    }
    return wait<void>(state.sendQueue(), new WaitNode(scope, item, this));
  }

  /**
   * Sends `item` if that needs no wait. Not a checkpoint.
   *
   * @param item The item.
   * @returns True if delivered or buffered, false if the buffer is full.
   * @throws {ClosedResourceError} If this handle is closed.
   * @throws {BrokenResourceError} If every receiver is closed.
   */
  trySend(item: T): boolean {
    if (this.#closed || this.#state.receivers === 0) throw this.#refusal();
    return this.#state.deliver(item);
  }

  /**
   * Another send handle on the same channel; the channel's receivers see
   * `EndOfChannel` only when every send handle is closed.
   *
   * @returns A new open send handle.
   * @throws {ClosedResourceError} If this handle is closed.
   */
  clone(): Sender<T> {
    if (this.#closed) {
      throw new ClosedResourceError(
        `Cannot clone ${this.#state.describe("sender")}: it is closed`,
      );
    }
    this.#state.senders++;
    return new Sender(this.#state as never);
  }

  /**
   * Closes this handle: its blocked sends fail with
   * `ClosedResourceError`; if it was the last send handle, receivers get
   * `EndOfChannel` once the buffer is drained. Idempotent; not a
   * checkpoint.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const state = this.#state;
    state.senders--;
    state.failWaiters(
      state.sendWaiters,
      () =>
        new ClosedResourceError(
          `Cannot send on ${
            state.describe("sender")
          }: it was closed while the send waited`,
        ),
      this,
    );
    if (state.senders === 0) {
      state.failWaiters(
        state.receiveWaiters,
        () =>
          new EndOfChannel(
            `${state.describe("ended")}: every sender is closed`,
          ),
      );
    }
  }

  /** Closes this handle (`using sender = ...`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * The buffer, the handles and the waiters.
   *
   * @returns A fresh snapshot.
   */
  statistics(): ChannelStatistics {
    return this.#state.statistics();
  }

  /** `Sender "jobs" (open, 3/64 buffered)`. */
  toString(): string {
    return `Sender${label(this.#state.name)} (${
      this.#closed ? "closed" : "open"
    }, ${this.#state.used}/${this.#state.capacity} buffered)`;
  }

  #refusal(): Error {
    const state = this.#state;
    return this.#closed
      ? new ClosedResourceError(
        `Cannot send on ${state.describe("sender")}: it is closed`,
      )
      : new BrokenResourceError(
        `Cannot send on ${state.describe("sender")}: every receiver is closed`,
      );
  }
}

/**
 * The receive end of a memory channel, made by {@linkcode openChannel}.
 * `for await (const item of receiver)` receives until `EndOfChannel`;
 * leaving the loop early (`break`, a throw) does not close the handle,
 * so another loop can go on receiving: close it yourself, or with
 * `using`, when this end is done (Trio's `async for` does not close
 * either).
 *
 * @typeParam T The items.
 *
 * @example Usage
 * ```ts
 * import { openChannel, WouldBlock } from "@corral/sync";
 * import assert from "node:assert/strict";
 *
 * const [sender, receiver] = openChannel<string>(Infinity);
 * await sender.send("a");
 * sender.close();
 * assert.equal(receiver.tryReceive(), "a");
 * const rest: string[] = [];
 * for await (const item of receiver) rest.push(item);
 * assert.deepEqual(rest, []);
 * ```
 */
export class Receiver<T> implements AsyncIterable<T> {
  readonly #state: ChannelState<T>;
  #closed = false;

  /**
   * Made by {@linkcode openChannel} and {@linkcode Receiver.clone}.
   *
   * @param state The channel's shared state (not for user code).
   */
  constructor(state: never);
  constructor(state: ChannelState<T>) {
    if (!(state instanceof ChannelState)) {
      throw new TypeError(
        "Cannot create Receiver: channel ends are made by openChannel()",
      );
    }
    this.#state = state;
  }

  /** The channel's name. */
  get name(): string {
    return this.#state.name;
  }

  /** Whether this handle was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Receives the next item, waiting for one if needed. A checkpoint; a
   * cancelled receive took no item.
   *
   * @returns The item.
   * @throws {EndOfChannel} When every sender is closed and the buffer is
   * drained (rejects).
   * @throws {ClosedResourceError} If this handle is closed (rejects).
   */
  receive(): Promise<T> {
    const scope = currentScope();
    const state = this.#state;
    if (this.#closed) return rejectMisuse(scope, this.#closedError());
    if (state.used > 0 || state.sendWaiters.size > 0) {
      const yielding = fastPath(scope);
      if (yielding === undefined) return cancelledWait(scope);
      const item = state.take();
      if (item !== NOTHING) {
        return yielding === resolved
          ? Promise.resolve(item)
          : yielding.then(() => item);
      }
    }
    if (state.senders === 0) return rejectMisuse(scope, this.#endError());
    let node = state.spareReceive;
    if (fits(node, scope, this)) state.spareReceive = undefined;
    else node = new WaitNode(scope, undefined, this);
    return wait<T>(state.receiveQueue(), node);
  }

  /**
   * Receives the next item if there is one now. Not a checkpoint.
   *
   * @returns The item.
   * @throws {WouldBlock} If no item is ready.
   * @throws {EndOfChannel} When every sender is closed and the buffer is
   * drained.
   * @throws {ClosedResourceError} If this handle is closed.
   */
  tryReceive(): T {
    if (this.#closed) throw this.#closedError();
    const item = this.#state.take();
    if (item !== NOTHING) return item;
    if (this.#state.senders === 0) throw this.#endError();
    throw new WouldBlock(
      `Cannot receive from ${
        this.#state.describe("receiver")
      } now: no item is ready`,
    );
  }

  /**
   * Another receive handle on the same channel. Clones compete for items
   * (each item goes to one of them), they do not each get a copy.
   *
   * @returns A new open receive handle.
   * @throws {ClosedResourceError} If this handle is closed.
   */
  clone(): Receiver<T> {
    if (this.#closed) {
      throw new ClosedResourceError(
        `Cannot clone ${this.#state.describe("receiver")}: it is closed`,
      );
    }
    this.#state.receivers++;
    return new Receiver(this.#state as never);
  }

  /**
   * Closes this handle: its blocked receives fail with
   * `ClosedResourceError`; if it was the last receive handle, the buffer
   * is dropped and senders get `BrokenResourceError`. Idempotent; not a
   * checkpoint.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const state = this.#state;
    state.receivers--;
    state.failWaiters(
      state.receiveWaiters,
      () =>
        new ClosedResourceError(
          `Cannot receive from ${
            state.describe("receiver")
          }: it was closed while the receive waited`,
        ),
      this,
    );
    if (state.receivers === 0) {
      state.items = undefined;
      state.head = 0;
      state.failWaiters(
        state.sendWaiters,
        () =>
          new BrokenResourceError(
            `Cannot send on ${
              state.describe("sender")
            }: every receiver is closed`,
          ),
      );
    }
  }

  /** Closes this handle (`using receiver = ...`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * The buffer, the handles and the waiters.
   *
   * @returns A fresh snapshot.
   */
  statistics(): ChannelStatistics {
    return this.#state.statistics();
  }

  /**
   * Receives until `EndOfChannel`. Each `next()` is a `receive()`;
   * `return()` (leaving the loop) does not close the handle.
   *
   * @returns An async iterator over the items.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () =>
        this.#receiveReady(endOnEndOfChannel) ??
          this.receive().then(yieldItem, endOnEndOfChannel),
      return: () => Promise.resolve({ done: true, value: undefined }),
    };
  }

  /**
   * A `next()` over this handle that `receive()` would answer at once,
   * with the plain microtask yield (`fastPathNow`: the scope is not
   * cancelled, and the checkpoint of rule 2 is not due): the item, taken,
   * as an iterator result in one promise, where `receive().then(...)`
   * takes two promises and one more microtask turn (a `for await` over a
   * buffered channel took 177–196 ns an item instead of 250 on Deno 2.9).
   * `undefined`, with nothing taken, in every other case: then `receive()`
   * waits, yields or fails as usual.
   *
   * A thenable item is adopted first, as the promise of `receive()` adopts
   * it (so its `then` is read here once, and again by the adoption);
   * `onRejected` gets its rejection.
   */
  #receiveReady(
    onRejected: (
      error: unknown,
    ) => IteratorResult<T> | Promise<IteratorResult<T>>,
  ): Promise<IteratorResult<T>> | undefined {
    const state = this.#state;
    if (this.#closed) return undefined;
    if (state.used === 0 && state.sendWaiters.size === 0) return undefined;
    if (!fastPathNow(currentScope())) return undefined;
    const item = state.take();
    if (item === NOTHING) return undefined;
    return adopts(item)
      ? Promise.resolve(item).then(yieldItem, onRejected)
      : Promise.resolve({ done: false, value: item });
  }

  static {
    channelInternals.receiveReady = (receiver, onRejected) =>
      receiver.#receiveReady(onRejected);
  }

  /** `Receiver "jobs" (open, 3/64 buffered)`. */
  toString(): string {
    return `Receiver${label(this.#state.name)} (${
      this.#closed ? "closed" : "open"
    }, ${this.#state.used}/${this.#state.capacity} buffered)`;
  }

  #closedError(): ClosedResourceError {
    return new ClosedResourceError(
      `Cannot receive from ${this.#state.describe("receiver")}: it is closed`,
    );
  }

  #endError(): EndOfChannel {
    return new EndOfChannel(
      `${this.#state.describe("ended")}: every sender is closed`,
    );
  }

  /**
   * One idle channel, its wait queues made and its buffer used once, kept
   * while this module lives. V8 keeps the hidden classes ("maps") that the
   * instances of a class share only while one of them is alive (the fields
   * are transitions from the class's first map, held weakly): without it, a
   * full collection with no channel alive dropped them, and every function
   * optimized for them was thrown away and optimized again.
   */
  static readonly #keepsLayoutAlive: unknown = ((state) => [
    new Sender(state as never),
    new Receiver(state as never),
  ])(usedState());
}

/** A channel's state with its queues made and its buffer used once. */
function usedState(): ChannelState<unknown> {
  const state = new ChannelState<unknown>(1, "");
  state.sendQueue();
  state.receiveQueue();
  state.push(undefined);
  state.shift();
  return state;
}

/**
 * Whether a promise resolved with `item` adopts it (`item` is a thenable),
 * or fails reading its `then`: never throws (rule 19).
 */
function adopts(item: unknown): boolean {
  if (typeof item !== "object" && typeof item !== "function") return false;
  if (item === null) return false;
  try {
    return typeof (item as { then?: unknown }).then === "function";
  } catch {
    return true;
  }
}

function yieldItem<T>(value: T): IteratorResult<T> {
  return { done: false, value };
}

function endOnEndOfChannel(error: unknown): IteratorResult<never> {
  if (error instanceof EndOfChannel) return { done: true, value: undefined };
  throw error;
}
