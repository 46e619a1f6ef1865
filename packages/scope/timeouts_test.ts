// Copyright the corral authors. MIT license.
// Tests of moveOnAfter, moveOnAt, failAfter, failAt: rule 9 of docs/rules.md and
// the helper part of docs/semantics.md group B.
import assert from "node:assert/strict";
import { CancelScope } from "./cancel_scope.ts";
import { Cancelled, TimeoutError } from "./cancelled.ts";
import {
  checkpoint,
  currentEffectiveDeadline,
  now,
  sleep,
  sleepForever,
} from "./checkpoint.ts";
import { MockClock } from "./mock_clock.ts";
import { failAfter, failAt, moveOnAfter, moveOnAt } from "./timeouts.ts";
import { internals } from "./_internal.ts";
import { testUnderEachParent } from "./_test_parents.ts";

/** Asserts that `promise` rejects with a `TimeoutError` and returns it. */
async function assertTimeout(promise: Promise<unknown>): Promise<TimeoutError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TimeoutError, `got ${String(error)}`);
    assert.equal(error.name, "TimeoutError");
    return error;
  }
  assert.fail("expected TimeoutError, but the promise resolved");
}

testUnderEachParent(
  "rule 9: moveOnAfter() absorbs its deadline's cancellation and returns undefined",
  async (clock) => {
    // trio: test_timeouts.py::test_move_on_after; anyio:
    // test_taskgroups.py::test_move_on_after (docs/semantics.md #28)
    let seen: Cancelled | undefined;
    let afterSleep = false;
    let helperScope: CancelScope | undefined;
    const result = await moveOnAfter(100, async (scope) => {
      helperScope = scope;
      try {
        await sleep(1_000);
      } catch (error) {
        seen = error as Cancelled;
        throw error;
      }
      afterSleep = true;
      return "finished";
    });
    assert.equal(result, undefined);
    assert.equal(afterSleep, false);
    assert.equal(clock.now(), 100);
    assert.equal(seen?.source, "deadline");
    assert.match(seen!.message, /deadline/);
    assert.ok(helperScope!.cancelCalled && helperScope!.cancelCaught);
  },
  { autojump: true },
);

testUnderEachParent(
  "rule 9: failAfter() throws TimeoutError only when the deadline caused the cancellation",
  async (clock) => {
    // trio: test_timeouts.py::test_fail; anyio: test_taskgroups.py::
    // test_fail_after, ::test_fail_after_cancelled_before_deadline; cpython:
    // test_timeouts.py::test_timeout_basic; disagreement D5 (docs/semantics.md #28)
    let helperScope: CancelScope | undefined;
    const timeout = await assertTimeout(failAfter(100, async (scope) => {
      helperScope = scope;
      await sleep(1_000);
    }));
    assert.equal(clock.now(), 100);
    assert.equal(timeout.message, "Timed out after 100 ms");
    assert.equal(timeout.cause, helperScope!.reason);
    assert.equal((timeout.cause as Cancelled).source, "deadline");

    // An explicit cancel of the helper's own scope is absorbed: undefined.
    const explicit = await failAfter(100, async (scope) => {
      scope.cancel("changed my mind");
      await checkpoint();
      return "unreachable";
    });
    assert.equal(explicit, undefined);
    assert.equal(clock.now(), 100);

    // An explicit cancel even after the deadline passed but before it was
    // seen: the first cause (explicit) wins, so no TimeoutError.
    const late = await failAfter(10, async (scope) => {
      await checkpoint();
      scope.cancel("explicit first");
      clock.advance(10);
      await checkpoint();
    });
    assert.equal(late, undefined);
  },
  { autojump: true },
);

testUnderEachParent(
  "rule 9: failAt() and moveOnAt() take absolute deadlines",
  async (clock) => {
    const timeout = await assertTimeout(failAt(now() + 30, sleepForever));
    assert.equal(timeout.message, "Deadline 30 passed");
    assert.equal(clock.now(), 30);
    assert.equal(await moveOnAt(now() + 20, sleepForever), undefined);
    assert.equal(clock.now(), 50);
    assert.equal(await moveOnAt(now() + 20, () => "fast"), "fast");
    assert.equal(
      await failAt(now() + 20, async (scope) => {
        scope.cancel();
        await checkpoint();
      }),
      undefined,
    );
  },
  { autojump: true },
);

