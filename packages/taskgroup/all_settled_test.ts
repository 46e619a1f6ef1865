// Copyright the corral authors. MIT license.
// allSettled() after Promise.allSettled (the result shape), Effection 4.1's
// allSettled (lib/all-settled.ts, PR #1158: every operation runs to its end,
// a failure halts nothing) and rule 10 of docs/rules.md (the caller's cancellation
// comes out as one Cancelled).
import assert from "node:assert/strict";
import {
  Cancelled,
  CancelScope,
  moveOnAfter,
  now,
  shielded,
  sleep,
  sleepForever,
} from "@corral/scope";
import { MockClock } from "@corral/scope/testing";
import { allSettled } from "./all_settled.ts";

function onClock<T>(fn: () => Promise<T>): Promise<T | undefined> {
  return new MockClock({ autojump: true }).run(fn);
}

Deno.test("allSettled() returns every outcome in input order, in Promise.allSettled's shape", async () => {
  const boom = new Error("boom");
  const results = await onClock(() =>
    allSettled([
      async () => (await sleep(30), "slow"),
      async () => {
        await sleep(10);
        throw boom;
      },
      () => 42,
      () => {
        throw null; // rule 16: a value that is not an Error is a failure too
      },
    ])
  );
  assert.deepEqual(results, [
    { status: "fulfilled", value: "slow" },
    { status: "rejected", reason: boom },
    { status: "fulfilled", value: 42 },
    { status: "rejected", reason: null },
  ]);
  // The same shape as the promise version.
  const native = await Promise.allSettled([
    Promise.resolve("slow"),
    Promise.reject(boom),
  ]);
  assert.deepEqual(results?.slice(0, 2), native);
});

Deno.test("allSettled() a failure cancels nothing: the others run to their end (Effection allSettled)", async () => {
  const clock = new MockClock({ autojump: true });
  const finished: string[] = [];
  const results = await clock.run(() =>
    allSettled([
      async () => {
        await sleep(5);
        throw new Error("early failure");
      },
      async () => {
        await sleep(1_000);
        finished.push("long");
        return "long";
      },
    ])
  );
  assert.equal(clock.now(), 1_000);
  assert.deepEqual(finished, ["long"]);
  assert.equal(results?.[0].status, "rejected");
  assert.deepEqual(results?.[1], { status: "fulfilled", value: "long" });
});

Deno.test("rule 10: allSettled() cancelled by its caller cancels every task, waits for each, and throws one Cancelled", async () => {
  const clock = new MockClock({ autojump: true });
  const cleaned: number[] = [];
  const outer = new CancelScope({ name: "caller" });
  let thrown: unknown;
  await clock.run(() =>
    Promise.all([
      (async () => {
        await sleep(50);
        outer.cancel("user left");
      })(),
      outer.run(async () => {
        try {
          await allSettled([0, 1, 2].map((index) => async () => {
            try {
              if (index === 0) throw new Error("failed before the cancel");
              await sleepForever();
            } finally {
              await shielded(() => sleep(5)); // cleanup takes time
              cleaned.push(index);
            }
          }));
        } catch (error) {
          thrown = error;
          throw error;
        }
      }),
    ])
  );
  assert.ok(
    thrown instanceof Cancelled,
    "one Cancelled, not a list of rejections",
  );
  assert.equal(thrown.reason, "user left");
  assert.ok(outer.cancelCaught);
  assert.deepEqual(cleaned.sort(), [0, 1, 2]);
  assert.equal(clock.now(), 55, "waited for every cleanup");

  // The same through a deadline: moveOnAfter absorbs it.
  const result = await onClock(() =>
    moveOnAfter(20, () => allSettled([sleepForever, sleepForever]))
  );
  assert.equal(result, undefined);
});

Deno.test("allSettled() accepts any iterable of functions, and none", async () => {
  const fromSet = await onClock(() =>
    allSettled(new Set([() => "a", () => "b"]))
  );
  assert.deepEqual(fromSet, [
    { status: "fulfilled", value: "a" },
    { status: "fulfilled", value: "b" },
  ]);
  function* jobs() {
    yield () => 1;
    yield () => Promise.resolve(2);
  }
  assert.deepEqual(await onClock(() => allSettled(jobs())), [
    { status: "fulfilled", value: 1 },
    { status: "fulfilled", value: 2 },
  ]);
  assert.deepEqual(await onClock(() => allSettled([])), []);
});

Deno.test("allSettled() gives each function its own scope; one that cancels it is reported rejected with that Cancelled", async () => {
  const scopes: CancelScope[] = [];
  const results = await onClock(() =>
    allSettled([
      async (scope) => {
        scopes.push(scope);
        scope.cancel("not needed");
        await sleep(10);
        return "never";
      },
      async (scope) => {
        scopes.push(scope);
        await sleep(20);
        return now();
      },
    ])
  );
  assert.notEqual(scopes[0], scopes[1]);
  assert.equal(results?.[0].status, "rejected");
  const reason = (results?.[0] as PromiseRejectedResult).reason;
  assert.ok(reason instanceof Cancelled);
  assert.equal(reason.reason, "not needed");
  assert.deepEqual(results?.[1], { status: "fulfilled", value: 20 });
});

Deno.test("allSettled() throws bad input from the call, before anything runs", () => {
  let ran = false;
  const fn = () => {
    ran = true;
  };
  for (const bad of [null, undefined, 42, {}, Object.create(null)]) {
    assert.throws(
      () => allSettled(bad as never),
      (error: Error) =>
        error instanceof TypeError &&
        /^Cannot run allSettled: 'fns' must be an iterable of functions: current value is /
          .test(error.message),
    );
  }
  assert.throws(
    () => allSettled([fn, "x" as never]),
    /^TypeError: Cannot run allSettled: function 1: 'fn' must be a function: current value is "x"$/,
  );
  assert.throws(
    () => allSettled([fn, function* () {} as never]),
    /must not be a generator function/,
  );
  assert.equal(ran, false);
});

Deno.test("allSettled() given promises says to pass functions, and marks every promise handled", () => {
  // Unhandled, either rejection would fail this test.
  const first = Promise.reject(new Error("first"));
  const second = Promise.reject(new Error("second"));
  assert.throws(
    () => allSettled([first, second] as never),
    (error: Error) =>
      error instanceof TypeError &&
      /^Cannot run allSettled: function 0: 'fn' must be a function, not a promise: pass a function .*\(\) => work\(\)/
        .test(error.message),
  );
});
