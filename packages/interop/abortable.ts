// Copyright the corral authors. MIT license.
import type { Cancelled } from "@corral/scope";
import {
  cancellationOf,
  checkOptions,
  currentScope,
  onCancelled,
} from "@corral/scope/plumbing";
import type { Outcome } from "./_wait.ts";
import { checkBoolean, checkFunction } from "./_validate.ts";

/** Options for {@linkcode abortable}. */
export interface AbortableOptions {
  /**
   * On cancellation, abort the signal and return at once instead of waiting
   * for the foreign promise to settle (anyio's `abandon_on_cancel`). Only
   * for work without side effects you need to wait for; its later
   * rejection is swallowed, so it is never unhandled. @default {false}
   */
  abandon?: boolean;
}

/**
 * Runs foreign `AbortSignal`-aware code under the current scope: `fn` gets a
 * signal that aborts, with the scope's `Cancelled` as its reason, when the
 * scope is cancelled. Like `@std/async`'s `abortable`, but the signal comes
 * from the scope tree and the promise is awaited, not dropped.
 *
 * Cancellation is translated the way trio-asyncio does it (semantics
 * cases 154 and 156), asymmetrically:
 *
 * - On cancel, the signal aborts and `abortable` waits until the promise
 *   settles (the foreign cleanup runs to its end), or returns at once with
 *   `abandon: true`.
 * - A rejection after *our* abort becomes our `Cancelled`, which the scope
 *   that owns it absorbs.
 * - A rejection without our abort propagates as itself, even an
 *   `AbortError`: a foreign cancellation never cancels a scope it does not
 *   own (the awaiting code is often not where the canceller lives).
 * - A value that arrived is returned, not thrown away, even when the
 *   cancellation came while it was on its way (Trio: "I guess it wasn't
 *   cancelled after all"); the next checkpoint throws.
 *
 * It is a checkpoint (rule 2 of docs/rules.md): in a cancelled scope it throws
 * without calling `fn`. The signal is this call's own, wired to the scope
 * through one scope waiter, so a thousand calls under one scope add no
 * listener to a shared signal. Outside any scope nothing can cancel it and
 * `fn` gets a signal that never aborts.
 *
 * @typeParam T The value of the foreign promise.
 * @param fn Foreign code; receives the signal to honour.
 * @param options Whether to abandon the promise on cancellation.
 * @returns What `fn` resolved with.
 * @throws {Cancelled} If the scope was cancelled before the call, or the
 * foreign promise rejected after our abort (or at once, with `abandon`).
 * @throws {TypeError} If `fn` is not a function or `abandon` not a boolean.
 *
 * @example Usage
 * ```ts
 * import { abortable } from "@corral/interop";
 * import { moveOnAfter } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * // Foreign code: settles when its signal aborts, like fetch().
 * function poll(signal: AbortSignal): Promise<string> {
 *   return new Promise((_resolve, reject) => {
 *     signal.addEventListener("abort", () => reject(signal.reason), { once: true });
 *   });
 * }
 * let stopped = false;
 * const result = await moveOnAfter(10, () =>
 *   abortable(async (signal) => {
 *     try {
 *       return await poll(signal);
 *     } finally {
 *       stopped = true; // the foreign cleanup ran before abortable returned
 *     }
 *   })
 * );
 * assert.equal(result, undefined); // the timeout's scope absorbed its Cancelled
 * assert.ok(stopped);
 * ```
 *
 * @example A foreign AbortError is not our cancellation
 * ```ts
 * import { abortable } from "@corral/interop";
 * import { CancelScope } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * const scope = new CancelScope();
 * await assert.rejects(
 *   scope.run(() =>
 *     abortable(() => Promise.reject(new DOMException("gone", "AbortError")))
 *   ),
 *   { name: "AbortError" },
 * );
 * assert.equal(scope.cancelCalled, false);
 * ```
 */
export function abortable<T>(
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  options?: AbortableOptions,
): Promise<T> {
  checkFunction("call abortable()", fn);
  checkOptions("call abortable()", options);
  const abandon = options?.abandon;
  checkBoolean("call abortable()", "abandon", abandon);
  const scope = currentScope();
  if (scope === undefined) {
    return callForeign(fn, new AbortController().signal);
  }
  const pending = cancellationOf(scope);
  if (pending !== undefined) return Promise.reject(pending);
  return runAbortable(fn, abandon ?? false);
}

async function callForeign<T>(
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  signal: AbortSignal,
): Promise<T> {
  return await fn(signal);
}

async function runAbortable<T>(
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  abandon: boolean,
): Promise<T> {
  const controller = new AbortController();
  /** Our abort; set only by the scope's callback, never by a foreign abort. */
  let ours: Cancelled | undefined;
  let stopWaiting: ((cancelled: Cancelled) => void) | undefined;
  const dispose = onCancelled(currentScope()!, (cancelled) => {
    ours = cancelled;
    controller.abort(cancelled);
    stopWaiting?.(cancelled);
  });
  let promise: PromiseLike<T>;
  try {
    promise = Promise.resolve(fn(controller.signal));
  } catch (error) {
    dispose();
    throw error;
  }
  const outcome = await new Promise<Outcome<T>>((resolve) => {
    // These handlers stay attached after an abandon: the foreign promise's
    // later rejection lands here and is never unhandled.
    promise.then(
      (value) => resolve({ kind: "value", value }),
      (error) => resolve({ kind: "error", error }),
    );
    if (!abandon) return; // wait for the foreign cleanup to finish
    // A value that arrived before the cancel, in the same turn, wins: its
    // reaction above is already queued, and this one goes behind it (as
    // without `abandon`, and Trio's "it wasn't cancelled after all").
    stopWaiting = (cancelled) =>
      queueMicrotask(() => resolve({ kind: "cancelled", cancelled }));
    if (ours !== undefined) stopWaiting(ours);
  });
  dispose();
  if (outcome.kind === "value") return outcome.value;
  if (outcome.kind === "cancelled") throw outcome.cancelled;
  if (ours !== undefined) throw ours; // a rejection after our abort
  throw outcome.error;
}
