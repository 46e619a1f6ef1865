// Copyright the corral authors. MIT license.
// docs/rules.md "Bad input" for
// taskGroup(), spawn() and start(): the class and the message, and nothing
// already running is disturbed (std pool_test.ts style: one loop over the
// bad values). race/all/map and `limit` have theirs in their own files.
import assert from "node:assert/strict";
import { sleep } from "@corral/scope";
import { all, map, race, TaskGroup, taskGroup, TaskGroupError } from "./mod.ts";
import {
  assertFails,
  groupError,
  onClock,
  unhandledRejections,
} from "./_test_helpers.ts";

/** Values that are not functions, with how the message shows them. */
const notFunctions: [unknown, string][] = [
  [undefined, "undefined"],
  [null, "null"],
  [42, "42"],
  ["fn", '"fn"'],
  [{}, "\\[object Object\\]"],
  [Object.create(null), "\\[object Object\\]"], // String() of it throws
  [Symbol("s"), "Symbol\\(s\\)"],
];

/** Generator functions, refused like a generator-returning scope (rule 8). */
function* syncGenerator() {}
async function* asyncGenerator() {}
const generators: [unknown, string][] = [
  [syncGenerator, "syncGenerator"],
  [asyncGenerator, "asyncGenerator"],
  [function* () {}, "anonymous function"],
];

/**
 * Runs `check` inside a group with a task already running, then checks the
 * task and the group were not disturbed.
 */
async function undisturbed(
  check: (group: TaskGroup) => void | Promise<void>,
): Promise<void> {
  await onClock(async (clock) => {
    const value = await taskGroup(async (group) => {
      const running = group.spawn(async () => {
        await sleep(10);
        return "undisturbed";
      });
      await check(group);
      assert.equal(group.scope.cancelCalled, false);
      return await running.result;
    }, { name: "host" });
    assert.equal(value, "undisturbed");
    assert.equal(clock.now(), 10);
  });
}

Deno.test("taskGroup() throws TypeError for a body that is not a function or is a generator function", async () => {
  // trio: test_run.py::test_nice_error_on_bad_calls_to_run_or_spawn (docs/semantics.md #103)
  await undisturbed(async () => {
    for (const [body, shown] of notFunctions) {
      await assertFails(
        () => taskGroup(body as () => void, { name: "g" }),
        TypeError,
        new RegExp(
          `^Cannot run task group "g": 'body' must be a function: current value is ${shown}$`,
        ),
      );
    }
    for (const [body, shown] of generators) {
      await assertFails(
        () => taskGroup(body as () => void),
        TypeError,
        new RegExp(
          `^Cannot run task group: 'body' must not be a generator function: current value is ${shown}$`,
        ),
      );
    }
  });
});

Deno.test("TaskGroup.spawn() throws TypeError for a non-function or a generator function, and starts nothing", async () => {
  // trio: test_run.py::test_nice_error_on_bad_calls_to_run_or_spawn; anyio:
  // TestCreateTask::test_non_coro (docs/semantics.md #103)
  await undisturbed((group) => {
    for (const [fn, shown] of notFunctions) {
      assert.throws(
        () => group.spawn(fn as () => void, { name: "t" }),
        (error: unknown) =>
          error instanceof TypeError &&
          new RegExp(
            `^Cannot spawn task "t": 'fn' must be a function: current value is ${shown}$`,
          ).test(error.message),
      );
    }
    for (const [fn, shown] of generators) {
      assert.throws(
        () => group.spawn(fn as () => void),
        (error: unknown) =>
          error instanceof TypeError &&
          new RegExp(
            `^Cannot spawn task: 'fn' must not be a generator function: current value is ${shown}$`,
          ).test(error.message),
      );
    }
    assert.equal(group.size, 1, "only the running task is counted");
  });
});

Deno.test("TaskGroup.start() throws TypeError for a non-function or a generator function, and starts nothing", async () => {
  await undisturbed(async (group) => {
    for (const [fn, shown] of notFunctions) {
      await assertFails(
        () => group.start(fn as () => void, { name: "s" }),
        TypeError,
        new RegExp(
          `^Cannot start task "s": 'fn' must be a function: current value is ${shown}$`,
        ),
      );
    }
    for (const [fn, shown] of generators) {
      await assertFails(
        () => group.start(fn as () => void),
        TypeError,
        new RegExp(
          `^Cannot start task: 'fn' must not be a generator function: current value is ${shown}$`,
        ),
      );
    }
    assert.equal(group.size, 1);
  });
});

