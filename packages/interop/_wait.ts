// Copyright the corral authors. MIT license.
/**
 * The one way this package waits on foreign work: a promise raced against
 * the cancellation of a scope, through a scope waiter (one entry in the
 * scope's own set), never a listener on an `AbortSignal` (O(n) add and
 * remove in Deno's `EventTarget`: the rawListeners row of cancel-blocked in docs/benchmarks.md).
 *
 * @module
 */
import type { Cancelled, CancelScope } from "@corral/scope";
import { cancellationOf, onCancelled } from "@corral/scope/plumbing";

/** How a wait ended; {@linkcode settleOrCancel} never rejects. */
export type Outcome<T> =
  | { kind: "value"; value: T }
  | { kind: "error"; error: unknown }
  | { kind: "cancelled"; cancelled: Cancelled };

/**
 * Waits until `promise` settles or `scope` becomes cancelled, whichever is
 * first, and says which. `onCancel` runs synchronously when the scope's
 * cancellation arrives while waiting (to abort the foreign work). A
 * cancellation already pending is reported at once. Handlers stay attached
 * to `promise`, so its later rejection is never unhandled. With no scope,
 * only settlement ends the wait.
 */
export function settleOrCancel<T>(
  scope: CancelScope | undefined,
  promise: PromiseLike<T>,
  onCancel?: (cancelled: Cancelled) => void,
): Promise<Outcome<T>> {
  return new Promise<Outcome<T>>((resolve) => {
    let dispose: (() => void) | undefined;
    let settled = false;
    promise.then(
      (value) => {
        settled = true;
        dispose?.();
        resolve({ kind: "value", value });
      },
      (error) => {
        settled = true;
        dispose?.();
        resolve({ kind: "error", error });
      },
    );
    // A thenable may call back synchronously: then there is nothing to wait.
    if (scope === undefined || settled) return;
    const pending = cancellationOf(scope);
    if (pending !== undefined) {
      onCancel?.(pending);
      resolve({ kind: "cancelled", cancelled: pending });
      return;
    }
    dispose = onCancelled(scope, (cancelled) => {
      dispose = undefined; // called once, and dropped by the scope
      onCancel?.(cancelled);
      resolve({ kind: "cancelled", cancelled });
    });
  });
}
