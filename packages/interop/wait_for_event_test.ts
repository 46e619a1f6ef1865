// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import {
  Cancelled,
  CancelScope,
  checkpoint,
  moveOnAfter,
  sleepForever,
} from "@corral/scope";
import { MockClock } from "@corral/scope/testing";
import { waitForEvent } from "./wait_for_event.ts";
import { countListeners } from "./_test_util.ts";

Deno.test("waitForEvent() resolves with the event and removes its listener", async () => {
  const target = new EventTarget();
  const listeners = countListeners(target);
  const waiting = waitForEvent<CustomEvent<string>>(target, "message");
  assert.equal(listeners.live("message"), 1);
  target.dispatchEvent(new CustomEvent("message", { detail: "hi" }));
  assert.equal((await waiting).detail, "hi");
  assert.equal(listeners.live("message"), 0);
});

Deno.test("waitForEvent() ends the wait on cancellation, removing its listener", async () => {
  const clock = new MockClock({ autojump: true });
  const target = new EventTarget();
  const listeners = countListeners(target);
  const scope = new CancelScope({ timeout: 1_000 });
  let caught: unknown;
  await clock.run(() =>
    scope.run(async () => {
      try {
        await waitForEvent(target, "never");
      } catch (error) {
        caught = error;
        throw error;
      }
    })
  );
  assert.ok(caught instanceof Cancelled);
  assert.ok(scope.cancelCaught);
  assert.equal(clock.now(), 1_000);
  assert.equal(listeners.live("never"), 0);
  assert.equal(listeners.most("never"), 1);
});

Deno.test("waitForEvent() in a cancelled scope throws without adding a listener", async () => {
  const target = new EventTarget();
  const listeners = countListeners(target);
  const scope = new CancelScope();
  await scope.run(async () => {
    scope.cancel();
    await waitForEvent(target, "message");
  });
  assert.ok(scope.cancelCaught);
  assert.equal(listeners.most("message"), 0);
});

Deno.test("waitForEvent() waits for an event the filter accepts", async () => {
  const target = new EventTarget();
  const waiting = waitForEvent<CustomEvent<number>>(target, "n", {
    filter: (event) => event.detail > 2,
  });
  for (let n = 1; n <= 4; n++) {
    target.dispatchEvent(new CustomEvent("n", { detail: n }));
  }
  assert.equal((await waiting).detail, 3);

  const failing = waitForEvent(target, "n", {
    filter: () => {
      throw new Error("filter broke");
    },
  });
  target.dispatchEvent(new Event("n"));
  await assert.rejects(failing, { message: "filter broke" });
});

// Semantics case 161 (trio `_core/_tests/test_guest_mode.py::
// test_host_altering_deadlines_wakes_trio_up`, `::test_host_can_directly_wake_trio_task`):
// the host (here: foreign callbacks on the JS event loop, outside any scope)
// moves a scope's deadline or dispatches an event, and the structured code
// waiting on it wakes up and honours it.
Deno.test("semantics 161: a foreign callback that moves a deadline or fires an event wakes the structured code", async () => {
  const scope = new CancelScope({ name: "waiting" });
  const started = performance.now();
  setTimeout(() => scope.deadline = -Infinity, 5); // the host moves it
  await scope.run(sleepForever);
  assert.ok(scope.cancelCaught);
  assert.equal(scope.reason?.source, "deadline");
  assert.ok(performance.now() - started < 1_000);

  const target = new EventTarget();
  setTimeout(() => target.dispatchEvent(new Event("wake")), 5);
  const event = await moveOnAfter(5_000, () => waitForEvent(target, "wake"));
  assert.equal(event?.type, "wake");
  await checkpoint();
});

Deno.test("waitForEvent() throws TypeError for a bad target or filter", () => {
  for (const bad of [42, null, {}, "target"]) {
    assert.throws(
      () => waitForEvent(bad as unknown as EventTarget, "x"),
      {
        name: "TypeError",
        message:
          `Cannot wait for event: 'target' must be an EventTarget: current value is ${
            typeof bad === "string" ? JSON.stringify(bad) : String(bad)
          }`,
      },
    );
  }
  assert.throws(
    () =>
      waitForEvent(new EventTarget(), "x", {
        filter: 42 as unknown as () => boolean,
      }),
    {
      name: "TypeError",
      message:
        `Cannot wait for event "x": 'filter' must be a function: current value is 42`,
    },
  );
});