testUnderEachParent(
  "rule 9: an enclosing scope's cancellation passes a failAfter() as itself",
  async (clock) => {
    // cpython: test_timeouts.py::test_foreign_cancel_doesnt_timeout_if_not_expired;
    // anyio: test_taskgroups.py::test_nested_fail_after (docs/semantics.md #36)
    const outer = new CancelScope({ name: "outer" });
    const middle = new CancelScope({ name: "middle" });
    const record: string[] = [];
    await outer.run(() =>
      middle.run(() =>
        Promise.all([
          (async () => {
            await failAfter(1_000, async () => {
              await sleep(2_000);
              record.push("unreachable: after sleep");
            });
            record.push("unreachable: after failAfter");
          })().catch((error) => {
            assert.ok(error instanceof Cancelled, String(error));
            assert.equal(error, outer.reason);
            throw error;
          }),
          (async () => {
            await sleep(10); // the killer, like anyio's wait_all_tasks_blocked
            outer.cancel("killer");
          })(),
        ])
      )
    );
    assert.deepEqual(record, []);
    assert.ok(outer.cancelCalled && outer.cancelCaught);
    assert.equal(clock.now(), 10);
  },
  { autojump: true },
);

testUnderEachParent(
  "moveOnAfter() returns the callback's value when it finishes in time",
  async (clock) => {
    // cpython: test_timeouts.py::test_timeout_not_called; anyio:
    // test_taskgroups.py::test_fail_after_no_timeout (docs/semantics.md #29)
    let helperScope: CancelScope | undefined;
    const value = await failAfter(100, async (scope) => {
      helperScope = scope;
      await sleep(10);
      return "fast";
    });
    assert.equal(value, "fast");
    assert.equal(helperScope!.cancelCalled, false);
    assert.equal(helperScope!.deadline, 100);
    assert.ok(helperScope!.deadline > clock.now());
    assert.equal(await moveOnAfter(100, () => "sync value"), "sync value");
    assert.equal(internals.clockOf(helperScope).pending, 0);
  },
  { autojump: true },
);

testUnderEachParent(
  "moveOnAfter(Infinity) and failAt(Infinity) never fire",
  async (clock) => {
    // Stand-in for a timeout of None: anyio test_taskgroups.py::
    // test_move_on_after_no_timeout, ::test_fail_at_no_timeout; cpython
    // test_timeouts.py::test_timeout_disabled (docs/semantics.md #30)
    const value = await moveOnAfter(Infinity, async (scope) => {
      assert.equal(scope.deadline, Infinity);
      assert.equal(internals.clockOf(scope).pending, 0, "no deadline queued");
      await moveOnAfter(1_000, sleepForever);
      return "woke";
    });
    assert.equal(value, "woke");
    assert.equal(clock.now(), 1_000);
    assert.equal(await failAt(Infinity, () => sleep(500)), undefined);
    assert.equal(clock.now(), 1_500);
  },
  { autojump: true },
);

testUnderEachParent(
  "failAfter(0) with sleep(0) inside throws TimeoutError; a past moveOnAt() moves on",
  async (clock) => {
    // cpython: test_timeouts.py::test_timeout_zero, ::test_timeout_zero_sleep_zero,
    // ::test_timeout_in_the_past_sleep_zero; trio: test_timeouts.py::test_sleep
    // (docs/semantics.md #27, #31)
    let helperScope: CancelScope | undefined;
    await assertTimeout(failAfter(0, async (scope) => {
      helperScope = scope;
      await sleep(0);
    }));
    assert.ok(helperScope!.cancelCalled, "expired");
    clock.advance(10);
    const record: string[] = [];
    const value = await moveOnAt(now() - 5, async () => {
      record.push("entered");
      await sleep(0);
      record.push("unreachable");
    });
    assert.equal(value, undefined);
    assert.deepEqual(record, ["entered"]);
    assert.equal(await moveOnAt(now(), () => sleep(0)), undefined);
  },
);

