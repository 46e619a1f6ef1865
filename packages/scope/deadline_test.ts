// Copyright the corral authors. MIT license.
// Tests of scope deadlines: rules 4 and 6 of docs/rules.md, and the scope part of
// docs/semantics.md group B (deadlines and timeouts).
import assert from "node:assert/strict";
import { CancelScope } from "./cancel_scope.ts";
import {
  checkpoint,
  currentEffectiveDeadline,
  now,
  sleep,
  sleepForever,
} from "./checkpoint.ts";
import { moveOnAfter } from "./timeouts.ts";
import { realClock } from "./_clock.ts";
import { internals } from "./_internal.ts";
import {
  assertCancelled,
  busyWait,
  testUnderEachParent,
  withTimerCount,
} from "./_test_parents.ts";

testUnderEachParent(
  "CancelScope.deadline that passes after the scope exited has no effect",
  async (clock) => {
    // trio: test_run.py::test_basic_timeout (part 1) (docs/semantics.md #19)
    const start = clock.now();
    const scope = new CancelScope({ name: "quick" });
    await scope.run(() => {
      assert.equal(scope.deadline, Infinity);
      scope.deadline = start + 1;
      assert.equal(scope.deadline, start + 1);
    });
    assert.equal(scope.cancelCalled, false);
    clock.advance(2);
    await checkpoint();
    await checkpoint();
    assert.equal(scope.cancelCalled, false);
    assert.equal(internals.clockOf(scope).pending, 0);
  },
);

testUnderEachParent(
  "CancelScope.deadline passing while blocked cancels the scope",
  async (clock) => {
    // trio: test_run.py::test_basic_timeout (part 2) (docs/semantics.md #20)
    const scope = new CancelScope({
      name: "blocked",
      deadline: clock.now() + 1,
    });
    const running = scope.run(() => sleepForever());
    await checkpoint();
    clock.advance(2);
    assert.equal(await running, undefined);
    assert.ok(scope.cancelCalled);
    assert.ok(scope.cancelCaught);
    assert.equal(scope.reason?.source, "deadline");
  },
);

testUnderEachParent(
  "rule 6: a deadline moved earlier takes effect at once; moved later it never un-cancels",
  async (clock) => {
    // trio: test_run.py::test_basic_timeout (part 3), ::test_cancel_unbound
    // (last block) (docs/semantics.md #21)
    const start = clock.now();
    const scope = new CancelScope({ name: "moving" });
    await scope.run(async () => {
      await checkpoint();
      scope.deadline = start + 10;
      await checkpoint();
      clock.advance(5);
      await checkpoint();
      assert.equal(scope.cancelCalled, false);
      scope.deadline = start + 1; // already past: cancels now
      assert.ok(scope.cancelCalled);
      await assertCancelled(checkpoint());
      await assertCancelled(checkpoint());
      scope.deadline = start + 1_000; // later: still cancelled
      await assertCancelled(checkpoint());
      scope.deadline = Infinity;
      await assertCancelled(checkpoint());
      assert.equal(internals.clockOf(scope).pending, 0, "no deadline queued");
      await checkpoint();
    });
    assert.ok(scope.cancelCaught);
  },
);

testUnderEachParent(
  "rule 6: moving the deadline later while running avoids expiry",
  async (clock) => {
    // anyio: test_taskgroups.py::test_deadline_moved; cpython:
    // test_timeouts.py::test_reschedule (docs/semantics.md #40)
    const result = await moveOnAfter(10, async (scope) => {
      scope.deadline = now() + 100;
      await sleep(50);
      scope.deadline = Infinity;
      await sleep(1_000);
      return "finished";
    });
    assert.equal(result, "finished");
    assert.equal(clock.now(), 1_050);
  },
  { autojump: true },
);

testUnderEachParent(
  "rule 6: a scope entered with its deadline already past is cancelled on entry",
  async (clock) => {
    // trio: _run.py CancelScope.__enter__, history.rst 0.11; anyio:
    // test_taskgroups.py::test_deadline_reached_on_start (docs/semantics.md #22)
    clock.advance(100);
    const cases = [
      new CancelScope({ name: "equal", deadline: 100 }), // equal has passed
      new CancelScope({ name: "past", deadline: 50 }),
      new CancelScope({ name: "minus-infinity", deadline: -Infinity }),
      new CancelScope({ name: "zero-timeout", timeout: 0 }),
    ];
    for (const scope of cases) {
      const record: string[] = [];
      await scope.run(async () => {
        // Cancelled already: the signal (read before cancelCalled, whose
        // getter would look at the clock itself) is aborted.
        assert.ok(scope.signal.aborted, scope.name);
        assert.ok(scope.cancelCalled, scope.name);
        assert.equal(currentEffectiveDeadline(), -Infinity);
        record.push("entered");
        await checkpoint();
        record.push("unreachable");
      });
      assert.deepEqual(record, ["entered"], scope.name);
      assert.ok(scope.cancelCaught, scope.name);
      assert.equal(scope.reason?.source, "deadline");
    }
    assert.equal(clock.now(), 100);
  },
);

testUnderEachParent(
  "rule 4: cancelCalled is true once the deadline has passed, before any checkpoint",
  async (clock) => {
    // trio: test_run.py::test_cancel_unbound; history.rst 0.12 (docs/semantics.md #23)
    const idle = new CancelScope({ name: "idle", deadline: 10 });
    assert.equal(idle.cancelCalled, false);
    clock.advance(10);
    assert.ok(idle.cancelCalled, "an idle scope whose deadline passed");
    await idle.run(() => checkpoint());
    assert.ok(idle.cancelCaught);
  },
);

