// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { AsyncLocalStorage } from "node:async_hooks";
import { Snapshot } from "./snapshot.ts";
import { Variable } from "./variable.ts";
import { testInEveryState } from "./_test_states.ts";

type Value = { id: number };

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- run and get (proposal tests/async-context.test.ts "run and get") -------

// proposal: "run and get" / "has initial undefined state"
testInEveryState("Variable.get() is undefined outside any run", () => {
  const ctx = new Variable<Value>();

  const actual = ctx.get();

  assert.equal(actual, undefined);
});

// proposal: "run and get" / "return value";
// test262: Variable/prototype/run/returns-callback-return-value.js
testInEveryState("Variable.run() returns what fn returns", () => {
  const ctx = new Variable<Value>();
  const expected = { id: 1 };

  const actual = ctx.run({ id: 2 }, () => expected);

  assert.equal(actual, expected);
});

// proposal: "run and get" / "get returns current context value";
// test262: Variable/prototype/run/swaps-context-snapshot-before-callback.js
testInEveryState("Variable.get() returns the value of the current run", () => {
  const ctx = new Variable<Value>();
  const expected = { id: 1 };

  const actual = ctx.run(expected, () => ctx.get());

  assert.equal(actual, expected);
  assert.equal(ctx.get(), undefined);
});

// proposal: "run and get" / "get within nesting contexts"
testInEveryState(
  "Variable.run() nested shadows the value and restores it",
  () => {
    const ctx = new Variable<Value>();
    const first = { id: 1 };
    const second = { id: 2 };

    ctx.run(first, () => {
      assert.equal(ctx.get(), first);
      ctx.run(second, () => {
        assert.equal(ctx.get(), second);
      });
      assert.equal(ctx.get(), first);
    });
    assert.equal(ctx.get(), undefined);
  },
);

// proposal: "run and get" / "get within nesting different contexts"
testInEveryState(
  "Variable.run() of one variable leaves the others alone",
  () => {
    const a = new Variable<Value>();
    const b = new Variable<Value>();
    const first = { id: 1 };
    const second = { id: 2 };

    a.run(first, () => {
      assert.equal(a.get(), first);
      assert.equal(b.get(), undefined);
      b.run(second, () => {
        assert.equal(a.get(), first);
        assert.equal(b.get(), second);
      });
      assert.equal(a.get(), first);
      assert.equal(b.get(), undefined);
    });
    assert.equal(a.get(), undefined);
    assert.equal(b.get(), undefined);
  },
);

// test262: Variable/prototype/run/unrelated-snapshot-entries-keep-their-value.js
Deno.test("Variable.run() keeps the values of every other variable", () => {
  const asyncVar1 = new Variable<symbol>();
  const asyncVar2 = new Variable<symbol>();
  const asyncVar3 = new Variable<symbol>();
  const [symbol1, symbol2, symbol3, symbol4, symbol5] = [1, 2, 3, 4, 5].map(
    (n) => Symbol(`symbol${n}`),
  );

  asyncVar1.run(symbol1!, () => {
    asyncVar2.run(symbol2!, () => {
      asyncVar3.run(symbol3!, () => {
        assert.equal(asyncVar1.get(), symbol1);
        assert.equal(asyncVar2.get(), symbol2);
        assert.equal(asyncVar3.get(), symbol3);
        asyncVar2.run(symbol4!, () => {
          asyncVar1.run(symbol5!, () => {
            assert.equal(asyncVar1.get(), symbol5);
            assert.equal(asyncVar2.get(), symbol4);
            assert.equal(asyncVar3.get(), symbol3);
          });
        });
      });
    });
  });
});

// test262: Variable/prototype/run/calls-callback-with-args.js and
// calls-callback-with-undefined-this.js
Deno.test("Variable.run() passes the arguments and calls fn with this undefined", () => {
  const ctx = new Variable<string>();
  let seenThis: unknown = "not called";

  const actual = ctx.run(
    "x",
    function (this: unknown, a: number, b: string) {
      seenThis = this;
      return [a, b, ctx.get()];
    },
    1,
    "two",
  );

  assert.deepEqual(actual, [1, "two", "x"]);
  // AsyncLocalStorage.run would pass `null`.
  assert.equal(seenThis, undefined);
});