testUnderEachParent(
  "nested timeouts: the shorter outer one fires and owns the cancellation",
  async (clock) => {
    // anyio: test_taskgroups.py::test_nested_move_on_after; trio docs
    // reference-core.rst "Cancellation semantics" (docs/semantics.md #32)
    let sleepCompleted = false;
    let innerCompleted = false;
    const outerScope = new CancelScope({ name: "outer", timeout: 100 });
    let innerScope: CancelScope | undefined;
    await outerScope.run(async () => {
      assert.equal(currentEffectiveDeadline(), outerScope.deadline);
      await moveOnAfter(1_000, async (scope) => {
        innerScope = scope;
        assert.equal(currentEffectiveDeadline(), outerScope.deadline);
        await sleep(2_000);
        sleepCompleted = true;
      });
      innerCompleted = true;
    });
    assert.equal(sleepCompleted, false);
    assert.equal(innerCompleted, false);
    assert.ok(outerScope.cancelCalled && outerScope.cancelCaught);
    assert.equal(innerScope!.cancelCalled, false);
    assert.equal(innerScope!.cancelCaught, false);
    assert.equal(clock.now(), 100);
  },
  { autojump: true },
);

testUnderEachParent(
  "nested timeouts with the same deadline: only the outer one throws TimeoutError",
  async (clock) => {
    // cpython: test_timeouts.py::test_nested_timeouts (docs/semantics.md #33)
    let outerScope: CancelScope | undefined;
    let innerScope: CancelScope | undefined;
    let innerError: unknown;
    const timeout = await assertTimeout(failAfter(100, async (outer) => {
      outerScope = outer;
      try {
        await failAfter(100, async (inner) => {
          innerScope = inner;
          await sleep(1_000);
        });
      } catch (error) {
        innerError = error;
        throw error;
      }
    }));
    assert.ok(innerError instanceof Cancelled, "the inner one lets it pass");
    assert.ok(
      outerScope!.cancelCalled && innerScope!.cancelCalled,
      "both expired",
    );
    assert.ok(outerScope!.cancelCaught);
    assert.equal(innerScope!.cancelCaught, false);
    assert.equal(timeout.cause, outerScope!.reason);
    assert.equal(clock.now(), 100);
  },
  { autojump: true },
);

testUnderEachParent(
  "an inner timeout that fired does not stop the outer one from firing on time",
  async (clock) => {
    // cpython: test_timeouts.py::test_nested_timeouts_loop_busy,
    // ::test_nested_timeouts_concurrent (docs/semantics.md #34)
    const record: string[] = [];
    await assertTimeout(failAfter(100, async () => {
      await assertTimeout(failAfter(10, () => sleep(10_000)));
      record.push(`inner fired at ${now()}`);
      clock.advance(200); // busy, no checkpoint, past the outer deadline
      await sleep(10_000);
      record.push("unreachable");
    }));
    assert.deepEqual(record, ["inner fired at 10"]);
    assert.equal(clock.now(), 210);

    // Concurrent: the outer fires on time while an inner one is still set.
    await assertTimeout(failAfter(100, () =>
      Promise.all([
        moveOnAfter(10, sleepForever),
        failAfter(1_000, sleepForever),
      ])));
    assert.equal(clock.now(), 310);
  },
  { autojump: true },
);

testUnderEachParent(
  "failAfter() lets other errors pass, even one thrown by cleanup after the timeout",
  async () => {
    // cpython: test_timeouts.py::test_foreign_exception_passed,
    // ::test_foreign_exception_on_timeout (docs/semantics.md #35)
    const foreign = new RangeError("foreign");
    let helperScope: CancelScope | undefined;
    await assert.rejects(
      failAfter(100, (scope) => {
        helperScope = scope;
        throw foreign;
      }),
      (error) => error === foreign,
    );
    assert.equal(helperScope!.cancelCalled, false);

    const cleanup = new Error("cleanup failed");
    await assert.rejects(
      failAfter(100, async () => {
        try {
          await sleep(1_000);
        } finally {
          // deno-lint-ignore no-unsafe-finally
          throw cleanup;
        }
      }),
      (error) => error === cleanup,
    );
  },
  { autojump: true },
);

testUnderEachParent(
  "failAfter() around concurrent waits throws a single TimeoutError",
  async (clock) => {
    // anyio: test_taskgroups.py::test_timeout_error_with_multiple_cancellations
    // (docs/semantics.md #42; the task-group form is @corral/taskgroup's). Here the
    // two waits are joined with Promise.all.
    const woken: string[] = [];
    const timeout = await assertTimeout(
      failAfter(100, () =>
        Promise.all(["body", "child"].map(async (who) => {
          try {
            await sleep(1_000);
          } finally {
            woken.push(who);
          }
        }))),
    );
    assert.ok(timeout.cause instanceof Cancelled);
    assert.deepEqual(woken.sort(), ["body", "child"]);
    assert.equal(clock.now(), 100);
  },
  { autojump: true },
);

