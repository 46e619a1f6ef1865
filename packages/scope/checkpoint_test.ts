// Copyright the corral authors. MIT license.
// Tests of checkpoint(), the sleeps, waitUnlessCancelled(), now() and
// currentEffectiveDeadline(): rule 2 (and the query of rule 9) of docs/rules.md.
import assert from "node:assert/strict";
import { CancelScope, currentScope } from "./cancel_scope.ts";
import {
  checkpoint,
  currentEffectiveDeadline,
  now,
  sleep,
  sleepForever,
  sleepUntil,
  waitUnlessCancelled,
} from "./checkpoint.ts";
import { MockClock } from "./mock_clock.ts";
import { moveOnAfter } from "./timeouts.ts";
import { internals } from "./_internal.ts";
import {
  assertCancelled,
  realDelay,
  testUnderEachParent,
} from "./_test_parents.ts";

testUnderEachParent(
  "rule 2: a checkpoint in a cancelled scope throws even when it would not wait",
  async (clock) => {
    // trio: test_timeouts.py::test_sleep (docs/semantics.md #27); rule 2 of docs/rules.md
    const scope = new CancelScope({ name: "cancelled" });
    await scope.run(async () => {
      scope.cancel();
      const waits: [string, () => Promise<unknown>][] = [
        ["checkpoint()", () => checkpoint()],
        ["sleep(0)", () => sleep(0)],
        ["sleep(10)", () => sleep(10)],
        ["sleepUntil(past)", () => sleepUntil(now() - 1)],
        ["sleepUntil(now)", () => sleepUntil(now())],
        ["sleepUntil(future)", () => sleepUntil(now() + 10)],
        ["sleepForever()", () => sleepForever()],
        [
          "waitUnlessCancelled(settled)",
          () => waitUnlessCancelled(Promise.resolve("value")),
        ],
      ];
      for (const [label, wait] of waits) {
        const cancelled = await assertCancelled(wait()).catch((error) => {
          throw new Error(`${label}: ${error.message}`);
        });
        assert.equal(cancelled, scope.reason, label);
      }
      assert.equal(clock.now(), 0, "no wait took any time");
      await checkpoint();
    });
    assert.ok(scope.cancelCaught);
  },
);

Deno.test(
  "rule 2: a loop of bare checkpoint() calls does not starve a timer, and a real deadline stops it",
  async () => {
    // The one test on real time (rule 2 of docs/rules.md). First, a timer set for 5 ms
    // fires while a loop of checkpoints runs: the loop waits for it, with a
    // safety deadline that only a starved timer would reach. (Racing the
    // timer against a short deadline instead would fail spuriously on a
    // loaded machine: after a long preemption the loop's own clock check
    // ends it before the overdue timer gets its turn.)
    let timerFired = false;
    const timer = setTimeout(() => timerFired = true, 5);
    try {
      await moveOnAfter(500, async () => {
        while (!timerFired) await checkpoint();
      });
    } finally {
      clearTimeout(timer);
    }
    assert.ok(timerFired, "the timer was starved by the checkpoint loop");

    // Then moveOnAfter(20) ends an endless loop of checkpoints on time.
    const started = performance.now();
    const result = await moveOnAfter(20, async () => {
      for (;;) await checkpoint();
    });
    const elapsed = performance.now() - started;
    assert.equal(result, undefined);
    assert.ok(elapsed >= 20 - 1, `stopped after ${elapsed} ms`);
    // Loose: under parallel tests on a busy machine a timer runs late;
    // a starved timer would never end the loop at all.
    assert.ok(elapsed < 1_000, `stopped after ${elapsed} ms`);
  },
);

testUnderEachParent(
  "rule 2: foreign work that ignores cancellation finishes, then the next checkpoint throws",
  async () => {
    // trio: test_run.py::test_failed_abort, ::test_slow_abort_basic
    // (docs/semantics.md #140); trio docs "Cancellation and primitive operations"
    // (docs/semantics.md #139: a checkpoint that throws did not do its work)
    const scope = new CancelScope({ name: "foreign" });
    const record: string[] = [];
    await scope.run(async () => {
      let finish!: (value: string) => void;
      const foreign = new Promise<string>((resolve) => finish = resolve);
      const waiting = (async () => {
        record.push(await foreign); // a plain await: not a checkpoint
        await checkpoint();
        record.push("unreachable");
      })();
      scope.cancel();
      finish("foreign work finished");
      await waiting;
    });
    assert.deepEqual(record, ["foreign work finished"]);
    assert.ok(scope.cancelCaught);
  },
);

