// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import {
  Cancelled,
  CancelScope,
  checkpoint,
  moveOnAfter,
  sleepForever,
} from "@corral/scope";
import { TaskGroupError } from "@corral/taskgroup";
import { type Quarantine, quarantine } from "./quarantine.ts";
import { countListeners, deferred, delay, foreignWait } from "./_test_util.ts";

Deno.test("quarantine() cleans up after a normal exit: signal, timers, listeners, promises, then cleanups", async () => {
  const log: string[] = [];
  const target = new EventTarget();
  const listeners = countListeners(target);
  let handle: Quarantine | undefined;
  const value = await quarantine((q) => {
    handle = q;
    q.setTimeout(() => log.push("timeout fired (must not)"), 10_000);
    q.setInterval(() => log.push("interval fired (must not)"), 10_000);
    q.listen(target, "ping", () => log.push("ping"));
    q.track(
      foreignWait(q.signal, () => log.push("tracked aborted")).catch(
        async () => {
          await delay(5); // slow foreign cleanup: awaited before quarantine returns
          log.push("tracked settled");
        },
      ),
    );
    q.defer(() => log.push("cleanup 1"));
    q.defer(async () => {
      await delay(1);
      log.push("cleanup 2");
    });
    target.dispatchEvent(new Event("ping"));
    assert.match(
      String(q),
      /^Quarantine "quarantine" \(open, 2 timers, 1 tracked\)$/,
    );
    return "value";
  });
  assert.equal(value, "value");
  assert.deepEqual(log, [
    "ping",
    "tracked aborted",
    "tracked settled",
    "cleanup 2",
    "cleanup 1",
  ]);
  assert.ok(handle!.signal.aborted);
  assert.equal(handle!.signal.reason.name, "AbortError");
  assert.equal(listeners.live("ping"), 0, "removed through the signal");
  target.dispatchEvent(new Event("ping"));
  assert.equal(log.filter((entry) => entry === "ping").length, 1);
  assert.equal(String(handle), `Quarantine "quarantine" (closed)`);
  // The sanitizers prove no timer is left.
});

Deno.test("quarantine() cleans up after the body throws, and wraps the error", async () => {
  const log: string[] = [];
  const error = await quarantine((q) => {
    q.setTimeout(() => log.push("never"), 10_000);
    q.track(foreignWait(q.signal, () => log.push("aborted")).catch(() => {}));
    q.defer(() => log.push("cleanup"));
    throw new Error("body failed");
  }, { name: "block" }).catch((error) => error);
  assert.ok(error instanceof TaskGroupError);
  assert.equal(error.errors.length, 1);
  assert.equal(error.errors[0].message, "body failed");
  assert.match(error.message, /Task group "block" failed with 1 error/);
  assert.deepEqual(log, ["aborted", "cleanup"]);
});

Deno.test("quarantine() cleans up after a cancellation, which passes on to its owner", async () => {
  const log: string[] = [];
  let reason: unknown;
  const result = await moveOnAfter(5, () =>
    quarantine(async (q) => {
      q.setInterval(() => {}, 1);
      q.track(
        foreignWait(q.signal).catch((error) => {
          reason = error;
          log.push("aborted");
        }),
      );
      q.defer(async () => {
        await checkpoint(); // shielded: does not throw
        log.push("cleanup");
      });
      await sleepForever();
    }));
  assert.equal(result, undefined);
  assert.deepEqual(log, ["aborted", "cleanup"]);
  assert.ok(
    reason instanceof Cancelled,
    "the signal aborted with the Cancelled",
  );
  assert.equal((reason as Cancelled).source, "deadline");
});

Deno.test("quarantine() treats a tracked promise that fails while open as a failure of the block", async () => {
  const steps: string[] = [];
  const error = await quarantine(async (q) => {
    q.track(Promise.reject(new Error("background failed")));
    try {
      await sleepForever();
    } catch (error) {
      steps.push(`body cancelled: ${(error as Cancelled).source}`);
      throw error;
    }
  }).catch((error) => error);
  assert.ok(error instanceof TaskGroupError);
  assert.deepEqual(error.errors.map((e: Error) => e.message), [
    "background failed",
  ]);
  assert.deepEqual(steps, ["body cancelled: group"]);
});

Deno.test("quarantine() drops a tracked rejection that follows its abort", async () => {
  const value = await quarantine((q) => {
    q.track(foreignWait(q.signal)); // rejects with the abort reason on exit
    return "clean";
  });
  assert.equal(value, "clean");
});