testUnderEachParent(
  "failAfter() inside a shield in a cancelled scope still times out",
  async (clock) => {
    // anyio: test_taskgroups.py::test_nested_shield (docs/semantics.md #43, scope part;
    // the sibling that cancels the outer scope is a plain cancel() here)
    const outer = new CancelScope({ name: "outer" });
    const record: string[] = [];
    await outer.run(async () => {
      await new CancelScope({ shield: true }).run(async () => {
        outer.cancel("sibling failed");
        await assertTimeout(failAfter(100, async () => {
          await sleep(10);
          record.push("the shield kept the body running");
          await sleepForever();
        }));
        record.push("timed out");
      });
      await checkpoint();
    });
    assert.deepEqual(record, ["the shield kept the body running", "timed out"]);
    assert.ok(outer.cancelCaught);
    assert.equal(clock.now(), 100);
  },
  { autojump: true },
);

Deno.test("timeout helpers throw for bad values and start nothing", async () => {
  // trio: test_timeouts.py::test_timeouts_raise_value_error (docs/semantics.md #26);
  // docs/rules.md "Bad input"
  const clock = new MockClock();
  await clock.run(async () => {
    let called = false;
    const fn = () => {
      called = true;
    };
    const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [];
    for (const ms of [NaN, -1, -Infinity]) {
      for (
        const [name, helper] of [["moveOnAfter", moveOnAfter], [
          "failAfter",
          failAfter,
        ]] as const
      ) {
        cases.push([
          `${name}(${ms})`,
          () => helper(ms, fn),
          RangeError,
          new RegExp(
            `^Cannot call ${name}\\(\\): 'ms' must be a non-negative number: current value is ${ms}$`,
          ),
        ]);
      }
    }
    for (
      const [name, helper] of [["moveOnAt", moveOnAt], [
        "failAt",
        failAt,
      ]] as const
    ) {
      cases.push([
        `${name}(NaN)`,
        () => helper(NaN, fn),
        RangeError,
        new RegExp(
          `^Cannot call ${name}\\(\\): 'time' must not be NaN: current value is NaN$`,
        ),
      ]);
      cases.push([
        `${name}("1")`,
        // deno-lint-ignore no-explicit-any
        () => helper("1" as any, fn),
        TypeError,
        new RegExp(
          `^Cannot call ${name}\\(\\): 'time' must be a number: current value is 1$`,
        ),
      ]);
    }
    cases.push([
      "moveOnAfter(10, not a function)",
      // deno-lint-ignore no-explicit-any
      () => moveOnAfter(10, 42 as any),
      TypeError,
      /^Cannot run scope "moveOnAfter\(10\)": 'fn' must be a function: current value is 42$/,
    ]);
    for (const [label, call, errorClass, message] of cases) {
      assert.throws(
        call,
        (error: Error) =>
          error.constructor === errorClass && message.test(error.message),
        label,
      );
    }
    assert.equal(called, false);
    assert.equal(clock.now(), 0);
    assert.equal(internals.clockOf(internals.current()).pending, 0);
    // Absolute deadlines in the past are allowed (docs/semantics.md #26).
    clock.advance(10);
    assert.equal(await moveOnAt(-Infinity, () => "ran"), "ran");
    assert.equal(await failAt(5, () => "ran"), "ran");
  });
});

Deno.test("moveOnAfter() absorbs only its own cancellation, not an outer one", async () => {
  const clock = new MockClock({ autojump: true });
  await clock.run(async () => {
    const outer = new CancelScope({ name: "outer" });
    await outer.run(async () => {
      await moveOnAfter(1_000, async () => {
        outer.cancel();
        await checkpoint();
      });
      assert.fail("the outer cancellation passes the helper");
    });
    assert.ok(outer.cancelCaught);
    assert.equal(clock.now(), 0);
  });
});

Deno.test("rule 9: failAfter() throws TimeoutError when its own deadline cut it short, even if an enclosing reason reached it first", async () => {
  const clock = new MockClock({ autojump: true });
  const outer = new CancelScope({ name: "outer" });
  const error = await clock.run(() =>
    outer.run(() =>
      failAfter(100, async (scope) => {
        outer.cancel("outer first"); // inherited while the shield is down
        scope.shield = true; // then the helper's own deadline ends it
        await sleep(1_000);
      }).catch((error) => error)
    )
  );
  assert.ok(error instanceof TimeoutError, String(error));
  assert.equal(clock.now(), 100);
});
