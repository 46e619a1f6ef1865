// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import {
  Cancelled,
  CancelScope,
  checkpoint,
  moveOnAfter,
  sleep,
} from "@corral/scope";
import { MockClock } from "@corral/scope/testing";
import { taskGroup } from "@corral/taskgroup";
import { abortable } from "./abortable.ts";
import { deferred, foreignWait } from "./_test_util.ts";

Deno.test("abortable() returns the foreign value when nothing cancels it", async () => {
  const scope = new CancelScope();
  const value = await scope.run(() =>
    abortable(async (signal) => {
      assert.equal(signal.aborted, false);
      await Promise.resolve();
      return "value";
    })
  );
  assert.equal(value, "value");
  assert.equal(await abortable(() => 7), 7, "a plain value, outside any scope");
});

// Semantics case 154 (trio-asyncio `test_calls.py::test_trio_asyncio_cancel_in`):
// the structured side cancels a call into foreign code; the foreign code sees
// its own kind of cancellation (an aborted signal), and the structured scope
// absorbs its own cancellation.
Deno.test("semantics 154: a cancelled scope aborts the foreign signal, waits for it, and absorbs its Cancelled", async () => {
  const clock = new MockClock({ autojump: true });
  const log: string[] = [];
  let foreignReason: unknown;
  const scope = new CancelScope({ timeout: 100, name: "call" });
  const result = await clock.run(() =>
    scope.run(() =>
      abortable(async (signal) => {
        try {
          return await foreignWait(signal);
        } catch (error) {
          foreignReason = error;
          await new Promise((resolve) => setTimeout(resolve, 5)); // slow cleanup
          log.push("foreign cleanup done");
          throw error;
        }
      })
    )
  );
  log.push("abortable returned");
  assert.equal(result, undefined);
  assert.ok(scope.cancelCaught, "the scope absorbed its own cancellation");
  assert.equal(
    foreignReason,
    scope.reason,
    "the signal's reason is the Cancelled",
  );
  assert.deepEqual(log, ["foreign cleanup done", "abortable returned"]);
});

// Semantics case 156 (trio-asyncio `test_calls.py::test_trio_asyncio_cancel_out`,
// docs "Errors and cancellations"): foreign code that ends with its own
// cancellation passes it through unchanged and never cancels our scope.
Deno.test("semantics 156: a foreign AbortError without our abort propagates as itself", async () => {
  const scope = new CancelScope({ name: "caller" });
  const foreign = new AbortController();
  const error = await scope.run(() =>
    abortable(async () => {
      foreign.abort(); // someone else's controller
      await Promise.resolve();
      throw foreign.signal.reason;
    }).catch((error) => error)
  );
  assert.ok(error instanceof DOMException);
  assert.equal(error.name, "AbortError");
  assert.equal(scope.cancelCalled, false);
  assert.equal(scope.cancelCaught, false);
});

Deno.test("abortable() turns any rejection after our abort into our Cancelled", async () => {
  const scope = new CancelScope({ name: "s" });
  let caught: unknown;
  await scope.run(async () => {
    try {
      await abortable((signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener("abort", () => {
            reject(new TypeError("connection reset while closing"));
          });
          scope.cancel("stop");
        })
      );
    } catch (error) {
      caught = error;
      throw error;
    }
  });
  assert.ok(caught instanceof Cancelled);
  assert.equal(caught, scope.reason);
  assert.ok(scope.cancelCaught);
});

Deno.test("abortable() returns a value that arrived before the abort, or despite it", async () => {
  // The value is on its way (resolved) when the cancel lands.
  const scope = new CancelScope();
  const value = await scope.run(async () => {
    const call = abortable(() => Promise.resolve("arrived"));
    scope.cancel();
    return await call;
  });
  assert.equal(value, "arrived");
  assert.equal(scope.cancelCaught, false);

  // Foreign code that ignores the abort and finishes: its value is kept
  // (Trio: "I guess it wasn't cancelled after all"); the next checkpoint throws.
  const stubborn = new CancelScope();
  const steps: string[] = [];
  await stubborn.run(async () => {
    const call = abortable(async (signal) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      assert.ok(signal.aborted);
      return "finished anyway";
    });
    stubborn.cancel();
    steps.push(await call);
    await checkpoint();
    steps.push("never");
  });
  assert.deepEqual(steps, ["finished anyway"]);
  assert.ok(stubborn.cancelCaught);
});

Deno.test("abortable() with abandon returns at once and swallows the later rejection", async () => {
  const clock = new MockClock({ autojump: true });
  const late = deferred<string>();
  let aborted = false;
  const result = await clock.run(() =>
    moveOnAfter(50, () =>
      abortable((signal) => {
        signal.addEventListener("abort", () => aborted = true);
        return late.promise; // ignores the abort
      }, { abandon: true }))
  );
  assert.equal(result, undefined);
  assert.ok(aborted);
  late.reject(new Error("rejects later, nobody listening")); // not unhandled
  await sleep(0);
});