Deno.test("Variable.run() passes any number of arguments, undefined ones included", () => {
  const ctx = new Variable<string>();
  const collect = function (this: unknown, ...args: unknown[]) {
    return [this, args.length, ...args, ctx.get()];
  };
  // Up to three arguments take a path without an array, more take another.
  assert.deepEqual(ctx.run("v", collect), [undefined, 0, "v"]);
  assert.deepEqual(ctx.run("v", collect, undefined), [
    undefined,
    1,
    undefined,
    "v",
  ]);
  assert.deepEqual(ctx.run("v", collect, 1, 2), [undefined, 2, 1, 2, "v"]);
  assert.deepEqual(ctx.run("v", collect, 1, 2, 3), [
    undefined,
    3,
    1,
    2,
    3,
    "v",
  ]);
  assert.deepEqual(ctx.run("v", collect, 1, 2, 3, 4, 5), [
    undefined,
    5,
    1,
    2,
    3,
    4,
    5,
    "v",
  ]);
});

// test262: Variable/constructor-name.js, constructor-name-defaults-to-empty-string.js
Deno.test("Variable.name is the name given, as a string, or the empty string", () => {
  assert.equal(new Variable().name, "");
  assert.equal(new Variable({}).name, "");
  assert.equal(new Variable({ name: "foo" }).name, "foo");
  assert.equal(new Variable({ name: 42 as unknown as string }).name, "42");
  const stringifier = { toString: () => "bar" } as unknown as string;
  assert.equal(new Variable({ name: stringifier }).name, "bar");
  // As in test262 and the spec text (HasProperty, then ToString), a name
  // that is present is converted even when it is `undefined`.
  assert.equal(new Variable({ name: undefined }).name, "undefined");
  assert.equal(
    String(new Variable({ name: "requestId" })),
    'Variable "requestId"',
  );
  assert.equal(String(new Variable()), "Variable");
});

// test262: Variable/constructor-defaultValue.js,
// constructor-defaultValue-defaults-to-undefined.js
Deno.test("Variable.get() returns defaultValue outside any run of the variable", () => {
  const ctx = new Variable({ defaultValue: "default" });
  const other = new Variable<string>();

  assert.equal(ctx.get(), "default");
  assert.equal(other.run("x", () => ctx.get()), "default");
  assert.equal(ctx.run("set", () => ctx.get()), "set");
  // A run with `undefined` is a value like any other: the default is only
  // for a variable that no run has set (the spec's `get` looks the variable
  // up in the mapping before it falls back to the default).
  assert.equal(
    ctx.run(undefined as unknown as string, () => ctx.get()),
    undefined,
  );
  assert.equal(new Variable().get(), undefined);
});

// --- restoring the outer value ------------------------------------------------

// test262: Variable/prototype/run/restores-context-snapshot-after-callback-throw.js
// and throws-if-callback-throws.js
Deno.test("Variable.run() restores the outer value when fn throws", () => {
  const ctx = new Variable<string>();
  const error = new Error("boom");

  ctx.run("outer", () => {
    assert.throws(() =>
      ctx.run("inner", () => {
        throw error;
      }), (e) => e === error);
    assert.equal(ctx.get(), "outer");
  });
  assert.throws(() =>
    ctx.run("x", () => {
      throw "not an error";
    }), (e) => e === "not an error");
  assert.equal(ctx.get(), undefined);
});

// test262: Variable/prototype/run/restores-context-snapshot-after-callback.js
Deno.test("Variable.run() restores the outer value when fn returns", () => {
  const ctx = new Variable<string>();

  ctx.run("outer", () => {
    ctx.run("inner", () => {});
    assert.equal(ctx.get(), "outer");
  });
  assert.equal(ctx.get(), undefined);
});

// test262: Variable/prototype/run/restores-context-snapshot-after-callback-returns-promise.js
Deno.test("Variable.run() restores the outer value at once when fn returns a promise", () => {
  const ctx = new Variable<string>();

  ctx.run("foo", () => {
    // Never resolves, and never needs to: the restore is synchronous.
    ctx.run("42", () => new Promise(() => {}));
    assert.equal(ctx.get(), "foo");
  });
  assert.equal(ctx.get(), undefined);
});

// test262: Variable/prototype/run/restores-context-snapshot-after-callback-takes-snapshot.js
Deno.test("Variable.run() restores the outer value when fn takes a snapshot", () => {
  const ctx = new Variable<string>();
  let snapshot: Snapshot | undefined;

  ctx.run("foo", () => {
    ctx.run("42", () => {
      snapshot = new Snapshot();
    });
    assert.equal(ctx.get(), "foo");
  });

  assert.equal(ctx.get(), undefined);
  assert.equal(snapshot?.run(() => ctx.get()), "42");
});

