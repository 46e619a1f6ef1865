// Copyright the corral authors. MIT license.
import { CancelScope } from "@corral/scope";
import { currentScope, runRootLike } from "@corral/scope/plumbing";
import {
  checkFunction,
  checkName,
  checkOptions,
  checkSignal,
} from "./_validate.ts";

/** Options for {@linkcode toPromise}. */
export interface ToPromiseOptions {
  /**
   * Cancels the structured code when it aborts; the promise then rejects
   * with `signal.reason`, as `fetch` does. @default {undefined}
   */
  signal?: AbortSignal;
  /** A label for the root scope. @default {"toPromise"} */
  name?: string;
}

/**
 * Calls structured code from promise code: runs `fn` in a fresh root scope
 * (nested in nothing, so no enclosing scope of the caller can cancel it)
 * and returns a plain promise. The way out to code that speaks promises
 * and `{ signal }`, like trio-asyncio's `trio_as_aio`.
 *
 * When `signal` aborts, the root scope is cancelled; if the cancellation cut
 * `fn` short, the promise rejects with `signal.reason` (an `AbortError`
 * `DOMException` unless the aborter gave one), so callers see the usual
 * abort behaviour. If `fn` finished anyway, its value is delivered (semantics
 * case 155: the promise is marked cancelled only if the code ended because
 * of that cancellation). A signal already aborted rejects at once and `fn`
 * never runs, as with `fetch`. The one `abort` listener is removed when the
 * scope exits.
 *
 * The root scope keeps the current clock, so inside `MockClock.run` its
 * deadlines and sleeps are virtual.
 *
 * @typeParam T The result of `fn`.
 * @param fn Structured code; receives the root scope.
 * @param options The signal and the scope's name.
 * @returns A promise of `fn`'s result.
 * @throws {TypeError} If `fn` is not a function or `signal` is not an
 * `AbortSignal`.
 *
 * @example Usage
 * ```ts
 * import { toPromise } from "@corral/interop";
 * import { sleep } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * const controller = new AbortController();
 * const promise = toPromise(async () => {
 *   await sleep(10_000);
 *   return "done";
 * }, { signal: controller.signal });
 * controller.abort(new Error("no longer needed"));
 * await assert.rejects(promise, { message: "no longer needed" });
 * ```
 */
export function toPromise<T>(
  fn: (scope: CancelScope) => T | Promise<T>,
  options?: ToPromiseOptions,
): Promise<T> {
  checkOptions("call toPromise()", options);
  const signal = options?.signal;
  const name = checkName("call toPromise()", options?.name) || "toPromise";
  checkFunction("call toPromise()", fn);
  if (signal !== undefined) {
    checkSignal("call toPromise()", signal);
    if (signal.aborted) return Promise.reject(signal.reason);
  }
  return runRoot(fn, name, signal);
}

async function runRoot<T>(
  fn: (scope: CancelScope) => T | Promise<T>,
  name: string,
  signal: AbortSignal | undefined,
): Promise<T> {
  const scope = new CancelScope({ name });
  const onAbort = () => scope.cancel(signal!.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const value = await runRootLike(scope, currentScope(), fn);
    if (scope.cancelCaught && signal?.aborted) throw signal.reason;
    return value as T;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
