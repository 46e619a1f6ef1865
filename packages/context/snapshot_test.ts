// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import { Snapshot } from "./snapshot.ts";
import { Variable } from "./variable.ts";
import { testInEveryState } from "./_test_states.ts";

type Value = { id: number };

// --- new Snapshot() and Snapshot.run() ----------------------------------------

// test262: Snapshot/prototype/run/restores-snapshot.js
Deno.test("new Snapshot() captures the value of every variable", () => {
  const asyncVar1 = new Variable<string>();
  const asyncVar2 = new Variable<string>();
  const asyncVar3 = new Variable<string>();

  const asyncSnapshot = asyncVar1.run(
    "foo",
    () =>
      asyncVar2.run("bar", () => asyncVar3.run("baz", () => new Snapshot())),
  );

  assert.deepEqual(
    asyncSnapshot.run(
      () => [asyncVar1.get(), asyncVar2.get(), asyncVar3.get()],
    ),
    ["foo", "bar", "baz"],
  );
});

// test262: Snapshot/prototype/run/restores-unset-variables.js
Deno.test("Snapshot.run() unsets variables unset at capture, even ones created later", () => {
  const symbol = Symbol();
  const asyncVar1 = new Variable<string>();
  const asyncVar2 = new Variable<string | symbol>({ defaultValue: symbol });
  const asyncVar3 = new Variable<string>();
  const asyncSnapshot = asyncVar1.run("foo", () => new Snapshot());
  const newAsyncVar1 = new Variable<string | symbol>({ defaultValue: symbol });
  const newAsyncVar2 = new Variable<string>();

  const seen = asyncVar2.run(
    "bar",
    () =>
      asyncVar3.run(
        "baz",
        () =>
          newAsyncVar1.run("fizz", () =>
            newAsyncVar2.run("buzz", () =>
              asyncSnapshot.run(() => [
                asyncVar1.get(),
                asyncVar2.get(),
                asyncVar3.get(),
                newAsyncVar1.get(),
                newAsyncVar2.get(),
              ]))),
      ),
  );

  assert.deepEqual(seen, ["foo", symbol, undefined, symbol, undefined]);
});

Deno.test("new Snapshot() taken before a run does not see that run", async () => {
  const ctx = new Variable<string>();
  const before = new Snapshot();
  const inOuter = ctx.run("outer", () => new Snapshot());

  await ctx.run("later", async () => {
    assert.equal(before.run(() => ctx.get()), undefined);
    await Promise.resolve();
    assert.equal(inOuter.run(() => ctx.get()), "outer");
    assert.equal(ctx.get(), "later");
  });
  // Nor a run that started after it and is still going on.
  assert.equal(before.run(() => ctx.get()), undefined);
});

// test262: Snapshot/prototype/run/restores-previous-context-snapshot-after-callback.js
// and restores-previous-context-snapshot-after-callback-throw.js
Deno.test("Snapshot.run() restores the caller's context when fn returns or throws", () => {
  const ctx = new Variable<string>();
  const snapshot = ctx.run("snapshot", () => new Snapshot());
  const error = new Error("boom");

  ctx.run("caller", () => {
    assert.equal(snapshot.run(() => ctx.get()), "snapshot");
    assert.equal(ctx.get(), "caller");
    assert.throws(() =>
      snapshot.run(() => {
        throw error;
      }), (e) => e === error);
    assert.equal(ctx.get(), "caller");
  });
  assert.equal(ctx.get(), undefined);
});

// test262: Snapshot/prototype/run/calls-callback-with-args.js,
// calls-callback-with-undefined-this.js, returns-callback-return-value.js
Deno.test("Snapshot.run() passes the arguments, this undefined, and returns fn's value", () => {
  const snapshot = new Snapshot();
  let seenThis: unknown = "not called";

  const actual = snapshot.run(
    function (this: unknown, a: number, b: string) {
      seenThis = this;
      return { a, b };
    },
    1,
    "two",
  );

  assert.deepEqual(actual, { a: 1, b: "two" });
  assert.equal(seenThis, undefined);
});

// test262: Snapshot/prototype/run/returned-promise-does-not-resolve-in-snapshot.js
// and returns-async-callback-return-value.js
Deno.test("Snapshot.run() keeps the snapshot across awaits; the result resolves outside", async () => {
  const asyncVar = new Variable<string>();
  const asyncSnapshot = asyncVar.run("bar", () => new Snapshot());
  let resolve!: () => void;
  let done!: Promise<string | undefined>;

  asyncVar.run("foo", () => {
    done = asyncSnapshot.run(async () => {
      assert.equal(asyncVar.get(), "bar");
      await new Promise<void>((resolveFn) => {
        resolve = resolveFn;
      });
      assert.equal(asyncVar.get(), "bar");
      return "value";
    }).then((value) => `${value} ${asyncVar.get()}`);
  });
  resolve();

  assert.equal(await done, "value foo");
});

