// Copyright the corral authors. MIT license.
// Tests of MockClock: docs/rules.md (MockClock, in "The public API these rules speak of") and docs/semantics.md group L.
import assert from "node:assert/strict";
import { CancelScope, currentScope } from "./cancel_scope.ts";
import {
  checkpoint,
  now,
  sleep,
  sleepForever,
  waitUnlessCancelled,
} from "./checkpoint.ts";
import { MockClock } from "./testing.ts";
import { moveOnAfter } from "./timeouts.ts";
import { internals } from "./_internal.ts";
import { realDelay } from "./_test_parents.ts";

Deno.test("MockClock starts at 0 and never moves by itself", async () => {
  // trio: _core/_tests/test_mock_clock.py::test_mock_clock (docs/semantics.md #143)
  const clock = new MockClock();
  assert.equal(clock.now(), 0);
  assert.equal(clock.autojump, false);
  await clock.run(async () => {
    assert.equal(now(), 0);
    const scope = new CancelScope({ name: "pending", timeout: 1 });
    const running = scope.run(() => sleepForever());
    await realDelay(5); // real time passes; virtual time does not
    assert.equal(clock.now(), 0);
    assert.equal(scope.cancelCalled, false);
    clock.advance(1);
    await running;
    assert.ok(scope.cancelCaught);
  });
  assert.equal(clock.now(), 1);
});

Deno.test("MockClock.advance() moves time and expires every deadline it passes", async () => {
  const clock = new MockClock();
  await clock.run(async () => {
    const woken: string[] = [];
    const sleeper = (ms: number) =>
      sleep(ms).then(() => woken.push(`${ms}@${now()}`));
    const [late, early, middle] = [sleeper(30), sleeper(10), sleeper(20)];
    await checkpoint();
    clock.advance(15);
    await early;
    assert.deepEqual(woken, ["10@15"]);
    clock.advance(15); // 30: the deadline equal to now has passed (rule 4)
    await Promise.all([late, middle]);
    assert.deepEqual(woken, ["10@15", "20@30", "30@30"]);

    // advance(0) expires a deadline equal to now.
    const scope = new CancelScope({ name: "now" });
    await scope.run(async () => {
      await checkpoint();
      scope.deadline = clock.now() + 0.5;
      clock.advance(0.5);
      await checkpoint();
    });
    assert.ok(scope.cancelCaught);
  });
});

Deno.test("MockClock.advance() throws for bad values and keeps the time", () => {
  // trio: test_mock_clock.py::test_mock_clock ("time can't go backwards")
  // (docs/semantics.md #144)
  const clock = new MockClock();
  clock.advance(5);
  const cases: [unknown, ErrorConstructor, RegExp][] = [
    [
      NaN,
      RangeError,
      /^Cannot advance clock: 'ms' must be a non-negative number: current value is NaN$/,
    ],
    [
      -1,
      RangeError,
      /^Cannot advance clock: 'ms' must be a non-negative number: current value is -1$/,
    ],
    [-Infinity, RangeError, /current value is -Infinity$/],
    [
      "1",
      TypeError,
      /^Cannot advance clock: 'ms' must be a number: current value is 1$/,
    ],
  ];
  for (const [ms, errorClass, message] of cases) {
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => clock.advance(ms as any),
      (error: Error) =>
        error.constructor === errorClass && message.test(error.message),
      String(ms),
    );
    assert.equal(clock.now(), 5, "the clock did not move");
  }
});

Deno.test("MockClock throws for a non-boolean autojump", () => {
  for (const bad of [1, "yes", null]) {
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => new MockClock({ autojump: bad as any }),
      (error: Error) =>
        error instanceof TypeError &&
        new RegExp(
          `^Cannot set autojump: 'autojump' must be a boolean: current value is ${bad}$`,
        ).test(error.message),
    );
    const clock = new MockClock();
    // deno-lint-ignore no-explicit-any
    assert.throws(() => clock.autojump = bad as any, TypeError);
    assert.equal(clock.autojump, false);
  }
});

Deno.test("MockClock with autojump runs an hour of sleeps in milliseconds", async () => {
  // trio: test_mock_clock.py::test_mock_clock_autojump (docs/semantics.md #148)
  const clock = new MockClock({ autojump: true });
  const realStart = performance.now();
  await clock.run(async () => {
    let virtualStart = now();
    for (let i = 0; i < 10; i++) {
      await sleep(80_000 * i);
      assert.equal(now(), virtualStart + 80_000 * i, `sleep ${i}`);
      virtualStart = now();
    }
  });
  assert.equal(clock.now(), 3_600_000, "an hour");
  const realDuration = performance.now() - realStart;
  // Real sleeps would take an hour: a bound this loose cannot pass by
  // mistake, and a busy CI machine cannot fail it.
  assert.ok(realDuration < 2_000, `took ${realDuration} ms of real time`);
});