// test262: Variable/prototype/run/restores-context-snapshot-after-callback-throw.js,
// for an async fn: the value is back both at once and after the rejection.
Deno.test("Variable.run() restores the outer value when an async fn rejects", async () => {
  const ctx = new Variable<string>();

  await ctx.run("outer", async () => {
    const promise = ctx.run("inner", async () => {
      await delay(1);
      assert.equal(ctx.get(), "inner");
      throw new Error("late");
    });
    assert.equal(ctx.get(), "outer");
    await assert.rejects(promise, /late/);
    assert.equal(ctx.get(), "outer");
  });
  assert.equal(ctx.get(), undefined);
});

// --- propagation across asynchronous boundaries -----------------------------

// test262: context-propagation/async-await.js
Deno.test("Variable.run() value survives await in an async fn", async () => {
  const context = new Variable<number>();
  let resolveFn!: () => void;
  async function asyncCb() {
    assert.equal(context.get(), 42);
    await new Promise<void>((resolve) => {
      resolveFn = resolve;
    });
    assert.equal(context.get(), 42);
    return "done";
  }

  assert.equal(context.get(), undefined);
  const promise = context.run(42, asyncCb);
  // Resolved from outside the run, where the variable is unset.
  assert.equal(context.get(), undefined);
  resolveFn();

  const [value, after] = await promise.then((value) => [value, context.get()]);
  assert.equal(value, "done");
  assert.equal(after, undefined);
});

// test262: Variable/prototype/run/returned-promise-does-not-resolve-in-snapshot.js
Deno.test("Variable.run() callbacks on the returned promise see the caller's value", async () => {
  const asyncVar = new Variable<string>();
  let resolve!: () => void;
  let done!: Promise<void>;

  asyncVar.run("foo", () => {
    done = asyncVar.run("bar", async () => {
      assert.equal(asyncVar.get(), "bar");
      await new Promise<void>((resolveFn) => {
        resolve = resolveFn;
      });
      assert.equal(asyncVar.get(), "bar");
    }).then(() => {
      assert.equal(asyncVar.get(), "foo");
    });
  });
  resolve();

  await done;
});

// test262: context-propagation/promise-then.js
Deno.test("Promise.prototype.then() callbacks see the context of the then() call", async () => {
  const asyncVar = new Variable<string>();
  let resolveFn!: () => void;
  const promise = asyncVar.run("promise creation time", () => {
    return new Promise<void>((resolve) => {
      resolveFn = resolve;
    });
  });

  const seen = asyncVar.run("then registration time", () => {
    return promise.then(() => asyncVar.get());
  });
  const seenOnRejection = asyncVar.run("catch registration time", () => {
    return promise.then(() => Promise.reject(new Error("x"))).catch(() =>
      asyncVar.get()
    );
  });
  asyncVar.run("resolution time", () => {
    resolveFn();
  });

  assert.equal(await seen, "then registration time");
  assert.equal(await seenOnRejection, "catch registration time");
});

// test262: context-propagation/continuation-propagation-thenable.js
Deno.test("Promise.resolve() calls a thenable's then() in the resolving context", async () => {
  const asyncVar = new Variable<symbol>();
  const expectedSymbol = Symbol("expected");
  let seen: symbol | undefined;
  const thenable = {
    then(onFulfilled: (value: string) => void) {
      seen = asyncVar.get();
      onFulfilled("resolved");
    },
  };

  const result = asyncVar.run(expectedSymbol, () => Promise.resolve(thenable));

  assert.equal(await result, "resolved");
  assert.equal(seen, expectedSymbol);
});

Deno.test("queueMicrotask() callbacks see the context of the call", async () => {
  const ctx = new Variable<string>();
  const seen: (string | undefined)[] = [];
  const { promise, resolve } = Promise.withResolvers<void>();

  ctx.run("a", () => queueMicrotask(() => seen.push(ctx.get())));
  ctx.run("b", () =>
    queueMicrotask(() => {
      seen.push(ctx.get());
      resolve();
    }));
  await promise;

  assert.deepEqual(seen, ["a", "b"]);
});

Deno.test("setTimeout() callbacks see the context of the call after run returned", async () => {
  const ctx = new Variable<string>();
  const { promise, resolve } = Promise.withResolvers<string | undefined>();

  ctx.run("scheduled", () => {
    setTimeout(() => resolve(ctx.get()), 1);
  });
  // The timer fires while this test runs in another value of the variable.
  const seen = await ctx.run("waiting", () => promise);

  assert.equal(seen, "scheduled");
});