// --- Snapshot.wrap() (proposal tests/async-context.test.ts "wrap") -----------

// proposal: "wrap" / "stores initial undefined state"
testInEveryState("Snapshot.wrap() stores the empty state of a variable", () => {
  const ctx = new Variable<Value>();
  const wrapped = Snapshot.wrap(() => ctx.get());

  ctx.run({ id: 1 }, () => {
    assert.equal(wrapped(), undefined);
  });
});

// proposal: "wrap" / "stores current state"
testInEveryState("Snapshot.wrap() stores the current state", () => {
  const ctx = new Variable<Value>();
  const expected = { id: 1 };

  const wrap = ctx.run(expected, () => {
    const wrap = Snapshot.wrap(() => ctx.get());
    assert.equal(wrap(), expected);
    assert.equal(ctx.get(), expected);
    return wrap;
  });

  assert.equal(wrap(), expected);
  assert.equal(ctx.get(), undefined);
});

// proposal: "wrap" / "wrap within nesting contexts"
testInEveryState("Snapshot.wrap() within nesting contexts", () => {
  const ctx = new Variable<Value>();
  const first = { id: 1 };
  const second = { id: 2 };
  let calls = 0;

  const [firstWrap, secondWrap] = ctx.run(first, () => {
    const firstWrap = Snapshot.wrap(() => {
      calls++;
      assert.equal(ctx.get(), first);
    });
    firstWrap();

    const secondWrap = ctx.run(second, () => {
      const secondWrap = Snapshot.wrap(() => {
        firstWrap();
        assert.equal(ctx.get(), second);
      });
      firstWrap();
      secondWrap();
      assert.equal(ctx.get(), second);
      return secondWrap;
    });

    firstWrap();
    secondWrap();
    assert.equal(ctx.get(), first);
    return [firstWrap, secondWrap];
  });

  firstWrap();
  secondWrap();
  assert.equal(ctx.get(), undefined);
  assert.equal(calls, 7);
});

// proposal: "wrap" / "wrap within nesting different contexts"
testInEveryState("Snapshot.wrap() within nesting different contexts", () => {
  const a = new Variable<Value>();
  const b = new Variable<Value>();
  const first = { id: 1 };
  const second = { id: 2 };

  const [firstWrap, secondWrap] = a.run(first, () => {
    const firstWrap = Snapshot.wrap(() => {
      assert.equal(a.get(), first);
      assert.equal(b.get(), undefined);
    });
    firstWrap();

    const secondWrap = b.run(second, () => {
      const secondWrap = Snapshot.wrap(() => {
        firstWrap();
        assert.equal(a.get(), first);
        assert.equal(b.get(), second);
      });
      firstWrap();
      secondWrap();
      assert.equal(a.get(), first);
      assert.equal(b.get(), second);
      return secondWrap;
    });

    firstWrap();
    secondWrap();
    assert.equal(a.get(), first);
    assert.equal(b.get(), undefined);
    return [firstWrap, secondWrap];
  });

  firstWrap();
  secondWrap();
  assert.equal(a.get(), undefined);
  assert.equal(b.get(), undefined);
});

// proposal: "wrap" / "wrap within nesting different contexts, 2" to ", 6":
// the same three nested runs, with an unused extra wrap taken at a different
// depth in each (none, and positions 3 to 6 below). In the polyfill the
// extra wrap freezes the mapping there, which forces a copy on the next run.
for (const extraAt of [2, 3, 4, 5, 6]) {
  testInEveryState(
    `Snapshot.wrap() within three nested variables, extra wrap ${extraAt}`,
    () => {
      const a = new Variable<Value>();
      const b = new Variable<Value>();
      const c = new Variable<Value>();
      const first = { id: 1 };
      const second = { id: 2 };
      const third = { id: 3 };
      const extra = (at: number) => {
        if (at === extraAt) Snapshot.wrap(() => {});
      };
      let called = false;

      const wrap = a.run(first, () => {
        extra(4);
        const wrap = b.run(second, () => {
          extra(3);
          const wrap = c.run(third, () =>
            Snapshot.wrap(() => {
              called = true;
              assert.equal(a.get(), first);
              assert.equal(b.get(), second);
              assert.equal(c.get(), third);
            }));
          extra(5);
          assert.equal(a.get(), first);
          assert.equal(b.get(), second);
          assert.equal(c.get(), undefined);
          return wrap;
        });
        extra(6);
        assert.equal(a.get(), first);
        assert.equal(b.get(), undefined);
        assert.equal(c.get(), undefined);
        return wrap;
      });

      assert.equal(a.get(), undefined);
      assert.equal(b.get(), undefined);
      assert.equal(c.get(), undefined);
      wrap();
      assert.equal(called, true);
      assert.equal(a.get(), undefined);
      assert.equal(b.get(), undefined);
      assert.equal(c.get(), undefined);
    },
  );
}

