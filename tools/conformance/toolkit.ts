// Copyright the corral authors. MIT license.
/**
 * The everyday toolkit on every runtime: `retry` on the mock
 * clock with a seeded random source, `allSettled`, the searches of
 * `TaskGroupError` through a nesting deep enough to overflow any stack if
 * they recursed (each engine's stack is a different size), and `main`
 * without exiting.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Cancelled,
  CancelScope,
  failAfter,
  now,
  retry,
  sleep,
  sleepForever,
} from "@corral/scope";
import { MockClock } from "@corral/scope/testing";
import { allSettled, TaskGroupError } from "@corral/taskgroup";
import { test } from "./harness.ts";
import { interop } from "./interop_api.ts";

test("retry: full-jitter waits on the mock clock; gives up with the last error when the deadline leaves no time", async () => {
  const starts: number[] = [];
  const errors: Error[] = [];
  const clock = new MockClock({ autojump: true });
  const outcome = await clock.run(() =>
    failAfter(1_000, () =>
      retry(() => {
        starts.push(now());
        const error = new Error(`failure ${starts.length}`);
        errors.push(error);
        throw error;
      }, { attempts: 10, random: () => 0.5 }))
  ).catch((error) => error);
  // Waits of half of 100, 200, 400 and 800 ms; the next (half of 1600)
  // would end at 1550, past the deadline at 1000: no fifth retry.
  assert.deepEqual(starts, [0, 50, 150, 350, 750]);
  assert.equal(outcome, errors.at(-1));
});

test("retry: a Cancelled is never retried", async () => {
  let calls = 0;
  const scope = new CancelScope();
  await scope.run(() =>
    retry(async () => {
      calls++;
      scope.cancel();
      await sleep(1);
    })
  );
  assert.equal(calls, 1);
  assert.ok(scope.cancelCaught);
});

test("allSettled: results in input order in Promise.allSettled's shape; a failure cancels nothing", async () => {
  const boom = new Error("boom");
  const clock = new MockClock({ autojump: true });
  const results = await clock.run(() =>
    allSettled([
      async () => (await sleep(20), "late"),
      () => {
        throw boom;
      },
    ])
  );
  assert.deepEqual(results, [
    { status: "fulfilled", value: "late" },
    { status: "rejected", reason: boom },
  ]);
});

test("allSettled: the caller's cancellation comes out as one Cancelled", async () => {
  const scope = new CancelScope();
  let thrown: unknown;
  await scope.run(async () => {
    scope.cancel("stop");
    try {
      await allSettled([sleepForever, sleepForever]);
    } catch (error) {
      thrown = error;
      throw error;
    }
  });
  assert.ok(thrown instanceof Cancelled);
});

test(
  "TaskGroupError: find, split and flatten through a 100,000-deep nesting; the message stays short",
  () => {
    class FatalError extends Error {}
    const fatal = new FatalError("at the bottom");
    let error = new TaskGroupError([fatal], "level 0");
    for (let level = 1; level < 100_000; level++) {
      error = new TaskGroupError([error], `level ${level}`);
    }
    assert.ok(error.message.length < 400);
    assert.equal(error.find(FatalError), fatal);
    assert.deepEqual(error.flatten(), [fatal]);
    const mixed = new TaskGroupError([error, new Error("other")]);
    const [matching, rest] = mixed.split(FatalError);
    assert.equal(matching?.errors[0], error, "a subtree kept whole is reused");
    assert.equal(rest?.flatten().length, 1);
  },
  { timeout: 20_000 },
);

test("TaskGroupError: building the message never throws", () => {
  const hostile = new Error("x");
  Object.defineProperty(hostile, "message", {
    get() {
      throw new Error("getter");
    },
  });
  for (const value of [hostile, Object.create(null), Symbol("s")]) {
    const error = new TaskGroupError([value]);
    assert.equal(typeof error.message, "string");
  }
});

test(
  "main: with exit: false it resolves with the exit code and leaves no signal listener",
  async () => {
    const { main } = interop();
    assert.equal(typeof main, "function", "@corral/interop exports main");
    const process = (globalThis as {
      process?: { listenerCount?(event: string): number };
    }).process;
    const before = process?.listenerCount?.("SIGINT");
    assert.equal(await main!(() => sleep(1), { exit: false }), 0);
    assert.equal(process?.listenerCount?.("SIGINT"), before);
  },
  { needs: ["interop"] },
);
