// Copyright the corral authors. MIT license.
/**
 * What `Condition` needs from `Lock` beyond its public API: filled in by
 * the static block of `Lock`, which alone touches its private fields.
 *
 * @module
 */
import type { Lock } from "./lock.ts";
import type { WaitNode } from "./_wait.ts";

/** The operations `Lock` lends to `Condition`. */
export interface LockInternals {
  /** The task holding `lock`, if any. */
  ownerOf(lock: Lock): object | undefined;
  /**
   * Puts a waiter at the back of the lock's queue (Trio's `repark`): it
   * wakes owning the lock. `node.value` is its task.
   */
  enqueue(lock: Lock, node: WaitNode): void;
}

/** Filled in when `lock.ts` is evaluated. */
export const lockInternals = {} as LockInternals;
