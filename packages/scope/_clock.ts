// Copyright the corral authors. MIT license.
/**
 * Clocks and their deadline queues. Internal: none of this is for users.
 *
 * Every active scope with a finite deadline has one entry in its clock's
 * queue, an indexed binary min-heap, so moving or dropping a deadline is
 * O(log n) and the earliest deadline is O(1). A clock arms at most ONE timer
 * (the real clock: one `setTimeout` for the earliest deadline; the mock clock:
 * none, or one idle check with autojump), so 100,000 scopes with deadlines
 * hold one timer between them, and a scope without a deadline costs none
 * (rule 6 of docs/rules.md).
 *
 * @module
 */

/** A deadline in a clock's queue. `index` is its place in the heap, -1 when out. */
export interface DeadlineEntry {
  /** When to expire, on the clock's time. */
  deadline: number;
  /** The entry's place in the clock's heap; -1 while not queued. */
  index: number;
  /** Called once, when the clock passes `deadline`; the entry is out by then. */
  expire(): void;
}

/** A source of time plus the queue of deadlines measured on it. */
export abstract class Clock {
  #heap: DeadlineEntry[] = [];

  /** The current time on this clock, in milliseconds. */
  abstract now(): number;

  /**
   * Arranges for `expireDue()` to run once the clock reaches `time`, or
   * cancels the arrangement when `time` is `undefined` (no deadlines left).
   * Called only when the earliest deadline changed.
   */
  protected abstract wakeAt(time: number | undefined): void;

  /** The earliest deadline in the queue, `Infinity` when empty. */
  get nextDeadline(): number {
    return this.#heap[0]?.deadline ?? Infinity;
  }

  /** How many deadlines are queued. */
  get pending(): number {
    return this.#heap.length;
  }

  /** Adds `entry`, or moves it if it is already queued. */
  schedule(entry: DeadlineEntry): void {
    const before = this.nextDeadline;
    const heap = this.#heap;
    if (entry.index < 0) {
      entry.index = heap.length;
      heap.push(entry);
    }
    this.#siftUp(entry.index);
    this.#siftDown(entry.index);
    if (this.nextDeadline !== before) this.wakeAt(this.nextDeadline);
  }

  /** Removes `entry` if it is queued. */
  unschedule(entry: DeadlineEntry): void {
    if (entry.index < 0) return;
    const before = this.nextDeadline;
    this.#removeAt(entry.index);
    const after = this.nextDeadline;
    if (after !== before) this.wakeAt(after === Infinity ? undefined : after);
  }

  /**
   * Expires every deadline that has passed (a deadline equal to `now()` has
   * passed: rule 4 of docs/rules.md), earliest first. Cheap when nothing is due, so
   * every checkpoint calls it: a checkpoint past a deadline throws even if
   * the timer has not fired yet (Trio `test_yield_briefly_checks_for_timeout`).
   */
  expireDue(): void {
    const heap = this.#heap;
    if (heap.length === 0) return;
    const before = heap[0]!.deadline;
    const now = this.now();
    if (before > now) return;
    while (heap.length > 0 && heap[0]!.deadline <= now) {
      const entry = heap[0]!;
      this.#removeAt(0);
      entry.expire();
    }
    const after = this.nextDeadline;
    if (after !== before) this.wakeAt(after === Infinity ? undefined : after);
  }

  #removeAt(index: number): void {
    const heap = this.#heap;
    const removed = heap[index]!;
    const last = heap.pop()!;
    removed.index = -1;
    if (last !== removed) {
      heap[index] = last;
      last.index = index;
      this.#siftUp(index);
      this.#siftDown(last.index);
    }
  }

  #siftUp(index: number): void {
    const heap = this.#heap;
    const entry = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (parent.deadline <= entry.deadline) break;
      heap[index] = parent;
      parent.index = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry.index = index;
  }

  #siftDown(index: number): void {
    const heap = this.#heap;
    const entry = heap[index]!;
    const length = heap.length;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      const right = child + 1;
      if (right < length && heap[right]!.deadline < heap[child]!.deadline) {
        child = right;
      }
      const smallest = heap[child]!;
      if (smallest.deadline >= entry.deadline) break;
      heap[index] = smallest;
      smallest.index = index;
      index = child;
    }
    heap[index] = entry;
    entry.index = index;
  }
}

