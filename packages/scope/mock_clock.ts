// Copyright the corral authors. MIT license.
import { CancelScope } from "./cancel_scope.ts";
import { activity, Clock, queueMacrotask } from "./_clock.ts";
import { internals } from "./_internal.ts";
import { checkDuration, checkOptions, text } from "./_validate.ts";

/** Options for {@linkcode MockClock}. */
export interface MockClockOptions {
  /**
   * Jump to the next deadline as soon as the program is otherwise idle
   * (Trio's `autojump_threshold = 0`). @default {false}
   */
  autojump?: boolean;
}

/**
 * Virtual time for tests, after Trio's `MockClock`: every scope, deadline and
 * sleep inside {@linkcode MockClock.run} uses this clock, which starts at 0
 * and never moves by itself. Move it with {@linkcode MockClock.advance}, or
 * set `autojump` to jump to the next deadline whenever the program is
 * otherwise idle, so an hour of timeouts runs in milliseconds. Two clocks
 * running at once are independent.
 *
 * Idle means: no microtask is pending and no checkpoint asked for a
 * macrotask turn since the clock last looked (checked from a macrotask of
 * its own, so a turn asked for before it runs before it). A
 * task waiting for real I/O counts as idle, as a blocked task does in Trio.
 *
 * @example Usage
 * ```ts
 * import { failAfter, sleep, TimeoutError } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * await assert.rejects(
 *   clock.run(() => failAfter(60 * 60_000, () => sleep(2 * 60 * 60_000))),
 *   TimeoutError,
 * );
 * assert.equal(clock.now(), 60 * 60_000);
 * ```
 */
export class MockClock {
  #clock: VirtualClock;

  /**
   * Creates a clock at time 0.
   *
   * @param options Whether to autojump.
   * @throws {TypeError} If `autojump` is not a boolean.
   */
  constructor(options?: MockClockOptions) {
    checkOptions("create MockClock", options);
    const autojump = options?.autojump === undefined ? false : options.autojump;
    checkAutojump(autojump);
    this.#clock = new VirtualClock(autojump);
  }

  /**
   * The virtual time in milliseconds.
   *
   * @returns The time.
   */
  now(): number {
    return this.#clock.now();
  }

  /**
   * Moves time forward by `ms` and expires every deadline that passed.
   *
   * @param ms How far; 0 expires deadlines equal to now.
   * @throws {RangeError} If `ms` is NaN or negative (time never goes back).
   */
  advance(ms: number): void {
    checkDuration("advance clock", "ms", ms);
    this.#clock.advance(ms);
  }

  /** Whether time jumps to the next deadline when the program is idle. */
  get autojump(): boolean {
    return this.#clock.autojump;
  }
  set autojump(value: boolean) {
    checkAutojump(value);
    this.#clock.setAutojump(value);
  }

  /**
   * Runs `fn` in a fresh root scope on this clock: every scope, deadline and
   * sleep inside uses virtual time. Cancellation of scopes around the call
   * does not reach inside (a different clock cannot share their deadlines).
   *
   * @typeParam T The result of `fn`.
   * @param fn The code under test.
   * @returns What `fn` returns.
   */
  run<T>(fn: (scope: CancelScope) => T | Promise<T>): Promise<T | undefined> {
    return internals.runWithClock(
      new CancelScope({ name: "MockClock" }),
      this.#clock,
      fn,
    );
  }
}

class VirtualClock extends Clock {
  #time = 0;
  autojump: boolean;
  /** Cancels the pending idle check; set while one is queued. */
  #cancelIdleCheck: (() => void) | undefined;

  constructor(autojump: boolean) {
    super();
    this.autojump = autojump;
  }

  now(): number {
    return this.#time;
  }

  advance(ms: number): void {
    this.#time += ms;
    this.expireDue();
  }

  setAutojump(value: boolean): void {
    this.autojump = value;
    this.wakeAt(this.pending > 0 ? this.nextDeadline : undefined);
  }

  protected wakeAt(time: number | undefined): void {
    if (time === undefined || !this.autojump) {
      this.#cancelIdleCheck?.();
      this.#cancelIdleCheck = undefined;
    } else if (this.#cancelIdleCheck === undefined) {
      this.#checkWhenIdle(activity.turns);
    }
  }

  /**
   * Autojump: from a macrotask, every microtask has run. If no checkpoint
   * asked for a macrotask turn since `turns` was read either, every task is
   * blocked: jump to the next deadline. Otherwise look again next turn.
   */
  #checkWhenIdle(turns: number): void {
    this.#cancelIdleCheck = queueMacrotask(() => {
      this.#cancelIdleCheck = undefined;
      if (!this.autojump || this.pending === 0) return;
      if (activity.turns !== turns) {
        this.#checkWhenIdle(activity.turns);
        return;
      }
      this.#time = Math.max(this.#time, this.nextDeadline);
      this.expireDue();
    });
  }
}

function checkAutojump(autojump: unknown): void {
  if (typeof autojump !== "boolean") {
    throw new TypeError(
      `Cannot set autojump: 'autojump' must be a boolean: current value is ${
        text(autojump)
      }`,
    );
  }
}
