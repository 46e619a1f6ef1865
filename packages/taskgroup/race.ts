// Copyright the corral authors. MIT license.
import {
  Cancelled,
  type CancelScope,
  moveOnAfter,
  waitUnlessCancelled,
} from "@corral/scope";
import { taskGroup } from "./task_group.ts";
import { checkAttempts, checkOptions } from "./_validate.ts";

/** Options for {@linkcode race}. */
export interface RaceOptions {
  /**
   * Start attempt k+1 this many milliseconds after attempt k, or at once
   * when attempt k fails (Happy Eyeballs, RFC 8305). @default {undefined}
   * (all at once)
   */
  stagger?: number;
}

/**
 * Runs the attempts concurrently; the first to succeed wins, and the others
 * are cancelled and awaited before `race` returns. Like `Promise.any`, but
 * the losers are stopped rather than left running. If every attempt fails,
 * throws an `AggregateError` of all the failures in attempt order.
 *
 * A loser whose cleanup fails while it is being cancelled (its `finally`
 * throws) does not lose that error (rule 16): `race` then throws a
 * `TaskGroupError` holding it, even though there was a winner, as Trio's
 * and AnyIO's task groups raise an error a cancelled child raised.
 *
 * With `stagger`, attempts start one after another like Happy Eyeballs
 * (RFC 8305, Trio's `open_tcp_stream`): attempt k+1 starts `stagger` ms after
 * attempt k, or at once when attempt k fails.
 *
 * @typeParam T The value of the attempts.
 * @param attempts The attempts; each receives its own scope.
 * @param options The stagger.
 * @returns The winner's value.
 * @throws {AggregateError} If every attempt failed.
 * @throws {TaskGroupError} If a loser failed while it was being cancelled.
 * @throws {TypeError} If an attempt is not a function, or there are none.
 * @throws {RangeError} If `stagger` is NaN or negative.
 *
 * @example Happy eyeballs
 * ```ts
 * import { race } from "@corral/taskgroup";
 * import { sleep } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * const connect = (host: string, ms: number) => async () => {
 *   await sleep(ms);
 *   return host;
 * };
 * const winner = await clock.run(() =>
 *   race([connect("slow", 900), connect("fast", 100)], { stagger: 250 })
 * );
 * assert.equal(winner, "fast"); // started at 250 ms, connected at 350 ms
 * assert.equal(clock.now(), 350);
 * ```
 */
export function race<T>(
  attempts: readonly ((scope: CancelScope) => T | Promise<T>)[],
  options?: RaceOptions,
): Promise<T> {
  checkOptions("race", options);
  const stagger = options?.stagger;
  checkAttempts("race", attempts);
  if (attempts.length === 0) {
    throw new TypeError("Cannot race: 'attempts' must not be empty");
  }
  if (
    stagger !== undefined &&
    (typeof stagger !== "number" || Number.isNaN(stagger) || stagger < 0)
  ) {
    throw new RangeError(
      `Cannot race: 'stagger' must be a non-negative number: current value is ${stagger}`,
    );
  }
  return raceValidated(attempts, stagger);
}

// Bad input throws from the call itself, before anything starts (docs/rules.md, "Bad input").
async function raceValidated<T>(
  attempts: readonly ((scope: CancelScope) => T | Promise<T>)[],
  stagger: number | undefined,
): Promise<T> {
  let winner: { value: T } | undefined;
  const failures: unknown[] = [];
  await taskGroup(async (group) => {
    for (const [index, attempt] of attempts.entries()) {
      let attemptFailed!: () => void;
      const failed = new Promise<void>((resolve) => attemptFailed = resolve);
      group.spawn(async (scope) => {
        try {
          const value = await attempt(scope);
          if (winner === undefined) {
            winner = { value };
            group.cancel(`attempt ${index} won the race`);
          }
        } catch (error) {
          if (error instanceof Cancelled) throw error;
          // Past the winner, a failure is a loser's cleanup failing as it
          // was cancelled: it goes to the group, never into `failures`,
          // which nobody reads once there is a winner (rule 16).
          if (winner !== undefined) throw error;
          failures[index] = error;
          attemptFailed();
        }
      }, { name: `attempt ${index}` });
      if (stagger !== undefined && index < attempts.length - 1) {
        await moveOnAfter(stagger, () => waitUnlessCancelled(failed));
      }
    }
  }, { name: "race" });
  if (winner !== undefined) return winner.value;
  // Rule 16: only what was thrown, in attempt order. An attempt that
  // cancelled its own scope neither won nor failed: it leaves a hole in
  // `failures`, which must not become an `undefined` failure.
  const errors = failures.filter(() => true);
  throw new AggregateError(
    errors,
    `Every attempt of the race failed (${errors.length})`,
  );
}