Deno.test("checkpoint() outside any scope only yields", async () => {
  assert.equal(currentScope(), undefined);
  const elsewhere = new CancelScope();
  elsewhere.cancel(); // a cancelled scope that is not around us
  await checkpoint();
  let yielded = false;
  queueMicrotask(() => yielded = true);
  await checkpoint();
  assert.ok(yielded, "a microtask queued before it ran");
});

testUnderEachParent("checkpoint() lets other tasks run", async () => {
  // A task looping on checkpoint() lets another task make progress.
  let otherSteps = 0;
  const other = (async () => {
    for (let i = 0; i < 3; i++) {
      await checkpoint();
      otherSteps++;
    }
  })();
  // Bounded in real time, not in loops: if this loop's checkpoint got the
  // first macrotask turn while the other task's waits behind it, this loop
  // answers from the microtask queue for up to a millisecond (rule 2), which
  // on a fast machine is well over a thousand checkpoints.
  const started = performance.now();
  while (otherSteps < 3) {
    await checkpoint();
    if (performance.now() - started > 1_000) {
      assert.fail("checkpoint() never let the other task run");
    }
  }
  await other;
});

testUnderEachParent(
  "sleep() waits exactly ms on the scope's clock",
  async (clock) => {
    const start = clock.now();
    await sleep(250);
    assert.equal(clock.now(), start + 250);
    assert.equal(now(), clock.now());
    await sleep(0);
    assert.equal(clock.now(), start + 250);
    await sleepUntil(1_000);
    assert.equal(clock.now(), 1_000);
    await sleepUntil(10); // already past: only a checkpoint
    assert.equal(clock.now(), 1_000);
    assert.equal(internals.clockOf(currentScope()).pending, 0);
  },
  { autojump: true },
);

testUnderEachParent(
  "sleep() ends when its scope is cancelled, and the clock does not move",
  async (clock) => {
    // trio docs "Cancellation and primitive operations" (docs/semantics.md #139)
    const scope = new CancelScope({ name: "sleeper" });
    let finished = false;
    await Promise.all([
      scope.run(async () => {
        await sleep(1_000);
        finished = true;
      }),
      (async () => {
        await checkpoint();
        scope.cancel();
      })(),
    ]);
    assert.equal(finished, false);
    assert.ok(scope.cancelCaught);
    assert.equal(clock.now(), 0);
  },
);

testUnderEachParent(
  "sleepForever() waits without queuing a deadline until its scope is cancelled",
  async (clock) => {
    const scope = new CancelScope({ name: "forever" });
    await Promise.all([
      scope.run(() => sleepForever()),
      (async () => {
        await checkpoint();
        assert.equal(internals.clockOf(scope).pending, 0);
        clock.advance(1_000_000);
        await checkpoint();
        scope.cancel();
      })(),
    ]);
    assert.ok(scope.cancelCaught);
  },
);

testUnderEachParent(
  "waitUnlessCancelled() returns the value or the error of the promise",
  async () => {
    assert.equal(await waitUnlessCancelled(Promise.resolve(7)), 7);
    const failure = new Error("foreign failure");
    await assert.rejects(
      waitUnlessCancelled(Promise.reject(failure)),
      (error) => error === failure,
    );
    // A thenable works too.
    assert.equal(
      await waitUnlessCancelled({
        then(resolve: (value: string) => void) {
          resolve("thenable");
        },
      } as PromiseLike<string>),
      "thenable",
    );
    // A wait that settled leaves no waiter behind: a later cancel is quiet.
    const scope = new CancelScope({ name: "quiet" });
    await scope.run(async () => {
      assert.equal(await waitUnlessCancelled(Promise.resolve(1)), 1);
      scope.cancel();
    });
    assert.equal(scope.cancelCaught, false);
  },
);

testUnderEachParent(
  "waitUnlessCancelled() stops waiting when the scope is cancelled",
  async () => {
    const scope = new CancelScope({ name: "waiting" });
    let finish!: (value: string) => void;
    const foreign = new Promise<string>((resolve) => finish = resolve);
    let late: string | undefined;
    await scope.run(async () => {
      const waiting = waitUnlessCancelled(foreign);
      scope.cancel("enough");
      const cancelled = await assertCancelled(waiting);
      assert.equal(cancelled.reason, "enough");
      void foreign.then((value) => late = value); // the promise runs on
      throw cancelled;
    });
    assert.ok(scope.cancelCaught);
    finish("done anyway");
    await foreign;
    assert.equal(late, "done anyway");
  },
);

