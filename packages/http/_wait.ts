// Copyright the corral authors. MIT license.
/**
 * How `serve` waits on its server and its grace period: a promise raced
 * against the cancellation of the current scope, built on the workspace's
 * one wait routine, `park` (one callback on the scope, removed in O(1);
 * never a listener on an `AbortSignal`).
 *
 * @module
 */
import type { Cancelled } from "@corral/scope";
import { park } from "@corral/scope/plumbing";

/** How a wait ended; {@linkcode settleOrCancel} never rejects. */
export type Outcome<T> =
  | { kind: "value"; value: T }
  | { kind: "error"; error: unknown }
  | { kind: "cancelled"; cancelled: Cancelled };

/**
 * Waits until `promise` settles or the current scope becomes cancelled,
 * whichever is first, and says which; a cancellation already pending is
 * reported at once. `promise` always has a handler, so its later rejection
 * is never unhandled.
 */
export async function settleOrCancel<T>(
  promise: PromiseLike<T>,
): Promise<Outcome<T>> {
  const settled = Promise.resolve(promise).then(
    (value): Outcome<T> => ({ kind: "value", value }),
    (error): Outcome<T> => ({ kind: "error", error }),
  );
  try {
    // Nothing to take out of a queue on cancel: a late wake is ignored.
    return await park<Outcome<T>>((wake) => void settled.then(wake));
  } catch (cancelled) {
    return { kind: "cancelled", cancelled: cancelled as Cancelled };
  }
}