Deno.test("setInterval() callbacks see the context of the call on every tick", async () => {
  const ctx = new Variable<string>();
  const seen: (string | undefined)[] = [];
  const { promise, resolve } = Promise.withResolvers<void>();

  const id = ctx.run("interval", () =>
    setInterval(() => {
      seen.push(ctx.get());
      if (seen.length === 3) resolve();
    }, 1));
  try {
    await ctx.run("waiting", () => promise);
  } finally {
    clearInterval(id);
  }

  assert.deepEqual(seen, ["interval", "interval", "interval"]);
});

Deno.test("Promise.all() branches keep their own values and the caller keeps its", async () => {
  const ctx = new Variable<string>();
  async function branch(name: string, ms: number) {
    return await ctx.run(name, async () => {
      await delay(ms);
      const afterTimer = ctx.get();
      await Promise.resolve();
      return `${afterTimer}/${ctx.get()}`;
    });
  }

  const result = await ctx.run("caller", async () => {
    const values = await Promise.all([
      branch("a", 3),
      branch("b", 1),
      branch("c", 2),
    ]);
    return [...values, ctx.get()];
  });

  assert.deepEqual(result, ["a/a", "b/b", "c/c", "caller"]);
});

Deno.test("Variable.run() concurrent runs do not see each other's values", async () => {
  const requestId = new Variable<number>();
  const log: string[] = [];
  async function handle(id: number) {
    for (let step = 0; step < 3; step++) {
      // Different delays make the runs interleave: 1 2 3 1 2 1 3 ...
      await delay((id * step) % 3);
      log.push(`${id}:${requestId.get()}`);
      await requestId.run(id * 100, async () => {
        await Promise.resolve();
        assert.equal(requestId.get(), id * 100);
      });
      assert.equal(requestId.get(), id);
    }
  }

  await Promise.all([1, 2, 3].map((id) => requestId.run(id, handle, id)));

  assert.equal(log.length, 9);
  for (const entry of log) {
    const [id, seen] = entry.split(":");
    assert.equal(seen, id, `request ${id} saw ${seen}`);
  }
  assert.equal(requestId.get(), undefined);
});

// --- no set() -----------------------------------------------------------------

// proposal README FAQ "Why take a function in run?"; docs/semantics.md case 135.
Deno.test("Variable has no way to set a value except run()", () => {
  assert.deepEqual(
    Object.getOwnPropertyNames(Variable.prototype).sort(),
    ["constructor", "get", "name", "run", "toString"],
  );
  const ctx = new Variable<string>();
  assert.equal("set" in ctx, false);
  assert.equal("enterWith" in ctx, false);
  // A frozen-looking instance: no own properties to write through.
  assert.deepEqual(Reflect.ownKeys(ctx), []);
});

Deno.test("Variable.run() value given inside a callback does not leak to the caller", async () => {
  const ctx = new Variable<string>();

  await ctx.run("outer", async () => {
    // Synchronous, awaited, and scheduled-but-not-awaited inner runs.
    ctx.run("sync inner", () => {});
    await ctx.run("async inner", async () => {
      await delay(1);
    });
    const timer = Promise.withResolvers<void>();
    ctx.run("timer inner", () => setTimeout(timer.resolve, 1));
    assert.equal(ctx.get(), "outer");
    await timer.promise;
    assert.equal(ctx.get(), "outer");
    // Snapshot.run() does not leak either.
    ctx.run("snapshot", () => new Snapshot()).run(() => {});
    assert.equal(ctx.get(), "outer");
  });
  assert.equal(ctx.get(), undefined);
});

// --- bad input ----------------------------------------------------------------

// test262: Variable/prototype/run/throws-if-callback-is-not-callable.js
Deno.test("Variable.run() throws TypeError for a non-function fn", () => {
  const ctx = new Variable<string>({ name: "requestId" });
  const badValues: unknown[] = [
    undefined,
    null,
    1,
    true,
    "",
    "fn",
    Symbol("s"),
    10n,
    {},
    [],
    Object.create(null),
    {
      toString: () => {
        throw new Error("toString must not break the message");
      },
    },
    new Promise(() => {}),
  ];
  for (const bad of badValues) {
    assert.throws(
      () => ctx.run("x", bad as () => void),
      (error: unknown) =>
        error instanceof TypeError &&
        /^Cannot run variable "requestId": 'fn' must be a function: current value is /
          .test(error.message),
      String(typeof bad),
    );
    // Nothing was entered.
    assert.equal(ctx.get(), undefined);
  }
  assert.throws(
    () => new Variable().run("x", 42 as unknown as () => void),
    /^TypeError: Cannot run variable: 'fn' must be a function: current value is 42$/,
  );
  assert.throws(
    () => new Variable().run("x", "fn" as unknown as () => void),
    /current value is "fn"$/,
  );
});

