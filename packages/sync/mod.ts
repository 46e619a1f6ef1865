// Copyright the corral authors. MIT license.
/**
 * Cancellation-aware synchronization for corral (Trio's `trio` sync
 * primitives and memory channels): {@linkcode Event},
 * {@linkcode Lock}, {@linkcode Semaphore}, {@linkcode CapacityLimiter},
 * {@linkcode Condition}, and {@linkcode openChannel} for memory channels.
 *
 * Every wait (`acquire`, `wait`, `send`, `receive`) is a checkpoint (rule
 * 17): it throws `Cancelled` in a cancelled scope even when it would not
 * wait, and a cancelled wait leaves no trace — a cancelled `send` did not
 * deliver, a cancelled `receive` took nothing, a cancelled `acquire` holds
 * nothing, and the next waiter in line is not skipped. Waiters are served
 * first come, first served; what is released is handed directly to the
 * longest waiter. Releasing and closing are never checkpoints.
 *
 * The nowait forms: `tryAcquire()` and `trySend()` answer `false` when
 * they would wait; `tryReceive()`, which returns an item, throws
 * {@linkcode WouldBlock}.
 *
 * @example A bounded worker pool reading from a channel
 * ```ts
 * import { openChannel } from "@corral/sync";
 * import { taskGroup } from "@corral/taskgroup";
 * import assert from "node:assert/strict";
 *
 * const [sender, receiver] = openChannel<number>(0, { name: "jobs" });
 * const results: number[] = [];
 * await taskGroup((group) => {
 *   for (let w = 0; w < 3; w++) {
 *     group.spawn(async () => {
 *       for await (const job of receiver) results.push(job * job);
 *     }, { name: `worker ${w}` });
 *   }
 *   group.spawn(async () => {
 *     for (let job = 1; job <= 5; job++) await sender.send(job);
 *     sender.close(); // the workers' loops end
 *   });
 * });
 * assert.deepEqual(results.sort((a, b) => a - b), [1, 4, 9, 16, 25]);
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export * from "./event.ts";
export * from "./lock.ts";
export * from "./semaphore.ts";
export * from "./capacity_limiter.ts";
export * from "./condition.ts";
export * from "./channel.ts";
export * from "./blocked_on.ts";