Deno.test("waitUnlessCancelled() outside any scope is a plain await", async () => {
  assert.equal(await waitUnlessCancelled(Promise.resolve("x")), "x");
});

Deno.test("now() reads the clock of the current scope", async () => {
  const before = performance.now();
  const real = now();
  assert.ok(real >= before && real <= performance.now());
  const clock = new MockClock();
  clock.advance(42);
  assert.equal(await clock.run(() => now()), 42);
  await clock.run(() =>
    new CancelScope().run(() => {
      clock.advance(8);
      assert.equal(now(), 50);
    })
  );
});

testUnderEachParent(
  "currentEffectiveDeadline() is the earliest deadline visible, stopping at a shield",
  async () => {
    // trio: test_run.py::test_current_effective_deadline (docs/semantics.md #39)
    assert.equal(currentEffectiveDeadline(), Infinity);
    const scope1 = new CancelScope({ name: "scope1", deadline: 5 });
    const scope2 = new CancelScope({ name: "scope2", deadline: 10 });
    await scope1.run(async () => {
      await scope2.run(() => {
        assert.equal(currentEffectiveDeadline(), 5);
        scope2.deadline = 3;
        assert.equal(currentEffectiveDeadline(), 3);
        scope2.deadline = 10;
        assert.equal(currentEffectiveDeadline(), 5);
        scope2.shield = true;
        assert.equal(currentEffectiveDeadline(), 10);
        scope2.shield = false;
        assert.equal(currentEffectiveDeadline(), 5);
        scope1.cancel();
        assert.equal(currentEffectiveDeadline(), -Infinity);
        scope2.shield = true;
        assert.equal(currentEffectiveDeadline(), 10);
      });
      assert.equal(currentEffectiveDeadline(), -Infinity);
    });
    assert.equal(currentEffectiveDeadline(), Infinity);
  },
);

Deno.test("currentEffectiveDeadline() outside any scope is Infinity", () => {
  assert.equal(currentEffectiveDeadline(), Infinity);
});

Deno.test("sleep() and sleepUntil() throw for bad values and start nothing", async () => {
  // trio: test_timeouts.py::test_timeouts_raise_value_error (docs/semantics.md #26)
  const clock = new MockClock();
  await clock.run(() => {
    const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
      [
        "sleep(NaN)",
        () => sleep(NaN),
        RangeError,
        /^Cannot sleep: 'ms' must be a non-negative number: current value is NaN$/,
      ],
      [
        "sleep(-1)",
        () => sleep(-1),
        RangeError,
        /^Cannot sleep: 'ms' must be a non-negative number: current value is -1$/,
      ],
      [
        "sleep(-Infinity)",
        () => sleep(-Infinity),
        RangeError,
        /current value is -Infinity$/,
      ],
      [
        'sleep("1")',
        // deno-lint-ignore no-explicit-any
        () => sleep("1" as any),
        TypeError,
        /^Cannot sleep: 'ms' must be a number: current value is 1$/,
      ],
      [
        "sleepUntil(NaN)",
        () => sleepUntil(NaN),
        RangeError,
        /^Cannot sleep: 'time' must not be NaN: current value is NaN$/,
      ],
      [
        "sleepUntil(undefined)",
        // deno-lint-ignore no-explicit-any
        () => sleepUntil(undefined as any),
        TypeError,
        /^Cannot sleep: 'time' must be a number: current value is undefined$/,
      ],
    ];
    for (const [label, call, errorClass, message] of cases) {
      assert.throws(
        call,
        (error: Error) =>
          error.constructor === errorClass && message.test(error.message),
        label,
      );
    }
    assert.equal(clock.now(), 0);
    assert.equal(internals.clockOf(currentScope()).pending, 0);
  });
});

Deno.test("MockClock keeps time still while the real clock runs", async () => {
  // Real time passing does not reach a sleep on the mock clock.
  const clock = new MockClock();
  await clock.run(async () => {
    let woke = false;
    const sleeping = sleep(1).then(() => woke = true);
    await realDelay(5);
    assert.equal(woke, false);
    clock.advance(1);
    await sleeping;
    assert.ok(woke);
  });
});
