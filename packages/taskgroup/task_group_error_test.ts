// Copyright the corral authors. MIT license.
// TaskGroupError's searches after PEP 654 (`ExceptionGroup.split`,
// `subgroup`) and CPython's Lib/test/test_exception_group.py; its message
// short at any depth, and never a throw (rule 19: a failure that cannot be
// described must not hang its group).
import assert from "node:assert/strict";
import { sleep, sleepForever, TimeoutError } from "@corral/scope";
import { MockClock } from "@corral/scope/testing";
import { race } from "./race.ts";
import { taskGroup } from "./task_group.ts";
import { TaskGroupError } from "./task_group_error.ts";

class FatalError extends Error {
  override name = "FatalError";
}

/** `depth` groups around one leaf, built one level at a time. */
function deep(depth: number, leaf: unknown): TaskGroupError {
  let error = new TaskGroupError([leaf], "level 0");
  for (let level = 1; level < depth; level++) {
    error = new TaskGroupError([error], `level ${level}`);
  }
  return error;
}

Deno.test("TaskGroupError.find() returns the fatal error from a real group three levels deep", async () => {
  const clock = new MockClock({ autojump: true });
  const fatal = new FatalError("disk full");
  const error = await clock.run(() =>
    taskGroup((outer) => {
      outer.spawn(async () => {
        await sleep(5);
        throw new Error("HTTP 500");
      });
      outer.spawn(() =>
        taskGroup((middle) => {
          middle.spawn(() =>
            taskGroup((inner) => {
              inner.spawn(sleepForever);
              inner.spawn(async () => {
                await sleep(1);
                throw fatal;
              });
            }, { name: "inner" })
          );
        }, { name: "middle" })
      );
    }, { name: "outer" })
  ).catch((error) => error);
  assert.ok(error instanceof TaskGroupError);
  assert.equal(error.find(FatalError), fatal);
  assert.equal(error.find((e) => e === fatal), fatal);
  assert.equal(error.find(TimeoutError), undefined);
  assert.deepEqual(error.flatten(), [fatal]);
  assert.equal(
    error.message,
    'Task group "outer" failed with 1 error: TaskGroupError: Task group "middle" failed with 1 error: FatalError: disk full',
  );
});

Deno.test("TaskGroupError.find() takes a class or a predicate, and looks at leaves only", () => {
  const timeout = new TimeoutError("slow");
  const fatal = new FatalError("fatal");
  const inner = new TaskGroupError([timeout, "text", fatal], "inner");
  const error = new TaskGroupError([new Error("first"), inner], "outer");
  assert.equal(error.find(FatalError), fatal);
  assert.equal(error.find(TimeoutError), timeout);
  // Error matches every Error, first in order, depth first.
  assert.equal(error.find(Error), error.errors[0]);
  // A thrown string is a leaf like any other (rule 16).
  assert.equal(error.find((e) => typeof e === "string"), "text");
  // Groups are never offered to the test, nor returned.
  assert.equal(error.find(TaskGroupError), undefined);
  assert.equal(error.find(AggregateError), undefined);
  assert.equal(error.find(RangeError), undefined);
});

Deno.test("TaskGroupError.find() looks inside any AggregateError, such as race()'s", async () => {
  const clock = new MockClock({ autojump: true });
  const fatal = new FatalError("no mirror left");
  const error = await clock.run(() =>
    taskGroup((group) => {
      group.spawn(() =>
        race([
          () => {
            throw new Error("mirror a");
          },
          () => {
            throw fatal;
          },
        ])
      );
    }, { name: "download" })
  ).catch((error) => error);
  assert.ok(error instanceof TaskGroupError);
  assert.ok(error.errors[0] instanceof AggregateError);
  assert.equal(error.find(FatalError), fatal);
  assert.equal(error.flatten().length, 2);
});