// proposal: "wrap" / "wrap out of order"
testInEveryState("Snapshot.wrap() wrappers can be called out of order", () => {
  const ctx = new Variable<Value>();
  const first = { id: 1 };
  const second = { id: 2 };

  const firstWrap = ctx.run(first, () => Snapshot.wrap(() => ctx.get()));
  const secondWrap = ctx.run(second, () => Snapshot.wrap(() => ctx.get()));

  assert.deepEqual(
    [firstWrap(), secondWrap(), firstWrap(), secondWrap()],
    [first, second, first, second],
  );
});

// test262: Snapshot/wrap/wrapped-function/calls-callback-in-snapshot.js
Deno.test("Snapshot.wrap() runs fn in the wrap-time context when called from elsewhere", async () => {
  const ctx = new Variable<string>();
  const wrapped = ctx.run("wrap time", () => Snapshot.wrap(() => ctx.get()));
  const { promise, resolve } = Promise.withResolvers<unknown[]>();

  // Called from a timer scheduled in another run, and from a then callback.
  ctx.run("elsewhere", () => {
    setTimeout(() => resolve([ctx.get(), wrapped(), ctx.get()]), 1);
  });
  const fromThen = await ctx.run("then", () => Promise.resolve().then(wrapped));

  assert.deepEqual(await promise, ["elsewhere", "wrap time", "elsewhere"]);
  assert.equal(fromThen, "wrap time");
});

// test262: Snapshot/wrap/wrapped-function/calls-callback-with-this.js,
// calls-callback-with-args.js, returns-callback-return-value.js
Deno.test("Snapshot.wrap() passes this and the arguments and returns fn's value", () => {
  const thisValue = { label: "this" };
  const wrapped = Snapshot.wrap(function (this: unknown, a: number, b: number) {
    return [this, a + b];
  });

  assert.deepEqual(wrapped.call(thisValue, 1, 2), [thisValue, 3]);
  const method = { wrapped, label: "method" };
  assert.deepEqual(method.wrapped(3, 4), [method, 7]);
  assert.deepEqual(wrapped.apply(undefined, [5, 6]), [undefined, 11]);
});

// test262: Snapshot/wrap/wrapped-function/restores-previous-context-snapshot-after-callback.js
// and restores-previous-context-snapshot-after-callback-throw.js
Deno.test("Snapshot.wrap() restores the caller's context when fn returns or throws", () => {
  class CustomError extends Error {}
  const asyncVar = new Variable<string | number>();
  const throwing = asyncVar.run(42, () =>
    Snapshot.wrap(() => {
      assert.equal(asyncVar.get(), 42);
      throw new CustomError();
    }));
  const returning = asyncVar.run(43, () => Snapshot.wrap(() => asyncVar.get()));

  asyncVar.run("foo", () => {
    assert.throws(throwing, CustomError);
    assert.equal(asyncVar.get(), "foo");
    assert.equal(returning(), 43);
    assert.equal(asyncVar.get(), "foo");
  });
  assert.throws(throwing, CustomError);
  assert.equal(asyncVar.get(), undefined);
});

// test262: Snapshot/wrap/wrapped-function/returned-promise-does-not-resolve-in-snapshot.js
Deno.test("Snapshot.wrap() async fn keeps the wrap context; its result resolves outside", async () => {
  const asyncVar = new Variable<string>();
  let resolve!: () => void;
  async function callback() {
    assert.equal(asyncVar.get(), "bar");
    await new Promise<void>((resolveFn) => {
      resolve = resolveFn;
    });
    return asyncVar.get();
  }
  const wrapped = asyncVar.run("bar", () => Snapshot.wrap(callback));

  const done = asyncVar.run(
    "foo",
    () => wrapped().then((value) => [value, asyncVar.get()]),
  );
  resolve();

  assert.deepEqual(await done, ["bar", "foo"]);
});

// test262: Snapshot/wrap/wrapped-function/name.js (the string cases; we do not
// copy `length`, and a non-string name is shown as String(name))
Deno.test("Snapshot.wrap() names the result after fn", () => {
  function callback() {}
  assert.equal(Snapshot.wrap(callback).name, "wrapped callback");
  assert.equal(Snapshot.wrap(() => {}).name, "wrapped ");
});