Deno.test("abortable() with abandon returns a value that arrived before the cancel, in the same turn (Trio: it wasn't cancelled after all)", async () => {
  // Without `abandon` the value is returned; with it, it was once dropped
  // for a Cancelled when the cancel landed in the turn the value arrived.
  for (const abandon of [false, true]) {
    const scope = new CancelScope();
    const arrived = deferred<string>();
    let got: unknown;
    const running = scope.run(async () => {
      got = await abortable(() => arrived.promise, { abandon });
    });
    await Promise.resolve(); // abortable is waiting
    arrived.resolve("the value");
    scope.cancel(); // same turn: the value's reaction is already queued
    await running;
    assert.equal(got, "the value", `abandon: ${abandon}`);
  }
});

Deno.test("abortable() rejects null or non-object options with a TypeError naming them", () => {
  for (const options of [null, 1, "x"]) {
    assert.throws(
      () => abortable(() => 1, options as never),
      /^TypeError: Cannot call abortable\(\): 'options' must be an object: current value is /,
    );
  }
});

Deno.test("abortable() is a checkpoint: in a cancelled scope it throws without calling fn", async () => {
  const scope = new CancelScope();
  let called = false;
  await scope.run(async () => {
    scope.cancel();
    await abortable(() => {
      called = true;
    });
  });
  assert.equal(called, false);
  assert.ok(scope.cancelCaught);
});

Deno.test("abortable() lets a synchronous throw of fn through", async () => {
  const scope = new CancelScope();
  await assert.rejects(
    scope.run(() =>
      abortable(() => {
        throw new SyntaxError("sync");
      })
    ),
    SyntaxError,
  );
});

Deno.test("abortable() outside any scope hands out a signal that never aborts", async () => {
  const value = await abortable((signal) => {
    assert.equal(signal.aborted, false);
    return Promise.resolve(signal);
  });
  assert.ok(value instanceof AbortSignal);
});

Deno.test("abortable() gives each call its own signal, and one cancel aborts them all", async () => {
  const scope = new CancelScope();
  const signals = new Set<AbortSignal>();
  await scope.run(() =>
    taskGroup((group) => {
      for (let i = 0; i < 100; i++) {
        group.spawn(() =>
          abortable((signal) => {
            signals.add(signal);
            return foreignWait(signal);
          })
        );
      }
      group.spawn(async () => {
        await checkpoint();
        scope.cancel();
      });
    })
  );
  assert.equal(signals.size, 100);
  for (const signal of signals) assert.ok(signal.aborted);
  assert.ok(scope.cancelCaught);
});

// Semantics case 160 (anyio `test_taskgroups.py::test_cancel_native_future_tasks`,
// `::test_cancel_native_future_tasks_cancel_scope`, `::test_cancel_completed_task`):
// a child awaiting a raw foreign promise when the group is cancelled, and a
// child that already finished: the foreign work is cancelled cleanly, and no
// spurious unhandled rejection appears (the test would fail on one).
Deno.test("semantics 160: a group cancelled while a child awaits foreign work, or after a child finished, leaves nothing unhandled", async () => {
  const clock = new MockClock({ autojump: true });
  const abandoned = deferred<never>();
  const result = await clock.run(() =>
    taskGroup(async (group) => {
      const finished = group.spawn(() => "done early", { name: "finished" });
      const waiting = group.spawn(() =>
        abortable((signal) => foreignWait(signal))
      );
      const stubborn = group.spawn(() =>
        abortable(() => abandoned.promise, { abandon: true })
      );
      await sleep(10);
      assert.equal(await finished.result, "done early");
      group.cancel("stop");
      void waiting;
      void stubborn;
      return "body value";
    })
  );
  assert.equal(result, "body value");
  abandoned.reject(new Error("late rejection of abandoned work"));
  await checkpoint();
});

Deno.test("abortable() throws TypeError for a non-function or a bad abandon", () => {
  for (const bad of [42, "fn", null, undefined, {}]) {
    assert.throws(
      () => abortable(bad as unknown as () => void),
      {
        name: "TypeError",
        message:
          `Cannot call abortable(): 'fn' must be a function: current value is ${
            typeof bad === "string" ? JSON.stringify(bad) : String(bad)
          }`,
      },
    );
  }
  assert.throws(
    () => abortable(() => 1, { abandon: "yes" as unknown as boolean }),
    {
      name: "TypeError",
      message:
        `Cannot call abortable(): 'abandon' must be a boolean: current value is "yes"`,
    },
  );
});