/**
 * Counts the macrotask turns that checkpoints asked for (counted when asked,
 * not when run). A mock clock with autojump reads it to tell a busy program
 * from an idle one.
 */
export const activity: { turns: number } = { turns: 0 };

/** Wall time from `performance.now()`, with one `setTimeout` for all deadlines. */
class RealClock extends Clock {
  #timer: ReturnType<typeof setTimeout> | undefined;

  now(): number {
    return performance.now();
  }

  protected wakeAt(time: number | undefined): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (time === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.expireDue();
      // A timer may fire a little before performance.now() reaches the
      // deadline; if nothing was due, arm again for the rest.
      if (this.#timer === undefined && this.pending > 0) {
        this.wakeAt(this.nextDeadline);
      }
    }, Math.max(0, Math.min(time - this.now(), 2 ** 31 - 1)));
  }
}

/** The clock of every scope not inside `MockClock.run`. */
export const realClock: Clock = new RealClock();

/**
 * Schedules `callback` as a macrotask that runs after pending I/O and timers
 * get their turn: `setImmediate` where it exists (Deno, Node, Bun; on Deno
 * 2.1 from `node:timers`), else a `MessageChannel` message (browsers), else
 * `setTimeout(0)`. Turns run in the order they were asked for.
 *
 * @param callback What to run.
 * @returns A function that cancels the turn if it has not run yet.
 *
 * @example Usage
 * ```ts
 * import { queueMacrotask } from "@corral/scope/plumbing";
 * import assert from "node:assert/strict";
 *
 * const order: string[] = [];
 * const turn = new Promise<void>((resolve) =>
 *   queueMacrotask(() => {
 *     order.push("macrotask");
 *     resolve();
 *   })
 * );
 * queueMicrotask(() => order.push("microtask"));
 * await turn;
 * assert.deepEqual(order, ["microtask", "macrotask"]);
 * ```
 */
export const queueMacrotask: (callback: () => void) => () => void =
  macrotaskQueue(globalThis as MacrotaskRuntime);

/** The globals `macrotaskQueue` looks for. */
export interface MacrotaskRuntime {
  setImmediate?: (fn: () => void) => unknown;
  clearImmediate?: (handle: unknown) => void;
  MessageChannel?: typeof MessageChannel;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  process?: { getBuiltinModule?: (name: string) => unknown };
}

/**
 * `queueMacrotask` for a runtime with the given globals. Turns run in the
 * order they were asked for (the mock clock's idle check relies on it):
 * `setImmediate` and `setTimeout(0)` keep that order, and so do messages on
 * one port, but messages on two ports have none. So the `MessageChannel`
 * fallback posts every turn to one channel, kept open while a turn is
 * pending (an open port keeps a program alive).
 */
export function macrotaskQueue(
  runtime: MacrotaskRuntime,
): (callback: () => void) => () => void {
  // Deno 2.1 has no global `setImmediate`, and its MessagePort delivers a
  // message already queued between the microtasks of the turn before, not
  // after them; `node:timers` has a real one.
  const timers = runtime.setImmediate === undefined
    ? runtime.process?.getBuiltinModule?.("node:timers") as
      | MacrotaskRuntime
      | undefined
    : runtime;
  if (typeof timers?.setImmediate === "function") {
    const set = timers.setImmediate, clear = timers.clearImmediate!;
    return (callback: () => void) => {
      const handle = set(callback);
      return () => clear(handle);
    };
  }
  const Channel = runtime.MessageChannel;
  if (typeof Channel === "function") {
    let channel: MessageChannel | undefined;
    const turns: { callback: (() => void) | undefined }[] = [];
    let next = 0;
    const runNext = () => {
      const turn = turns[next++]!;
      if (next === turns.length) {
        turns.length = next = 0;
        channel!.port1.close();
        channel!.port2.close();
        channel = undefined;
      }
      turn.callback?.();
    };
    return (callback: () => void) => {
      if (channel === undefined) {
        channel = new Channel();
        channel.port1.onmessage = runNext;
      }
      const turn: { callback: (() => void) | undefined } = { callback };
      turns.push(turn);
      channel.port2.postMessage(null);
      return () => {
        turn.callback = undefined;
      };
    };
  }
  const set = runtime.setTimeout!, clear = runtime.clearTimeout!;
  return (callback: () => void) => {
    const handle = set(callback, 0);
    return () => clear(handle);
  };
}
