// Copyright the corral authors. MIT license.
// Tests of all(): a structured Promise.all (docs/rules.md "The public API these rules speak of",
// rules 10 and 12).
import assert from "node:assert/strict";
import {
  type CancelScope,
  currentScope,
  moveOnAfter,
  now,
  sleep,
  sleepForever,
} from "@corral/scope";
import { all, taskGroup } from "./mod.ts";
import {
  assertCancelled,
  assertFails,
  groupError,
  onClock,
  rejection,
} from "./_test_helpers.ts";

Deno.test("all() returns every value in order, whatever order they finish in", async () => {
  await onClock(async (clock) => {
    const values = await all([
      async () => (await sleep(30), "a"),
      () => 2,
      async () => (await sleep(10), { c: true }),
    ]);
    assert.deepEqual(values, ["a", 2, { c: true }]);
    assert.equal(clock.now(), 30, "they ran at once");
    assert.deepEqual(await all([]), []);
  });
});

Deno.test("all() gives each function its own scope, inside one group", async () => {
  await onClock(async () => {
    const scopes: CancelScope[] = [];
    await all([0, 1].map(() => (scope: CancelScope) => {
      assert.equal(currentScope(), scope);
      scopes.push(scope);
    }));
    assert.equal(scopes.length, 2);
    assert.notEqual(scopes[0], scopes[1]);
    assert.equal(scopes[1]!.name, "all[1]");
  });
});

Deno.test("all(): a failure cancels the others, which are awaited, and a TaskGroupError holds it", async () => {
  // Rule 10 (docs/semantics.md #67).
  await onClock(async (clock) => {
    const boom = new Error("boom");
    const log: string[] = [];
    const error = await groupError(all([
      async () => {
        try {
          await sleepForever();
        } catch (error) {
          assertCancelled(error, "group");
          assert.equal(error.reason, 'task "all[1]" failed: Error: boom');
          throw error;
        } finally {
          log.push(`a stopped at ${now()}`);
        }
      },
      async () => {
        await sleep(10);
        throw boom;
      },
    ]));
    assert.deepEqual(error.errors, [boom]);
    assert.match(
      error.message,
      /^Task group "all" failed with 1 error: Error: boom$/,
    );
    assert.deepEqual(log, ["a stopped at 10"]);
    assert.equal(clock.now(), 10);
  });
});

Deno.test("all(): several failures are all reported", async () => {
  const error = await groupError(all([
    () => {
      throw new Error("one");
    },
    () => {
      throw "two";
    },
  ]));
  assert.equal(error.errors.length, 2);
  assert.equal(error.errors[1], "two");
});

Deno.test("all() lets an enclosing cancellation propagate as Cancelled", async () => {
  await onClock(async (clock) => {
    let thrown: unknown;
    const result = await moveOnAfter(5, async () => {
      thrown = await rejection(all([sleepForever, () => sleep(100)]));
      throw thrown;
    });
    assert.equal(result, undefined);
    assertCancelled(thrown, "deadline");
    assert.equal(clock.now(), 5);
  });
});

Deno.test("all() rejects bad input before starting anything, disturbing nothing", async () => {
  await onClock(async () => {
    let started = 0;
    const good = () => {
      started++;
    };
    const cases: [unknown, RegExp][] = [
      [
        undefined,
        /^Cannot run all: 'fns' must be an array of functions: current value is undefined$/,
      ],
      [
        { length: 1, 0: good },
        /^Cannot run all: 'fns' must be an array of functions/,
      ],
      [
        [good, "f"],
        /^Cannot run all: 'fns\[1\]' must be a function: current value is "f"$/,
      ],
      [
        [good, function* gen() {}],
        /^Cannot run all: 'fns\[1\]' must not be a generator function: current value is gen$/,
      ],
    ];
    const value = await taskGroup(async (group) => {
      const running = group.spawn(async () => {
        await sleep(10);
        return "undisturbed";
      });
      for (const [fns, message] of cases) {
        await assertFails(() => all(fns as []), TypeError, message);
      }
      assert.equal(started, 0);
      return await running.result;
    });
    assert.equal(value, "undisturbed");
  });
});
