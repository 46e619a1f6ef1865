// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import {
  Cancelled,
  CancelScope,
  checkpoint,
  moveOnAfter,
  sleep,
  sleepForever,
} from "@corral/scope";
import { MockClock } from "@corral/scope/testing";
import { fromSignal } from "./from_signal.ts";
import { countListeners } from "./_test_util.ts";

Deno.test("fromSignal() cancels its scope when the signal aborts, with the signal's reason", async () => {
  const clock = new MockClock();
  const controller = new AbortController();
  let seen: Cancelled | undefined;
  let finallyRan = false;
  const result = clock.run(() =>
    fromSignal(controller.signal, async () => {
      try {
        await sleepForever();
      } catch (error) {
        seen = error as Cancelled;
        throw error;
      } finally {
        finallyRan = true;
      }
    }, { name: "job" })
  );
  await checkpoint();
  const reason = new Error("stop now");
  controller.abort(reason);
  assert.equal(await result, undefined, "the scope owns the cancellation");
  assert.ok(seen instanceof Cancelled);
  assert.equal(seen.reason, reason);
  assert.equal(seen.source, "explicit");
  assert.match(
    seen.message,
    /Scope "job" was cancelled explicitly: Error: stop now/,
  );
  assert.ok(finallyRan);
});

Deno.test("fromSignal() returns the value, and lets errors through", async () => {
  const signal = new AbortController().signal;
  assert.equal(await fromSignal(signal, () => 42), 42);
  assert.equal(
    await fromSignal(signal, async () => (await sleep(0), "a")),
    "a",
  );
  await assert.rejects(
    fromSignal(signal, () => {
      throw new RangeError("bad");
    }),
    RangeError,
  );
});

Deno.test("fromSignal() with an aborted signal runs fn up to its first checkpoint", async () => {
  const signal = AbortSignal.abort("already");
  const steps: string[] = [];
  const result = await fromSignal(signal, async (scope) => {
    steps.push("started");
    assert.ok(scope.cancelCalled);
    await checkpoint();
    steps.push("never");
  });
  assert.equal(result, undefined);
  assert.deepEqual(steps, ["started"]);
});

Deno.test("fromSignal() adds at most one listener to the signal and removes it on exit", async () => {
  const controller = new AbortController();
  const listeners = countListeners(controller.signal);
  // Sequential and concurrent calls on one long-lived signal.
  for (let i = 0; i < 5; i++) {
    await fromSignal(controller.signal, () => checkpoint());
  }
  assert.equal(listeners.live("abort"), 0);
  await Promise.all(
    Array.from({ length: 3 }, () =>
      fromSignal(controller.signal, async () => {
        await checkpoint();
        assert.ok(listeners.live("abort") <= 3, "one per call");
      })),
  );
  assert.equal(listeners.live("abort"), 0);
  // Nested calls: one each, all gone afterwards, also on error and on abort.
  await assert.rejects(
    fromSignal(controller.signal, () => {
      assert.equal(listeners.live("abort"), 1);
      throw new Error("x");
    }),
  );
  assert.equal(listeners.live("abort"), 0);
  const aborted = fromSignal(controller.signal, () => sleepForever());
  controller.abort();
  await aborted;
  assert.equal(listeners.live("abort"), 0);
  assert.equal(listeners.most("abort"), 3);
});

Deno.test("fromSignal() nests in the current scope: an enclosing cancellation passes through", async () => {
  const outer = new CancelScope({ name: "outer" });
  const signal = new AbortController().signal;
  let inner: CancelScope | undefined;
  await outer.run(() =>
    fromSignal(signal, async (scope) => {
      inner = scope;
      outer.cancel("outer wins");
      await checkpoint();
    })
  );
  assert.ok(outer.cancelCaught);
  assert.equal(inner!.cancelCaught, false);
  assert.equal(inner!.reason?.reason, "outer wins");
});

// Semantics case 159 (anyio `TestUncancel::*`, the native cancel counters of
// asyncio). There are no counters in JS; what carries over is that the two
// kinds of cancellation do not leak into each other: a scope inside that
// cancels and catches leaves the foreign signal untouched, and a foreign
// abort that arrives while an inner scope is active still propagates to the
// bridge's scope.
Deno.test("semantics 159: inner scope cancellations do not touch the foreign signal, a foreign abort inside one still lands", async () => {
  const clock = new MockClock({ autojump: true });
  const controller = new AbortController();
  const steps: string[] = [];
  const outcome = clock.run(() =>
    fromSignal(controller.signal, async (bridge) => {
      await moveOnAfter(10, sleepForever); // cancels and catches
      steps.push("inner timeout absorbed");
      assert.equal(controller.signal.aborted, false);
      assert.equal(bridge.cancelCalled, false);
      const inner = new CancelScope({ name: "inner" });
      await inner.run(async () => {
        controller.abort("foreign");
        await checkpoint();
        steps.push("never");
      });
      steps.push("never either");
    })
  );
  assert.equal(await outcome, undefined);
  assert.deepEqual(steps, ["inner timeout absorbed"]);
});

Deno.test("fromSignal() throws TypeError for a non-signal or a non-function", () => {
  const signal = new AbortController().signal;
  for (
    const bad of [42, null, undefined, "signal", {}, new AbortController()]
  ) {
    assert.throws(
      () => fromSignal(bad as unknown as AbortSignal, () => {}),
      (error: Error) =>
        error instanceof TypeError &&
        error.message ===
          `Cannot call fromSignal(): 'signal' must be an AbortSignal: current value is ${
            typeof bad === "string" ? JSON.stringify(bad) : String(bad)
          }`,
    );
  }
  assert.throws(
    () => fromSignal(signal, 42 as unknown as () => void),
    {
      name: "TypeError",
      message:
        `Cannot call fromSignal(): 'fn' must be a function: current value is 42`,
    },
  );
  assert.throws(
    () => fromSignal(signal, function* gen() {} as unknown as () => void),
    { name: "TypeError", message: /must not be a generator function/ },
  );
});