Deno.test("TaskGroup.spawn() of a function that returns a generator fails that task with a TypeError", async () => {
  // Rule 8 through the task's scope: the generator's body would run outside
  // the scope, so the task fails (docs/semantics.md #103, deferred case).
  function* body() {}
  const error = await groupError(taskGroup((group) => {
    group.spawn(() => body() as never);
    // deno-lint-ignore require-await
    group.spawn(async () => body() as never);
  }));
  assert.equal(error.errors.length, 2);
  for (const failure of error.errors) {
    assert.ok(failure instanceof TypeError);
    assert.match(failure.message, /the callback returned a generator/);
  }
});

Deno.test("started() twice and spawn() into a finished group disturb nothing else", async () => {
  await undisturbed(async (group) => {
    let twice: unknown;
    await group.start((started) => {
      started();
      try {
        started();
      } catch (error) {
        twice = error;
      }
    }, { name: "svc" });
    assert.ok(twice instanceof Error);
    assert.match(
      (twice as Error).message,
      /^Cannot call started\(\) of task "svc" twice$/,
    );

    let finished: TaskGroup | undefined;
    await taskGroup((inner) => {
      finished = inner;
    }, { name: "done" });
    assert.throws(
      () => finished!.spawn(() => {}),
      /^Error: Cannot spawn task in task group "done": the group has finished; spawn tasks while its body or tasks still run$/,
    );
  });
});

Deno.test("TaskGroup.spawn() and start() into a group that never ran throw an Error naming it", async () => {
  // cpython: ::test_taskgroup_not_entered, ::test_taskgroup_without_parent_task
  // (docs/semantics.md #100). A group made with `new TaskGroup()` never runs: a task
  // spawned into it would have nobody to wait for it (rule 15) or to report
  // its failure (rule 16).
  await undisturbed(async () => {
    const unused = new TaskGroup({ name: "unused" });
    let ran = false;
    assert.throws(
      () =>
        unused.spawn(() => {
          ran = true;
          throw new Error("would be lost");
        }, { name: "orphan" }),
      /^Error: Cannot spawn task "orphan" in task group "unused": the group is not running; use the group taskGroup\(\) passes to its body$/,
    );
    await assertFails(
      () => unused.start(() => {}),
      Error,
      /^Cannot start task in task group "unused": the group is not running/,
    );
    assert.equal(ran, false);
    assert.equal(unused.size, 0);
    unused.cancel(); // harmless
  });
});

Deno.test("TaskGroupError is an AggregateError named TaskGroupError", () => {
  const error = new TaskGroupError([new Error("a")], "g");
  assert.ok(error instanceof AggregateError);
  assert.equal(error.name, "TaskGroupError");
  assert.equal(error.message, 'Task group "g" failed with 1 error: Error: a');
});

Deno.test("race(), all() and map() throw bad input from the call itself, before anything starts", () => {
  let called = false;
  const attempt = () => {
    called = true;
  };
  assert.throws(() => race([attempt, 42 as never]), TypeError);
  assert.throws(() => race([attempt], { stagger: -1 }), RangeError);
  assert.throws(() => all([attempt, "x" as never]), TypeError);
  assert.throws(() => map([1], attempt, { limit: 0 }), RangeError);
  assert.throws(() => map([1], null as never), TypeError);
  assert.equal(called, false);
});

Deno.test("spawn(work()), start(work()) and taskGroup(work()): a promise where a function goes is a TypeError that says to pass a function, and the promise's later rejection is not unhandled", async () => {
  // trio: test_nice_error_on_bad_calls_to_run_or_spawn ("coroutine object"
  // passed instead of an async function, docs/semantics.md #103). The dangling
  // promise is the user's `work()`, which later fails on its own.
  const message =
    /'(fn|body)' must be a function, not a promise: pass a function that starts the work, such as `\(\) => work\(\)`/;
  const work = () => Promise.reject(new Error("work failed on its own"));
  const seen = await unhandledRejections(async () => {
    await undisturbed(async (group) => {
      assert.throws(
        () => group.spawn(work() as unknown as () => void),
        (error: unknown) =>
          error instanceof TypeError && message.test(error.message),
      );
      await assertFails(
        () => group.start(work() as unknown as () => void),
        TypeError,
        message,
      );
      await assertFails(
        () => taskGroup(work() as unknown as () => void),
        TypeError,
        message,
      );
    });
  });
  assert.deepEqual(seen, []);
});
