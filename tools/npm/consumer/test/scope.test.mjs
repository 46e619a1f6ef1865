// Copyright the corral authors. MIT license.
// @corral/scope as installed from its npm tarball: real time and MockClock.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CancelScope,
  Cancelled,
  checkpoint,
  currentScope,
  failAfter,
  moveOnAfter,
  sleep,
  TimeoutError,
} from "@corral/scope";
import { MockClock } from "@corral/scope/testing";

test("moveOnAfter stops a real sleep at its deadline", async () => {
  const started = performance.now();

  const result = await moveOnAfter(20, async () => {
    await sleep(10_000);
    return "finished";
  });

  assert.equal(result, undefined);
  assert.ok(performance.now() - started < 5_000);
});

test("failAfter throws TimeoutError when its deadline caused the cancel", async () => {
  await assert.rejects(
    failAfter(5, () => sleep(10_000)),
    (error) => error instanceof TimeoutError && error.name === "TimeoutError",
  );
});

test("a cancelled scope's checkpoints throw Cancelled, and run() absorbs it", async () => {
  const scope = new CancelScope({ name: "work" });
  /** @type {unknown} */
  let caught;

  await scope.run(async () => {
    assert.equal(currentScope(), scope);
    scope.cancel("enough");
    try {
      await checkpoint();
    } catch (error) {
      caught = error;
      throw error;
    }
  });

  assert.ok(caught instanceof Cancelled);
  assert.equal(/** @type {Cancelled} */ (caught).reason, "enough");
  assert.equal(scope.cancelCaught, true);
  assert.equal(scope.signal.aborted, true);
});

test("MockClock runs an hour of timeouts in no time with autojump", async () => {
  const clock = new MockClock({ autojump: true });

  const result = await clock.run(() =>
    moveOnAfter(3_600_000, () => sleep(7_200_000))
  );

  assert.equal(result, undefined);
  assert.ok(clock.now() >= 3_600_000);
});
