// Copyright the corral authors. MIT license.
// Tests of race(): the first success wins, the losers are cancelled and
// awaited, every failure is kept, and `stagger` behaves like Happy Eyeballs
// (RFC 8305; Trio's open_tcp_stream). docs/rules.md "The public API these rules speak of".
import assert from "node:assert/strict";
import {
  Cancelled,
  CancelScope,
  checkpoint,
  moveOnAfter,
  now,
  sleep,
  sleepForever,
} from "@corral/scope";
import { race, taskGroup, TaskGroupError } from "./mod.ts";
import {
  assertCancelled,
  assertFails,
  onClock,
  rejection,
} from "./_test_helpers.ts";

/** An attempt that records its start and end, sleeps, then returns or fails. */
function attempt(
  log: string[],
  name: string,
  ms: number,
  outcome: { value: string } | { error: unknown },
) {
  return async () => {
    log.push(`${name} started at ${now()}`);
    try {
      await sleep(ms);
    } catch (error) {
      log.push(`${name} cancelled at ${now()}`);
      throw error;
    } finally {
      log.push(`${name} finally at ${now()}`);
    }
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  };
}

Deno.test("race() returns the first success; the losers are cancelled and awaited before it returns", async () => {
  await onClock(async (clock) => {
    const log: string[] = [];
    const seen: unknown[] = [];
    const winner = await race<unknown>([
      attempt(log, "slow", 300, { value: "slow" }),
      attempt(log, "fast", 100, { value: "fast" }),
      async () => {
        try {
          await sleepForever();
        } catch (error) {
          seen.push(error);
          await moveOnAfter(1, () => sleep(50)); // cleanup is cancelled too
          throw error;
        }
      },
    ]);
    log.push(`race returned at ${clock.now()}`);
    assert.equal(winner, "fast");
    assert.deepEqual(log, [
      "slow started at 0",
      "fast started at 0",
      "fast finally at 100",
      "slow cancelled at 100",
      "slow finally at 100",
      "race returned at 100",
    ]);
    assertCancelled(seen[0], "explicit");
    assert.equal(seen[0].reason, "attempt 1 won the race");
  });
});

Deno.test("race() waits for a loser's shielded cleanup before it returns", async () => {
  await onClock(async (clock) => {
    let cleaned = -1;
    const winner = await race<unknown>([
      async () => {
        try {
          await sleepForever();
        } finally {
          await new CancelScope({ shield: true }).run(() => sleep(40));
          cleaned = now();
        }
      },
      async () => (await sleep(10), "quick"),
    ]);
    assert.equal(winner, "quick");
    assert.equal(cleaned, 50);
    assert.equal(clock.now(), 50);
  });
});

Deno.test("race() goes on after a failure; the next success wins", async () => {
  await onClock(async () => {
    const log: string[] = [];
    const winner = await race([
      attempt(log, "a", 10, { error: new Error("a failed") }),
      attempt(log, "b", 20, { value: "b" }),
    ]);
    assert.equal(winner, "b");
  });
});

Deno.test("race() throws an AggregateError of every failure, in attempt order, when all fail", async () => {
  await onClock(async () => {
    const log: string[] = [];
    const errors = [new Error("first"), "second (a string)", null];
    const error = await rejection(race([
      attempt(log, "a", 30, { error: errors[0] }),
      attempt(log, "b", 10, { error: errors[1] }),
      attempt(log, "c", 20, { error: errors[2] }),
    ]));
    assert.ok(error instanceof AggregateError);
    assert.equal(error instanceof TaskGroupError, false);
    assert.deepEqual(error.errors, errors, "attempt order, not finish order");
    assert.equal(error.errors[0], errors[0]);
    assert.match(error.message, /^Every attempt of the race failed \(3\)$/);
  });
});

Deno.test("race() with one attempt, and with attempts that return without waiting", async () => {
  assert.equal(await race([() => "only"]), "only");
  assert.equal(
    // deno-lint-ignore require-await
    await race([() => "sync first", async () => "async"]),
    "sync first",
  );
  const error = await rejection(race([() => {
    throw new RangeError("sync failure");
  }]));
  assert.ok(error instanceof AggregateError);
  assert.ok(error.errors[0] instanceof RangeError);
});