Deno.test("MockClock autojump jumps only to the next deadline, and only if one exists", async () => {
  // trio: _core/_mock_clock.py _autojump (docs/semantics.md #149)
  const clock = new MockClock({ autojump: true });
  await clock.run(async () => {
    // No deadline anywhere: a task blocked on real work does not move time.
    const realWork = realDelay(5).then(() => "real");
    assert.equal(
      await moveOnAfter(Infinity, () => waitUnlessCancelled(realWork)),
      "real",
    );
    assert.equal(clock.now(), 0);

    // Two deadlines: the first jump stops at the earlier one.
    const woken: number[] = [];
    await Promise.all([
      sleep(200).then(() => woken.push(now())),
      sleep(100).then(() => woken.push(now())),
    ]);
    assert.deepEqual(woken, [100, 200]);
  });
});

Deno.test("MockClock autojump waits while another task is busy in a checkpoint loop", async () => {
  // trio: test_mock_clock.py::test_mock_clock_autojump_0_and_wait_all_tasks_blocked_0
  // (docs/semantics.md #150): the clock jumps only once the program is idle.
  const clock = new MockClock({ autojump: true });
  const record: string[] = [];
  await clock.run(() =>
    Promise.all([
      (async () => {
        await sleep(1_000);
        record.push(`sleeper woke at ${now()}`);
      })(),
      (async () => {
        const end = performance.now() + 5; // a few ms of real work
        while (performance.now() < end) {
          await checkpoint();
          if (now() !== 0) {
            record.push("the clock jumped during the loop");
            break;
          }
        }
        record.push("busy loop done");
      })(),
    ])
  );
  assert.deepEqual(record, ["busy loop done", "sleeper woke at 1000"]);
});

Deno.test("MockClock.autojump set while running takes effect at once", async () => {
  // trio: test_mock_clock.py::test_mock_clock_autojump,
  // ::test_mock_clock_autojump_preset (docs/semantics.md #151)
  const clock = new MockClock();
  await clock.run(async () => {
    const sleeping = sleep(100_000);
    await realDelay(2);
    assert.equal(clock.now(), 0);
    clock.autojump = true;
    await sleeping;
    assert.equal(clock.now(), 100_000);

    clock.autojump = false;
    let woke = false;
    const next = sleep(10).then(() => woke = true);
    await realDelay(2);
    assert.equal(woke, false);
    assert.equal(clock.now(), 100_000);
    clock.advance(10);
    await next;
  });
});

Deno.test("MockClock: two clocks running at once are independent", async () => {
  // docs/rules.md (MockClock, in "The public API these rules speak of"); trio:
  // test_mock_clock.py::test_mock_clock_autojump_interference,
  // ::test_initialization_doesnt_mutate_runner (docs/semantics.md #151)
  const fast = new MockClock({ autojump: true });
  const manual = new MockClock();
  const idle = new MockClock({ autojump: true }); // never run: no effect
  let manualWoke = false;
  await Promise.all([
    fast.run(async () => {
      for (let i = 0; i < 5; i++) await sleep(1_000);
      assert.equal(now(), 5_000);
    }),
    manual.run(async () => {
      await sleep(10);
      manualWoke = true;
      assert.equal(now(), 10);
    }),
    (async () => {
      while (fast.now() < 5_000) await realDelay(1);
      assert.equal(manual.now(), 0, "the other clock's jumps do not move it");
      assert.equal(manualWoke, false);
      manual.advance(10);
    })(),
  ]);
  assert.equal(fast.now(), 5_000);
  assert.equal(manual.now(), 10);
  assert.equal(idle.now(), 0);

  // Two autojumping clocks at once keep exact virtual times.
  const a = new MockClock({ autojump: true });
  const b = new MockClock({ autojump: true });
  const [timesA, timesB] = await Promise.all([
    a.run(async () => {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) times.push((await sleep(7), now()));
      return times;
    }),
    b.run(async () => {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) times.push((await sleep(1_000), now()));
      return times;
    }),
  ]);
  assert.deepEqual(timesA, [7, 14, 21]);
  assert.deepEqual(timesB, [1_000, 2_000, 3_000]);
});

Deno.test("MockClock.run() runs the callback in a fresh root scope on the clock", async () => {
  const clock = new MockClock();
  const outer = new CancelScope({ name: "outer" });
  await outer.run(async () => {
    outer.cancel();
    const value = await clock.run(async (root) => {
      assert.equal(currentScope(), root);
      assert.equal(root.name, "MockClock");
      assert.equal(internals.parentOf(root), undefined);
      await checkpoint(); // the cancelled scope around the call does not reach
      clock.advance(3);
      return now();
    });
    assert.equal(value, 3);
    await checkpoint();
  });
  assert.ok(outer.cancelCaught);
});

Deno.test("MockClock: the clock's queue shows the next deadline", async () => {
  // trio: test_run.py::test_current_statistics ("seconds to next deadline")
  // (docs/semantics.md #152)
  const clock = new MockClock();
  await clock.run(async (root) => {
    const queue = internals.clockOf(root);
    assert.equal(queue.nextDeadline, Infinity);
    await moveOnAfter(50, async () => {
      await new CancelScope({ timeout: 20 }).run(() => {
        assert.equal(queue.nextDeadline - clock.now(), 20);
        assert.equal(queue.pending, 2);
      });
      assert.equal(queue.nextDeadline - clock.now(), 50);
    });
    assert.equal(queue.nextDeadline, Infinity);
    assert.equal(queue.pending, 0);
  });
});