Deno.test("quarantine() reports a throwing timer callback or listener instead of crashing", async () => {
  const error = await quarantine(async (q) => {
    q.setTimeout(() => {
      throw new Error("timer callback broke");
    }, 1);
    await sleepForever();
  }).catch((error) => error);
  assert.ok(error instanceof TaskGroupError);
  assert.equal(error.errors[0].message, "timer callback broke");

  const target = new EventTarget();
  const fromListener = await quarantine(async (q) => {
    q.listen(target, "boom", () => {
      throw new Error("listener broke");
    });
    target.dispatchEvent(new Event("boom"));
    await checkpoint();
  }).catch((error) => error);
  assert.ok(fromListener instanceof TaskGroupError);
  assert.equal(fromListener.errors[0].message, "listener broke");

  let ticks = 0;
  const fromInterval = await quarantine(async (q) => {
    q.setInterval(() => {
      ticks++;
      throw new Error("interval broke");
    }, 1);
    await sleepForever();
  }).catch((error) => error);
  assert.equal(fromInterval.errors.length, 1);
  assert.equal(ticks, 1, "a throwing interval stops");
});

Deno.test("quarantine() reports a failing cleanup and still runs the others", async () => {
  const log: string[] = [];
  const error = await quarantine((q) => {
    q.defer(() => log.push("first registered, last run"));
    q.defer(() => {
      throw new Error("cleanup broke");
    });
    q.defer(() => log.push("last registered, first run"));
  }).catch((error) => error);
  assert.ok(error instanceof TaskGroupError);
  assert.equal(error.errors[0].message, "cleanup broke");
  assert.deepEqual(log, [
    "last registered, first run",
    "first registered, last run",
  ]);
});

Deno.test("quarantine() exits cleanly when its own scope is cancelled", async () => {
  const aborted = deferred<unknown>();
  const result = await quarantine(async (q) => {
    q.signal.addEventListener("abort", () => aborted.resolve(q.signal.reason));
    q.scope.cancel("enough");
    await checkpoint();
    return "never";
  });
  assert.equal(result, undefined);
  assert.equal(((await aborted.promise) as Cancelled).reason, "enough");
});

Deno.test("quarantine() refuses new foreign work once it has exited", async () => {
  let handle: Quarantine | undefined;
  await quarantine((q) => {
    handle = q;
  }, { name: "done" });
  const q = handle!;
  assert.throws(() => q.setTimeout(() => {}, 1), {
    message:
      `Cannot set timer in quarantine "done": the block has exited; start foreign work inside the block`,
  });
  assert.throws(() => q.setInterval(() => {}, 1), Error);
  assert.throws(() => q.track(Promise.resolve()), Error);
  assert.throws(() => q.defer(() => {}), Error);
  assert.throws(() => q.listen(new EventTarget(), "x", () => {}), Error);
  assert.ok(q.signal.aborted, "a signal read after exit is aborted");
  q.clearTimeout(undefined); // harmless
});

Deno.test("quarantine() cleanups may track the promises of their own teardown", async () => {
  const log: string[] = [];
  await quarantine((q) => {
    q.defer(() => {
      q.track(delay(2).then(() => log.push("teardown promise settled")));
    });
    q.defer(() => log.push("runs first"));
  });
  assert.deepEqual(log, ["runs first", "teardown promise settled"]);
});

Deno.test("Quarantine.clearTimeout() and clearInterval() cancel a timer early", async () => {
  let fired = false;
  await quarantine(async (q) => {
    const id = q.setTimeout(() => fired = true, 1);
    q.clearTimeout(id);
    const every = q.setInterval(() => fired = true, 1);
    q.clearInterval(every);
    await delay(5);
  });
  assert.equal(fired, false);
});

Deno.test("quarantine() throws TypeError for bad input", async () => {
  assert.throws(() => quarantine(42 as unknown as () => void), {
    name: "TypeError",
    message:
      "Cannot call quarantine(): 'fn' must be a function: current value is 42",
  });
  await quarantine((q) => {
    assert.throws(() => q.setTimeout(42 as unknown as () => void), {
      name: "TypeError",
      message:
        `Cannot set timer in quarantine "quarantine": 'fn' must be a function: current value is 42`,
    });
    assert.throws(() => q.setTimeout(() => {}, -1), RangeError);
    assert.throws(() => q.track(42 as unknown as Promise<void>), {
      name: "TypeError",
      message:
        `Cannot track promise in quarantine "quarantine": 'promise' must be a promise: current value is 42`,
    });
    assert.throws(() => q.defer("cleanup" as unknown as () => void), TypeError);
    assert.throws(
      () => q.listen(new EventTarget(), "x", null as unknown as () => void),
      TypeError,
    );
  });
  const scope = new CancelScope();
  await scope.run(() => {}); // nothing left over from the bad calls
});