Deno.test("race() gives each attempt its own scope", async () => {
  await onClock(async () => {
    const scopes: CancelScope[] = [];
    await race([
      async (scope) => {
        scopes.push(scope);
        await sleep(2);
      },
      async (scope) => {
        scopes.push(scope);
        await sleep(1);
      },
    ]);
    assert.equal(scopes.length, 2);
    assert.notEqual(scopes[0], scopes[1]);
    assert.equal(scopes[0]!.name, "attempt 0");
  });
});

Deno.test("race(): an attempt that cancels its own scope is neither a winner nor a failure", async () => {
  // Rule 16: no phantom `undefined` failure for it in the AggregateError.
  await onClock(async () => {
    const giveUp = async (scope: CancelScope) => {
      scope.cancel("giving up");
      await checkpoint();
      return "never";
    };
    assert.equal(
      await race([giveUp, async () => (await sleep(5), "other")]),
      "other",
    );
    const error = await rejection(race([giveUp, () => {
      throw "only failure";
    }, giveUp]));
    assert.ok(error instanceof AggregateError);
    assert.deepEqual(error.errors, ["only failure"]);
    assert.match(error.message, /failed \(1\)$/);
  });
});

Deno.test("race() with stagger starts attempt k+1 stagger ms after attempt k, or at once when k fails (Happy Eyeballs)", async () => {
  // RFC 8305; trio: _highlevel_open_tcp_stream.py (open_tcp_stream)
  await onClock(async (clock) => {
    const log: string[] = [];
    const winner = await race([
      attempt(log, "0", 1000, { value: "0" }),
      attempt(log, "1", 100, { error: new Error("refused") }),
      attempt(log, "2", 1000, { value: "2" }),
      attempt(log, "3", 10, { value: "3" }),
      attempt(log, "4", 0, { value: "4" }),
    ], { stagger: 250 });
    assert.equal(winner, "3");
    assert.deepEqual(log.filter((line) => line.includes("started")), [
      "0 started at 0",
      "1 started at 250",
      "2 started at 350", // attempt 1 failed at 350: no need to wait
      "3 started at 600",
    ]);
    assert.ok(log.includes("0 cancelled at 610"));
    assert.ok(log.includes("2 cancelled at 610"));
    assert.equal(clock.now(), 610, "attempt 4 never started");
  });
});

Deno.test("race() with stagger: an attempt failing at once starts the next at once", async () => {
  await onClock(async () => {
    const starts: number[] = [];
    const winner = await race([
      () => {
        starts.push(now());
        throw new Error("sync");
      },
      async () => {
        starts.push(now());
        await checkpoint();
        throw new Error("after a checkpoint");
      },
      async () => {
        starts.push(now());
        await sleep(5);
        return "third";
      },
    ], { stagger: 1000 });
    assert.equal(winner, "third");
    assert.deepEqual(starts, [0, 0, 0]);
  });
});

Deno.test("race() with stagger: all fail in order, each started when the previous failed", async () => {
  await onClock(async (clock) => {
    const log: string[] = [];
    const error = await rejection(race([
      attempt(log, "a", 100, { error: "a" }),
      attempt(log, "b", 500, { error: "b" }),
      attempt(log, "c", 10, { error: "c" }),
    ], { stagger: 200 }));
    assert.ok(error instanceof AggregateError);
    assert.deepEqual(error.errors, ["a", "b", "c"]);
    assert.deepEqual(log.filter((line) => line.includes("started")), [
      "a started at 0",
      "b started at 100",
      "c started at 300",
    ]);
    assert.equal(clock.now(), 600, "b failed last, at 100 + 500");
  });
});

Deno.test("race() with stagger 0 starts every attempt at once, in order", async () => {
  await onClock(async () => {
    const log: string[] = [];
    const winner = await race([
      attempt(log, "a", 30, { value: "a" }),
      attempt(log, "b", 20, { value: "b" }),
      attempt(log, "c", 10, { value: "c" }),
    ], { stagger: 0 });
    assert.equal(winner, "c");
    assert.deepEqual(log.filter((line) => line.includes("started")), [
      "a started at 0",
      "b started at 0",
      "c started at 0",
    ]);
  });
});

