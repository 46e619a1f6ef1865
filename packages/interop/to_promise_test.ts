// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import {
  Cancelled,
  CancelScope,
  checkpoint,
  currentScope,
  now,
  sleep,
  sleepForever,
} from "@corral/scope";
import { parentOf } from "@corral/scope/plumbing";
import { MockClock } from "@corral/scope/testing";
import { taskGroup } from "@corral/taskgroup";
import { toPromise } from "./to_promise.ts";
import { countListeners, deferred } from "./_test_util.ts";

Deno.test("toPromise() resolves with fn's value, run in a fresh root scope", async () => {
  const outer = new CancelScope({ name: "outer" });
  let root: CancelScope | undefined;
  const value = await outer.run(() =>
    toPromise((scope) => {
      root = scope;
      assert.equal(currentScope(), scope);
      assert.equal(parentOf(scope), undefined, "a root");
      outer.cancel(); // the caller's scopes cannot reach it
      return checkpoint().then(() => "value");
    }, { name: "bridge" })
  );
  assert.equal(value, "value");
  assert.equal(root!.name, "bridge");
});

// Semantics case 155 (trio-asyncio `test_calls.py::test_asyncio_trio_cancel_in`,
// `::test_asyncio_trio_cancel_out`): the foreign side cancels the promise that
// wraps structured code; the structured code is cancelled (its handlers run)
// and the foreign awaiter gets its own kind of cancellation.
Deno.test("semantics 155: aborting the signal cancels the structured code and rejects with signal.reason", async () => {
  const controller = new AbortController();
  const steps: string[] = [];
  const promise = toPromise(async () => {
    try {
      await sleepForever();
    } catch (error) {
      assert.ok(error instanceof Cancelled);
      steps.push(`cancelled: ${error.reason}`);
      throw error;
    } finally {
      steps.push("finally");
    }
  }, { signal: controller.signal });
  await checkpoint();
  controller.abort("caller gave up");
  await assert.rejects(promise, (reason) => reason === "caller gave up");
  assert.deepEqual(steps, ["cancelled: caller gave up", "finally"]);

  // With no reason, the usual AbortError DOMException, as fetch gives.
  const plain = new AbortController();
  const rejected = toPromise(sleepForever, { signal: plain.signal });
  plain.abort();
  await assert.rejects(rejected, { name: "AbortError" });
});

Deno.test("toPromise() with an aborted signal rejects at once and never calls fn", async () => {
  let called = false;
  const reason = new Error("too late");
  await assert.rejects(
    toPromise(() => {
      called = true;
    }, { signal: AbortSignal.abort(reason) }),
    (error) => error === reason,
  );
  assert.equal(called, false);
});

Deno.test("toPromise() delivers the value of code that finished despite the abort", async () => {
  // Like trio-asyncio: the promise is marked cancelled only if the code
  // ended because of the cancellation.
  const controller = new AbortController();
  const value = await toPromise(() => {
    controller.abort(); // after the last checkpoint
    return "done";
  }, { signal: controller.signal });
  assert.equal(value, "done");
});

Deno.test("toPromise() delivers the error of code that failed while being cancelled, not the abort", async () => {
  // trio-asyncio: marked cancelled only if it ended because of the cancel.
  const controller = new AbortController();
  const promise = toPromise(async () => {
    try {
      await sleepForever();
    } catch {
      throw new Error("cleanup failed");
    }
  }, { signal: controller.signal });
  await checkpoint();
  controller.abort("stop");
  await assert.rejects(promise, { message: "cleanup failed" });
});

Deno.test("toPromise() lets fn's error through, and removes its listener", async () => {
  const controller = new AbortController();
  const listeners = countListeners(controller.signal);
  await assert.rejects(
    toPromise(() => {
      assert.equal(listeners.live("abort"), 1);
      throw new RangeError("bad");
    }, { signal: controller.signal }),
    RangeError,
  );
  await toPromise(() => sleep(0), { signal: controller.signal });
  assert.equal(listeners.live("abort"), 0);
  assert.equal(listeners.most("abort"), 1);
});

// Semantics case 158 (anyio `::test_propagate_native_cancellation_from_taskgroup`,
// `::test_start_native_host_cancelled`, `::test_start_native_child_cancelled`):
// a native (foreign) cancel of the host of a structured group propagates out
// as the native cancellation; the children are cancelled; a child in the
// middle of its start() handshake is cancelled too.
Deno.test("semantics 158: a foreign abort of a group's host cancels the children and the starting child, and rejects natively", async () => {
  const controller = new AbortController();
  const cancelled: string[] = [];
  const starting = deferred();
  const promise = toPromise(() =>
    taskGroup(async (group) => {
      group.spawn(async () => {
        try {
          await sleepForever();
        } finally {
          cancelled.push("child");
        }
      });
      await group.start(async () => {
        try {
          starting.resolve();
          await sleepForever(); // never calls started()
        } finally {
          cancelled.push("starting child");
        }
      });
    }), { signal: controller.signal });
  await starting.promise;
  const reason = new DOMException("host cancelled", "AbortError");
  controller.abort(reason);
  await assert.rejects(promise, (error) => error === reason);
  assert.deepEqual(cancelled.sort(), ["child", "starting child"]);
});

Deno.test("toPromise() keeps the current clock", async () => {
  const clock = new MockClock({ autojump: true });
  const elapsed = await clock.run(() =>
    toPromise(async () => {
      const start = now();
      await sleep(60_000);
      return now() - start;
    })
  );
  assert.equal(elapsed, 60_000);
});

Deno.test("toPromise() throws TypeError for a non-function or a non-signal", () => {
  assert.throws(() => toPromise(42 as unknown as () => void), {
    name: "TypeError",
    message:
      "Cannot call toPromise(): 'fn' must be a function: current value is 42",
  });
  assert.throws(
    () => toPromise(() => {}, { signal: "stop" as unknown as AbortSignal }),
    {
      name: "TypeError",
      message:
        `Cannot call toPromise(): 'signal' must be an AbortSignal: current value is "stop"`,
    },
  );
});