Deno.test("TaskGroupError.flatten() returns every leaf in order, the very objects thrown", () => {
  const leaves = [new Error("a"), new Error("b"), null, new Error("d"), 42];
  const error = new TaskGroupError([
    leaves[0],
    new TaskGroupError([leaves[1], new TaskGroupError([leaves[2]])]),
    new AggregateError([leaves[3]]),
    leaves[4],
  ]);
  const flat = error.flatten();
  assert.equal(flat.length, leaves.length);
  flat.forEach((leaf, index) => assert.equal(leaf, leaves[index]));
  assert.deepEqual(new TaskGroupError([]).flatten(), []);
});

Deno.test("PEP 654 split: [matching, rest] keep the nesting, the group names and the leaves", () => {
  // CPython test_exception_group.py ExceptionGroupSplitTests
  const t1 = new TimeoutError("t1");
  const t2 = new TimeoutError("t2");
  const e1 = new Error("e1");
  const inner = new TaskGroupError([t2, e1], "inner");
  const error = new TaskGroupError([t1, inner], "outer");
  const [timeouts, rest] = error.split(TimeoutError);
  assert.ok(timeouts instanceof TaskGroupError);
  assert.ok(rest instanceof TaskGroupError);
  assert.equal(timeouts.groupName, "outer");
  assert.equal(timeouts.errors[0], t1);
  const timeoutsInner = timeouts.errors[1] as TaskGroupError;
  assert.ok(timeoutsInner instanceof TaskGroupError);
  assert.equal(timeoutsInner.groupName, "inner");
  assert.deepEqual(timeoutsInner.errors, [t2]);
  assert.equal(rest.errors.length, 1);
  const restInner = rest.errors[0] as TaskGroupError;
  assert.equal(restInner.groupName, "inner");
  assert.deepEqual(restInner.errors, [e1]);
  // The rebuilt groups keep the original's stack, as PEP 654 keeps the
  // traceback.
  assert.equal(restInner.stack, inner.stack);
  assert.equal(rest.stack, error.stack);
  assert.equal(
    rest.message,
    'Task group "outer" failed with 1 error: TaskGroupError: Task group "inner" failed with 1 error: Error: e1',
  );
});

Deno.test("PEP 654 split: a side with nothing is undefined; a group kept whole is the same object", () => {
  // CPython ExceptionGroupSplitTests::test_basics_split_by_type__passthrough
  // and ::test_basics_split_by_type__no_match
  const kept = new TaskGroupError([new TimeoutError("a")], "timeouts");
  const other = new TaskGroupError([new Error("b")], "others");
  const error = new TaskGroupError([kept, other], "outer");
  const [all, none] = error.split(() => true);
  assert.equal(all, error);
  assert.equal(none, undefined);
  const [nothing, everything] = error.split(RangeError);
  assert.equal(nothing, undefined);
  assert.equal(everything, error);
  const [timeouts, rest] = error.split(TimeoutError);
  assert.equal(timeouts?.errors[0], kept, "the whole subtree is reused");
  assert.equal(rest?.errors[0], other);
  assert.equal(timeouts?.errors.length, 1);
});

Deno.test("PEP 654 split: a plain AggregateError split in two is rebuilt with its message and cause", () => {
  const a = new FatalError("a");
  const b = new Error("b");
  const cause = new Error("why");
  const aggregate = new AggregateError([a, b], "race lost", { cause });
  const error = new TaskGroupError([aggregate]);
  const [fatal, rest] = error.split(FatalError);
  const left = fatal?.errors[0] as AggregateError;
  const right = rest?.errors[0] as AggregateError;
  assert.ok(left instanceof AggregateError && right instanceof AggregateError);
  assert.deepEqual(left.errors, [a]);
  assert.deepEqual(right.errors, [b]);
  assert.equal(left.message, "race lost");
  assert.equal(right.cause, cause);
});