Deno.test("any nesting of runs of four variables and an AsyncLocalStorage reads as a stack of values would (property)", () => {
  // The storage keeps a persistent list, the head inline on Deno; a run of
  // a variable set further down copies the frames in front of it, and a run
  // of Deno's AsyncLocalStorage in between changes the context's format.
  // Checked against the plainest model: a stack of value arrays. Snapshots
  // taken on the way down must read the same corral values after everything
  // returned (a Snapshot leaves AsyncLocalStorage values as they are).
  const variables = [0, 1, 2, 3].map((i) =>
    new Variable<number>({ name: `v${i}`, defaultValue: -1 })
  );
  const storage = new AsyncLocalStorage<number>();
  const read = () => [
    ...variables.map((variable) => variable.get()),
    storage.getStore() ?? -1,
  ];
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(4), fc.nat(9)), { maxLength: 12 }),
      (runs) => {
        const checks: [Snapshot, number[]][] = [];
        const descend = (depth: number, model: number[]): void => {
          assert.deepEqual(read(), model);
          checks.push([new Snapshot(), model]);
          if (depth === runs.length) return;
          const [which, value] = runs[depth]!;
          const inner = model.slice();
          inner[which] = value;
          if (which === 4) storage.run(value, descend, depth + 1, inner);
          else variables[which]!.run(value, descend, depth + 1, inner);
          assert.deepEqual(read(), model);
        };
        descend(0, [-1, -1, -1, -1, -1]);
        for (const [snapshot, model] of checks) {
          assert.deepEqual(
            snapshot.run(read).slice(0, 4),
            model.slice(0, 4),
          );
        }
      },
    ),
    { numRuns: 1000 },
  );
});

// --- the proposal's shape (spec text "AsyncContext.Variable ( options )") -------

Deno.test("Variable has the proposal's constructor length 1 and Symbol.toStringTag", () => {
  assert.equal(Variable.length, 1);
  assert.equal(
    Object.prototype.toString.call(new Variable()),
    "[object AsyncContext.Variable]",
  );
  assert.deepEqual(
    Object.getOwnPropertyDescriptor(Variable.prototype, Symbol.toStringTag),
    {
      value: "AsyncContext.Variable",
      writable: false,
      enumerable: false,
      configurable: true,
    },
  );
});

Deno.test("new Variable() ignores an options value that is not an object", () => {
  for (const options of [undefined, null, "name", 42, true, Symbol("s"), 1n]) {
    const variable = new Variable(options as never);

    assert.equal(variable.name, "", String(typeof options));
    assert.equal(variable.get(), undefined);
    assert.equal(variable.run("x", () => variable.get()), "x");
  }
});

Deno.test("new Variable() reads name and defaultValue from a function, which is an object", () => {
  function options() {}
  Object.assign(options, { defaultValue: 7 });

  const variable = new Variable<number>(options as never);

  assert.equal(variable.name, "options", "a function's own name property");
  assert.equal(variable.get(), 7);
});

Deno.test("new Variable() reads name with ToString, and an inherited name counts (HasProperty)", () => {
  assert.equal(new Variable({ name: null as never }).name, "null");
  assert.equal(new Variable({ name: 1.5 as never }).name, "1.5");
  const inherited = Object.create({ name: "from the prototype" });
  assert.equal(new Variable(inherited).name, "from the prototype");
  const primitive = { [Symbol.toPrimitive]: () => "primitive" };
  assert.equal(new Variable({ name: primitive as never }).name, "primitive");
});

Deno.test("new Variable() throws TypeError when name cannot be converted to a string", () => {
  const throwing = new Error("toString failed");
  const cases: [unknown, RegExp][] = [
    [Symbol("s"), /current value is a symbol$/],
    [Object.create(null), /current value is a object that cannot be/],
    [{
      toString: () => {
        throw throwing;
      },
    }, /cannot be converted to a string$/],
  ];
  for (const [name, message] of cases) {
    assert.throws(
      () => new Variable({ name: name as never }),
      (error: unknown) =>
        error instanceof TypeError &&
        /^Cannot create variable: 'options.name' must be convertible to a string: /
          .test(error.message) &&
        message.test(error.message) && error.cause !== undefined,
    );
  }
});