Deno.test("race() lets an enclosing cancellation propagate as Cancelled, after cancelling every attempt", async () => {
  await onClock(async (clock) => {
    const log: string[] = [];
    let thrown: unknown;
    const result = await moveOnAfter(50, async () => {
      thrown = await rejection(race([
        attempt(log, "a", 100, { value: "a" }),
        attempt(log, "b", 200, { value: "b" }),
      ], { stagger: 10 }));
      throw thrown;
    });
    assert.equal(result, undefined);
    assertCancelled(thrown, "deadline");
    assert.ok(log.includes("a finally at 50"));
    assert.ok(log.includes("b finally at 50"));
    assert.equal(clock.now(), 50);

    // Cancelled while waiting to start the next attempt.
    const outer = new CancelScope();
    const starts: string[] = [];
    await outer.run(async () => {
      const pending = race([
        attempt(starts, "x", 1000, { value: "x" }),
        attempt(starts, "y", 1000, { value: "y" }),
      ], { stagger: 100 });
      await sleep(10);
      outer.cancel("stop");
      const error = await rejection(pending);
      assert.ok(error instanceof Cancelled);
      assert.equal(error.reason, "stop");
      throw error;
    });
    assert.deepEqual(starts.filter((line) => line.includes("started")), [
      "x started at 50",
    ]);
  });
});

Deno.test("race() inside a failing group is cancelled with the group", async () => {
  await onClock(async () => {
    let raceOutcome: unknown;
    await rejection(taskGroup((group) => {
      group.spawn(async () => {
        raceOutcome = await rejection(race([() => sleep(100)]));
        throw raceOutcome;
      });
      group.spawn(async () => {
        await sleep(1);
        throw new Error("boom");
      });
    }));
    assertCancelled(raceOutcome, "group");
  });
});

Deno.test("race() rejects bad input without starting any attempt or disturbing running work", async () => {
  await onClock(async () => {
    let started = 0;
    const good = () => {
      started++;
      return "good";
    };
    const cases: [unknown, unknown, new () => Error, RegExp][] = [
      [
        undefined,
        {},
        TypeError,
        /^Cannot race: 'attempts' must be an array of functions: current value is undefined$/,
      ],
      [
        "ab",
        {},
        TypeError,
        /^Cannot race: 'attempts' must be an array of functions/,
      ],
      [[], {}, TypeError, /^Cannot race: 'attempts' must not be empty$/],
      [
        [good, 5],
        {},
        TypeError,
        /^Cannot race: 'attempts\[1\]' must be a function: current value is 5$/,
      ],
      [
        [good, null],
        {},
        TypeError,
        /^Cannot race: 'attempts\[1\]' must be a function: current value is null$/,
      ],
      [
        [function* gen() {}],
        {},
        TypeError,
        /^Cannot race: 'attempts\[0\]' must not be a generator function: current value is gen$/,
      ],
      [
        [async function* agen() {}],
        {},
        TypeError,
        /must not be a generator function: current value is agen$/,
      ],
      [
        [good],
        { stagger: -1 },
        RangeError,
        /^Cannot race: 'stagger' must be a non-negative number: current value is -1$/,
      ],
      [
        [good],
        { stagger: NaN },
        RangeError,
        /^Cannot race: 'stagger' must be a non-negative number: current value is NaN$/,
      ],
      [
        [good],
        { stagger: "5" },
        RangeError,
        /'stagger' must be a non-negative number: current value is 5$/,
      ],
    ];
    const value = await taskGroup(async (group) => {
      const running = group.spawn(async () => {
        await sleep(10);
        return "undisturbed";
      });
      for (const [attempts, options, Class, message] of cases) {
        await assertFails(
          () => race(attempts as [], options as { stagger?: number }),
          Class,
          message,
        );
      }
      assert.equal(started, 0, "no attempt started");
      assert.equal(group.scope.cancelCalled, false);
      return await running.result;
    });
    assert.equal(value, "undisturbed");
  });
});

Deno.test("race(): a loser whose cleanup fails while it is cancelled is not lost: race throws a TaskGroupError holding it (Trio and AnyIO raise it from the nursery)", async () => {
  await onClock(async () => {
    const cleanup = new Error("loser's finally failed");
    const error = await rejection(race<string>([
      async () => {
        try {
          await sleep(100);
          return "slow";
        } catch {
          // Cancelled by the winner: the cleanup fails, replacing the
          // Cancelled (a throw in `finally` would do the same).
          throw cleanup;
        }
      },
      async () => {
        await sleep(10);
        return "fast";
      },
    ]));
    assert.ok(error instanceof TaskGroupError);
    assert.deepEqual(error.errors, [cleanup]);
  });
});