Deno.test("TaskGroupError.find() and split() reject a test that is neither a class nor a function", () => {
  const error = new TaskGroupError([new Error("a")]);
  for (const bad of [undefined, null, "Error", 42, Object.create(null)]) {
    assert.throws(
      () => error.find(bad as never),
      (e: Error) =>
        e instanceof TypeError &&
        /^Cannot find in TaskGroupError: 'match' must be an error class or a predicate: current value is /
          .test(e.message),
    );
    assert.throws(
      () => error.split(bad as never),
      /^TypeError: Cannot split in TaskGroupError: 'match'/,
    );
  }
});

Deno.test("TaskGroupError: a 100,000-deep nesting builds fast, its message stays short, and every search works", () => {
  // CPython test_exception_group.py DeepRecursionInSplitAndSubgroup: there
  // a deep split raises RecursionError; here it works (worklists).
  const fatal = new FatalError("at the bottom");
  const started = performance.now();
  const error = deep(100_000, fatal);
  const built = performance.now() - started;
  assert.ok(built < 5_000, `took ${built} ms`);
  assert.ok(error.message.length < 400, `${error.message.length} characters`);
  assert.equal(
    error.message,
    'Task group "level 99999" failed with 1 error: TaskGroupError: Task group "level 99998" failed with 1 error: FatalError: at the bottom',
  );
  assert.equal(error.find(FatalError), fatal);
  assert.deepEqual(error.flatten(), [fatal]);
  const [matching, rest] = error.split(FatalError);
  assert.equal(matching, error);
  assert.equal(rest, undefined);
  // A split through all 100,000 levels rebuilds each of them.
  const other = new Error("other");
  const mixed = new TaskGroupError([deep(100_000, other), fatal], "top");
  const [fatals, others] = mixed.split(FatalError);
  assert.deepEqual(fatals?.errors, [fatal]);
  assert.equal(others?.find(Error), other);
  let depth = 0;
  for (
    let group: unknown = others;
    group instanceof TaskGroupError;
    group = group.errors[0]
  ) depth++;
  assert.equal(depth, 100_001);
});

Deno.test("TaskGroupError: the message names at most three leaves, each cut short", () => {
  const long = "x".repeat(10_000);
  const error = new TaskGroupError([
    new Error(long),
    new TaskGroupError(
      [new Error("a"), new TaskGroupError([new Error("b"), new Error("c")])],
      "inner",
    ),
    new Error("third"),
    new Error("fourth"),
  ], "g".repeat(500));
  assert.ok(error.message.length < 700, `${error.message.length} characters`);
  assert.match(
    error.message,
    /^Task group "g{79}…" failed with 4 errors: Error: x+…; /,
  );
  assert.match(
    error.message,
    /; TaskGroupError: Task group "inner" failed with 2 errors \(3 leaf errors\): Error: a, Error: b, Error: c; Error: third; and 1 more$/,
  );
  const many = new TaskGroupError(
    [
      new TaskGroupError(
        Array.from({ length: 10 }, (_, i) => new Error(`e${i}`)),
        "wide",
      ),
    ],
  );
  assert.equal(
    many.message,
    'Task group failed with 1 error: TaskGroupError: Task group "wide" failed with 10 errors: Error: e0, Error: e1, Error: e2, and 7 more',
  );
});

