// Copyright the corral authors. MIT license.
import { CancelScope } from "@corral/scope";
import { cancellationOf, currentScope } from "@corral/scope/plumbing";
import {
  callMessage,
  checkExport,
  perform,
  prepare,
  startWorker,
} from "./_call.ts";
import { callName } from "./_protocol.ts";
import type { TransferItem } from "./transfer.ts";
import {
  checkArgs,
  checkExportName,
  checkGrace,
  checkModule,
  checkOptions,
  checkTransfer,
} from "./_validate.ts";

/** Options for {@linkcode runInWorker} and {@linkcode WorkerPool.run}. */
export interface RunInWorkerOptions {
  /**
   * Objects among `args` to move to the worker instead of copying them
   * (`ArrayBuffer`, `MessagePort`): after the call starts they are
   * detached here. @default {[]}
   */
  transfer?: TransferItem[];
  /**
   * How long a cancelled call may take to finish its cleanup in the
   * worker, in milliseconds, before the worker is terminated (which stops
   * even a loop with no checkpoint). `Infinity` waits for the worker's
   * answer however long it takes. @default {100}
   */
  grace?: number;
}

/**
 * Runs the function exported as `exportName` by `module` in a new worker
 * (another thread), with `args`, and returns what it returns. The worker
 * is started for this call and terminated when it ends: nothing of it
 * outlives the call (rule 15). For many calls, a {@linkcode WorkerPool}
 * keeps workers alive between them.
 *
 * The call is a task of the caller's scope, in a worker:
 *
 * - **Cancellation.** When the calling scope is cancelled, the function's
 *   own scope in the worker is cancelled: its checkpoints throw and its
 *   `finally` blocks run, and `runInWorker` waits for them. A worker that
 *   has not answered `grace` ms later (a loop with no checkpoint) is
 *   terminated. Then the caller's `Cancelled` is thrown.
 * - **Deadline.** The caller's effective deadline becomes the timeout of
 *   the function's scope in the worker (as remaining time: the worker's
 *   clock is its own).
 * - **Context.** Variables marked with {@linkcode markTransferable} carry
 *   their values into the worker.
 * - **Errors.** An error thrown in the worker is thrown here with the
 *   worker's name, message, stack and `cause` (the built-in classes are
 *   kept: a `RangeError` stays a `RangeError`). A worker that crashes or
 *   exits fails the call; it never hangs.
 * - **Observability.** The call runs in a scope named
 *   `worker: <file>#<export>`, shown by `taskTree()` under the waiting
 *   task.
 *
 * `module` is imported in the calling thread too, once, to check the
 * export before any worker starts; keep its top level free of side
 * effects. It is a checkpoint: in a cancelled scope it throws at once.
 *
 * @typeParam T What the exported function returns.
 * @param module The module's URL, e.g. `new URL("./work.ts", import.meta.url)`.
 * @param exportName The name of the exported function.
 * @param args Its arguments, cloned (or moved, see `transfer`) to the worker.
 * @param options What to transfer; the grace period.
 * @returns What the function returned (awaited).
 * @throws {TypeError} Before any worker starts: if `module` is not a URL or
 * cannot be imported, the export is missing or not a function, `args` is
 * not an array or cannot be cloned, or `options` is not an object.
 * @throws {RangeError} If `grace` is negative or NaN.
 * @throws {Cancelled} If the calling scope was cancelled.
 *
 * @example Usage
 * ```ts
 * import { runInWorker } from "@corral/worker";
 * import assert from "node:assert/strict";
 *
 * const work = new URL("./_test_work.ts", import.meta.url);
 * assert.equal(await runInWorker<number>(work, "add", [2, 3]), 5);
 * ```
 *
 * @example A deadline reaches into the worker
 * ```ts
 * import { moveOnAfter } from "@corral/scope";
 * import { runInWorker } from "@corral/worker";
 * import assert from "node:assert/strict";
 *
 * const work = new URL("./_test_work.ts", import.meta.url);
 * // "sleepy" sleeps (a checkpoint) far longer than the 50 ms allowed.
 * assert.equal(await moveOnAfter(50, () => runInWorker(work, "sleepy", [60_000])), undefined);
 * ```
 */
export function runInWorker<T = unknown>(
  module: string | URL,
  exportName: string,
  args: unknown[],
  options?: RunInWorkerOptions,
): Promise<Awaited<T>> {
  const action = "run in worker";
  const href = checkModule(action, module);
  const name = checkExportName(action, exportName);
  checkArgs(action, args);
  checkOptions(action, options);
  const transfer = checkTransfer(action, options?.transfer);
  const grace = checkGrace(action, options?.grace);
  const pending = cancellationOf(currentScope());
  if (pending !== undefined) return Promise.reject(pending);
  const scope = new CancelScope({ name: callName(href, name) });
  return scope.run(() =>
    runOnce<Awaited<T>>(
      `run ${callName(href, name).slice(8)} in worker`,
      href,
      name,
      args,
      transfer,
      grace,
    )
  ) as Promise<Awaited<T>>;
}

async function runOnce<T>(
  action: string,
  module: string,
  name: string,
  args: unknown[],
  transfer: Transferable[],
  grace: number,
): Promise<T> {
  await checkExport(action, module, name);
  // Importing the module took time: a cancel that came meanwhile stops
  // the call before its worker starts.
  const cancelled = cancellationOf(currentScope());
  if (cancelled !== undefined) throw cancelled;
  const prepared = prepare(action, callMessage(module, name, args), transfer);
  const handle = await startWorker(action);
  try {
    return await perform<T>(
      action,
      module,
      handle,
      prepared.message,
      prepared.transfer,
      grace,
    );
  } finally {
    await handle.terminate();
  }
}
