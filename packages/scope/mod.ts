// Copyright the corral authors. MIT license.
/**
 * Cancel scopes after Trio: level-triggered cancellation with reasons,
 * deadlines and timeouts, shields, an `AbortSignal` per scope, and the
 * checkpoints that observe them ({@linkcode CancelScope},
 * {@linkcode checkpoint}, {@linkcode sleep}, {@linkcode moveOnAfter},
 * {@linkcode failAfter}, {@linkcode shielded}), and {@linkcode retry} with
 * backoff inside the deadline. `@corral/scope/testing` has a mock clock.
 *
 * @example Usage
 * ```ts
 * import { CancelScope, moveOnAfter, sleep } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * const result = await clock.run(() =>
 *   moveOnAfter(1_000, async () => {
 *     await sleep(5_000); // cancelled at 1 s
 *     return "finished";
 *   })
 * );
 * assert.equal(result, undefined);
 * assert.equal(clock.now(), 1_000);
 *
 * const scope = new CancelScope({ name: "job" });
 * await scope.run(async () => {
 *   scope.cancel("no longer needed");
 *   await sleep(10); // throws Cancelled, absorbed by `scope`
 * });
 * assert.ok(scope.cancelCaught);
 * assert.equal(scope.signal.reason, scope.reason);
 * ```
 *
 * @module
 */
export * from "./cancel_scope.ts";
export * from "./cancelled.ts";
export * from "./checkpoint.ts";
export * from "./timeouts.ts";
export * from "./retry.ts";
