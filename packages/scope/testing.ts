// Copyright the corral authors. MIT license.
/**
 * Test helpers for code built on `@corral/scope`: {@linkcode MockClock},
 * virtual time with autojump, so tests of hour-long timeouts run in
 * milliseconds.
 *
 * @example Usage
 * ```ts
 * import { moveOnAfter, sleepForever } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * await clock.run(() => moveOnAfter(3_600_000, sleepForever));
 * assert.equal(clock.now(), 3_600_000);
 * ```
 *
 * @module
 */
export * from "./mock_clock.ts";
