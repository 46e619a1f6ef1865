// Copyright the corral authors. MIT license.
/**
 * Workers under a scope: CPU work on other cores that is as structured as
 * a task. {@linkcode runInWorker} runs one exported function of a module
 * in a new worker; a {@linkcode WorkerPool} keeps workers for many calls.
 *
 * A call belongs to the scope that waits for it: cancelling that scope
 * cancels the function's own scope in the worker (its checkpoints throw,
 * its `finally` blocks run), and a worker that does not finish within a
 * grace period is terminated, so even a loop with no checkpoint stops. The
 * caller's deadline and its {@linkcode markTransferable | transferable}
 * context variables cross into the worker; errors come back with the
 * worker's stack and `cause`; a worker that crashes or exits fails the
 * call instead of hanging it. Nothing started for a call or a pool
 * outlives it (rule 15). Runs on Deno and Bun (Web `Worker`), Node
 * (`node:worker_threads`) and browsers (module workers).
 *
 * @example Usage
 * ```ts
 * import { moveOnAfter } from "@corral/scope";
 * import { runInWorker } from "@corral/worker";
 * import assert from "node:assert/strict";
 *
 * const work = new URL("./_test_work.ts", import.meta.url);
 * assert.equal(await runInWorker(work, "add", [20, 22]), 42);
 * // A busy loop with no checkpoint is terminated after the grace period.
 * const result = await moveOnAfter(20, () => runInWorker(work, "spin", [5_000], { grace: 10 }));
 * assert.equal(result, undefined);
 * ```
 *
 * @module
 */
export * from "./run_in_worker.ts";
export * from "./worker_pool.ts";
export * from "./transfer.ts";
export * from "./mark_transferable.ts";