Deno.test("rule 19: building the message never throws, whatever was thrown", () => {
  const throwingMessage = new Error("hidden");
  Object.defineProperty(throwingMessage, "message", {
    get() {
      throw new Error("no message for you");
    },
  });
  const symbolName = new Error("named by a symbol");
  Object.defineProperty(symbolName, "name", { value: Symbol("weird") });
  const throwingName = new Error("n");
  Object.defineProperty(throwingName, "name", {
    get() {
      throw new Error("no name");
    },
  });
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const hostileProxy = new Proxy(new Error("p"), {
    getPrototypeOf() {
      throw new Error("trap");
    },
    get() {
      throw new Error("trap");
    },
  });
  const throwingToString = {
    toString() {
      throw new Error("no string");
    },
  };
  const values: unknown[] = [
    throwingMessage,
    symbolName,
    throwingName,
    Object.create(null),
    Symbol("thrown symbol"),
    revoked,
    hostileProxy,
    throwingToString,
    10n,
    undefined,
  ];
  for (const value of values) {
    const error = new TaskGroupError([value], Symbol("group") as never);
    assert.equal(typeof error.message, "string");
    assert.ok(error.message.length < 400);
    // Nested, the description is read from the inner group, not recomputed.
    const outer = new TaskGroupError([error, value]);
    assert.equal(typeof outer.message, "string");
    // Compared by identity: a deep comparison reads a revoked Proxy's
    // prototype and throws (node:assert on Deno 2.1).
    const flat = outer.flatten();
    assert.equal(flat.length, 2);
    assert.ok(flat[0] === value && flat[1] === value);
  }
  assert.equal(
    new TaskGroupError([throwingMessage]).message,
    "Task group failed with 1 error: Error: <unreadable message>",
  );
  assert.equal(
    new TaskGroupError([symbolName]).message,
    "Task group failed with 1 error: Symbol(weird): named by a symbol",
  );
  assert.equal(
    new TaskGroupError([Object.create(null)]).message,
    "Task group failed with 1 error: thrown [object Object]",
  );
  assert.equal(
    new TaskGroupError([revoked]).message,
    "Task group failed with 1 error: thrown an unprintable value",
  );
  // Searches survive hostile leaves too.
  const error = new TaskGroupError([hostileProxy, revoked, symbolName]);
  assert.equal(error.find(FatalError), undefined);
  assert.equal(error.find((e) => e === symbolName), symbolName);
  const [, rest] = error.split(FatalError);
  assert.equal(rest, error);
});

Deno.test("rule 19: a group whose task threw an undescribable error still exits with it", async () => {
  const clock = new MockClock({ autojump: true });
  const hostile = new Error("x");
  Object.defineProperty(hostile, "message", {
    get() {
      throw new Error("getter");
    },
  });
  const error = await clock.run(() =>
    taskGroup((group) => {
      group.spawn(() => {
        throw Object.create(null);
      });
      group.spawn(async () => {
        await sleep(1);
        throw hostile;
      });
    }, { name: "hostile" })
  ).catch((error) => error);
  assert.ok(error instanceof TaskGroupError);
  assert.equal(error.errors.length, 1, "the first failure cancelled the rest");
  assert.match(
    error.message,
    /^Task group "hostile" failed with 1 error: thrown /,
  );
});

Deno.test("TaskGroupError: a cycle built by hand is walked once", () => {
  const leaf = new Error("leaf");
  const loop = new AggregateError([leaf]);
  (loop.errors as unknown[]).push(loop);
  const error = new TaskGroupError([loop]);
  assert.deepEqual(error.flatten(), [leaf]);
  assert.equal(error.find(FatalError), undefined);
});

Deno.test("TaskGroupError keeps its constructor and fields: errors, name, groupName", () => {
  const error = new TaskGroupError([new Error("a")], "g");
  assert.ok(error instanceof AggregateError);
  assert.equal(error.name, "TaskGroupError");
  assert.equal(error.groupName, "g");
  assert.equal(new TaskGroupError([]).groupName, "");
  assert.equal(
    new TaskGroupError([]).message,
    "Task group failed with 0 errors",
  );
});

Deno.test("TaskGroupError reads each shown error's message once, and takes any iterable of errors", () => {
  let reads = 0;
  const counted = new Error("x");
  Object.defineProperty(counted, "message", {
    get() {
      reads++;
      return "counted";
    },
  });
  const error = new TaskGroupError([counted]);
  assert.equal(reads, 1);
  assert.equal(error.message, "Task group failed with 1 error: Error: counted");
  const fromSet = new TaskGroupError(new Set([counted]) as never, "set");
  assert.deepEqual(fromSet.errors, [counted]);
  // A value that is not iterable makes an empty group rather than a throw.
  assert.deepEqual(new TaskGroupError(42 as never).errors, []);
  assert.deepEqual(new TaskGroupError({ length: 1e9 } as never).errors, []);
});