Deno.test(
  "rule 4: cancelCalled is true once a real deadline has passed, before the timer fires",
  async () => {
    // trio: test_run.py::test_cancel_unbound; history.rst 0.12 (docs/semantics.md #23)
    const scope = new CancelScope({ name: "active", timeout: 2 });
    await scope.run(async () => {
      busyWait(3); // no timer can fire while the thread is busy
      assert.ok(scope.cancelCalled);
      assert.ok(scope.signal.aborted);
      await checkpoint();
    });
    assert.ok(scope.cancelCaught);
  },
);

Deno.test(
  "checkpoint() past a real deadline throws before the clock's timer fires",
  async () => {
    // trio: test_run.py::test_yield_briefly_checks_for_timeout (docs/semantics.md #24)
    const scope = new CancelScope({ name: "busy", timeout: 100 });
    const record: string[] = [];
    await scope.run(async () => {
      await checkpoint();
      busyWait(101);
      record.push("busy done");
      await checkpoint();
      record.push("unreachable");
    });
    assert.deepEqual(record, ["busy done"]);
    assert.ok(scope.cancelCaught);
  },
);

testUnderEachParent(
  "rule 6: a relative timeout counts from the moment run() enters the scope",
  async (clock) => {
    // trio: test_timeouts.py::test_timeout_deadline_on_entry; history.rst
    // (#2512); disagreement D6 (docs/semantics.md #25)
    const scope = new CancelScope({ name: "relative", timeout: 5 });
    assert.equal(scope.deadline, Infinity, "unknown until entry");
    clock.advance(3);
    await scope.run(async () => {
      assert.equal(scope.deadline, 8);
      assert.equal(currentEffectiveDeadline(), 8);
      clock.advance(4);
      await checkpoint();
      clock.advance(1);
      await checkpoint();
    });
    assert.ok(scope.cancelCaught);
    assert.equal(clock.now(), 8);

    // An absolute deadline set before entry replaces the timeout.
    const replaced = new CancelScope({ name: "replaced", timeout: 5 });
    replaced.deadline = 100;
    await replaced.run(() => assert.equal(replaced.deadline, 100));
  },
);

Deno.test("rule 6: a scope without a deadline arms no timer", async () => {
  await withTimerCount(async (timers) => {
    const outer = new CancelScope({ name: "outer" });
    await outer.run(async () => {
      await new CancelScope({ shield: true }).run(() => checkpoint());
      await new CancelScope({ timeout: Infinity }).run(() => checkpoint());
      assert.equal(timers.armed(), 0);
      assert.equal(realClock.pending, 0);
    });
  });
});

Deno.test(
  "rule 6: a scope that exits before its real deadline leaves no timer",
  async () => {
    await withTimerCount(async (timers) => {
      const started = performance.now();
      const scope = new CancelScope({ name: "quick", timeout: 60_000 });
      const value = await scope.run(async () => {
        assert.equal(timers.live(), 1);
        await checkpoint();
        return "done";
      });
      assert.equal(value, "done");
      assert.equal(timers.live(), 0);
      assert.equal(realClock.pending, 0);
      // moveOnAfter and a scope cancelled explicitly clear theirs as well.
      await moveOnAfter(60_000, () => checkpoint());
      const cancelled = new CancelScope({ timeout: 60_000 });
      await cancelled.run(async () => {
        cancelled.cancel();
        assert.equal(timers.live(), 0, "cleared at cancel, before exit");
        await checkpoint();
      });
      assert.equal(timers.live(), 0);
      assert.ok(performance.now() - started < 1_000, "finished at once");
    });
  },
);

Deno.test("rule 6: 1,000 scopes with deadlines share one timer", async () => {
  await withTimerCount(async (timers) => {
    const base = now() + 60_000;
    const outer = new CancelScope({ name: "outer" });
    let entered = 0;
    await outer.run(async () => {
      const running = Promise.all(
        Array.from(
          { length: 1_000 },
          (_, i) =>
            new CancelScope({ deadline: base + i }).run(async () => {
              entered++;
              await sleepForever();
            }),
        ),
      );
      await checkpoint();
      assert.equal(entered, 1_000);
      assert.equal(realClock.pending, 1_000);
      assert.equal(timers.live(), 1);
      assert.equal(realClock.nextDeadline, base);
      outer.cancel();
      await running;
    });
    assert.equal(timers.live(), 0);
    assert.equal(realClock.pending, 0);
  });
});

Deno.test("rule 6: a real deadline fires on time", async () => {
  const started = performance.now();
  const scope = new CancelScope({ name: "real", timeout: 5 });
  await scope.run(() => sleepForever());
  const elapsed = performance.now() - started;
  assert.ok(scope.cancelCaught);
  assert.ok(elapsed >= 5 - 1, `fired after ${elapsed} ms`);
  // Loose: under parallel tests on a busy machine a timer runs late.
  assert.ok(elapsed < 1_000, `fired after ${elapsed} ms`);
});

testUnderEachParent(
  "MockClock.advance() past a scope's deadline makes the next checkpoint throw",
  async (clock) => {
    // trio: test_run.py::test_yield_briefly_checks_for_timeout,
    // ::test_current_time_with_mock_clock (docs/semantics.md #147)
    const scope = new CancelScope({
      name: "jumped",
      deadline: clock.now() + 5,
    });
    await scope.run(async () => {
      await checkpoint();
      clock.advance(10);
      await checkpoint();
      assert.fail("unreachable");
    });
    assert.ok(scope.cancelCaught);
  },
);