// --- bad input ----------------------------------------------------------------

const badValues: unknown[] = [
  undefined,
  null,
  1,
  true,
  "fn",
  Symbol("s"),
  {},
  Object.create(null),
  new Snapshot(),
];

// test262: Snapshot/wrap/throws-if-callback-is-not-callable.js
Deno.test("Snapshot.wrap() throws TypeError for a non-function fn", () => {
  for (const bad of badValues) {
    assert.throws(
      () => Snapshot.wrap(bad as () => void),
      (error: unknown) =>
        error instanceof TypeError &&
        /^Cannot wrap: 'fn' must be a function: current value is /.test(
          error.message,
        ),
      String(typeof bad),
    );
  }
});

// test262: Snapshot/prototype/run/throws-if-callback-is-not-callable.js
Deno.test("Snapshot.run() throws TypeError for a non-function fn", () => {
  const ctx = new Variable<string>();
  const snapshot = ctx.run("snapshot", () => new Snapshot());
  for (const bad of badValues) {
    assert.throws(
      () => snapshot.run(bad as () => void),
      (error: unknown) =>
        error instanceof TypeError &&
        /^Cannot run snapshot: 'fn' must be a function: current value is /
          .test(error.message),
      String(typeof bad),
    );
    // Nothing was entered.
    assert.equal(ctx.get(), undefined);
  }
});

// --- the proposal's shape (spec text "AsyncContext.Snapshot.wrap ( fn )",
// CopyNameAndLength of the ShadowRealm proposal) --------------------------------

Deno.test("Snapshot has the proposal's Symbol.toStringTag", () => {
  assert.equal(
    Object.prototype.toString.call(new Snapshot()),
    "[object AsyncContext.Snapshot]",
  );
  assert.deepEqual(
    Object.getOwnPropertyDescriptor(Snapshot.prototype, Symbol.toStringTag),
    {
      value: "AsyncContext.Snapshot",
      writable: false,
      enumerable: false,
      configurable: true,
    },
  );
});

Deno.test("Snapshot.wrap() copies length and name as CopyNameAndLength does", () => {
  function named(_a: unknown, _b: unknown, _c = 1) {}
  const withLength = (length: unknown) => {
    const fn = () => {};
    Object.defineProperty(fn, "length", { value: length });
    return fn;
  };
  const withoutLength = () => {};
  delete (withoutLength as { length?: number }).length;
  const withName = (name: unknown) => {
    const fn = () => {};
    Object.defineProperty(fn, "name", { value: name });
    return fn;
  };

  const wrapped = Snapshot.wrap(named);

  assert.equal(wrapped.length, 2);
  assert.equal(wrapped.name, "wrapped named");
  assert.deepEqual(Object.getOwnPropertyDescriptor(wrapped, "length"), {
    value: 2,
    writable: false,
    enumerable: false,
    configurable: true,
  });
  assert.deepEqual(Object.getOwnPropertyDescriptor(wrapped, "name"), {
    value: "wrapped named",
    writable: false,
    enumerable: false,
    configurable: true,
  });
  assert.equal(Snapshot.wrap(withLength(2.7)).length, 2);
  assert.equal(Snapshot.wrap(withLength(-3)).length, 0);
  assert.equal(Snapshot.wrap(withLength(NaN)).length, 0);
  assert.equal(Snapshot.wrap(withLength(Infinity)).length, Infinity);
  assert.equal(Snapshot.wrap(withLength(-Infinity)).length, 0);
  assert.equal(Snapshot.wrap(withLength("3")).length, 0);
  assert.equal(Snapshot.wrap(withoutLength).length, 0);
  assert.equal(Snapshot.wrap(withName(42)).name, "wrapped ");
  assert.equal(Snapshot.wrap(withName("")).name, "wrapped ");
  assert.equal(Snapshot.wrap(withName(undefined)).name, "wrapped ");
});

Deno.test("Snapshot.wrap() lets an error from reading name or length through", () => {
  const error = new Error("getter");
  const fn = () => {};
  Object.defineProperty(fn, "name", {
    get() {
      throw error;
    },
  });

  assert.throws(() => Snapshot.wrap(fn), (e) => e === error);
});

Deno.test("Snapshot.wrap() returns a function that is not a constructor", () => {
  class Thing {}

  const wrapped = Snapshot.wrap(Thing as unknown as () => unknown);

  assert.throws(
    () => new (wrapped as unknown as new () => unknown)(),
    TypeError,
  );
  assert.equal(Object.hasOwn(wrapped, "prototype"), false);
});
