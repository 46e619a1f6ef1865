// Copyright the corral authors. MIT license.
import { CancelScope } from "@corral/scope";
import {
  checkFunction,
  checkName,
  checkOptions,
  checkSignal,
} from "./_validate.ts";

/** Options for {@linkcode fromSignal}. */
export interface FromSignalOptions {
  /** A label for the scope, in errors and the task tree. @default {"fromSignal"} */
  name?: string;
}

/**
 * Runs `fn` in a new scope, nested in the current one, that is cancelled
 * when an outside `AbortSignal` aborts: the way in from code that speaks
 * `AbortSignal` (a `Request`'s `signal`, a caller's `{ signal }` option).
 * Like `CancelScope.run`, with the scope's `cancel()` wired to the signal.
 *
 * The scope's `Cancelled` carries the signal's reason as its `reason`. The
 * scope owns that cancellation, so `fromSignal` then resolves with
 * `undefined` (as `moveOnAfter` does on timeout). A signal already aborted
 * cancels the scope before `fn` runs: `fn` runs up to its first checkpoint.
 *
 * At most one `abort` listener is added to the signal, and it is removed
 * when the scope exits, so a long-lived signal does not collect listeners
 * (Node #55311, Deno's O(n) `EventTarget`: the rawListeners row of cancel-blocked in docs/benchmarks.md).
 *
 * @typeParam T The result of `fn`.
 * @param signal The foreign signal.
 * @param fn Called with the new scope.
 * @param options The scope's name.
 * @returns `fn`'s result, or `undefined` if the signal's cancellation cut
 * it short.
 * @throws {TypeError} If `signal` is not an `AbortSignal` or `fn` is not a
 * function.
 *
 * @example Usage
 * ```ts
 * import { fromSignal } from "@corral/interop";
 * import { Cancelled, sleep } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * const controller = new AbortController();
 * setTimeout(() => controller.abort("user pressed stop"), 5);
 * let reason: unknown;
 * const result = await fromSignal(controller.signal, async () => {
 *   try {
 *     await sleep(10_000);
 *     return "finished";
 *   } catch (error) {
 *     if (error instanceof Cancelled) reason = error.reason;
 *     throw error;
 *   }
 * });
 * assert.equal(result, undefined);
 * assert.equal(reason, "user pressed stop");
 * ```
 */
export function fromSignal<T>(
  signal: AbortSignal,
  fn: (scope: CancelScope) => T | Promise<T>,
  options?: FromSignalOptions,
): Promise<T | undefined> {
  checkOptions("call fromSignal()", options);
  const name = checkName("call fromSignal()", options?.name) || "fromSignal";
  checkSignal("call fromSignal()", signal);
  checkFunction("call fromSignal()", fn);
  const scope = new CancelScope({ name });
  if (signal.aborted) {
    scope.cancel(signal.reason);
    return scope.run(fn);
  }
  const onAbort = () => scope.cancel(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  return scope.run(fn).finally(() =>
    signal.removeEventListener("abort", onAbort)
  );
}
