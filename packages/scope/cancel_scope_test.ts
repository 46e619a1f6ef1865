// Copyright the corral authors. MIT license.
// Tests of CancelScope: rules 1, 3, 4, 5 and 8 of docs/rules.md, and the ports
// of docs/semantics.md groups A (scope basics), D (nesting) and K (cleanup).
import assert from "node:assert/strict";
import { CancelScope, currentScope } from "./cancel_scope.ts";
import { Cancelled } from "./cancelled.ts";
import {
  checkpoint,
  currentEffectiveDeadline,
  sleep,
  sleepForever,
} from "./checkpoint.ts";
import { MockClock } from "./mock_clock.ts";
import { internals } from "./_internal.ts";
import { assertCancelled, testUnderEachParent } from "./_test_parents.ts";

// ---------------------------------------------------------------------------
// Basics
// ---------------------------------------------------------------------------

Deno.test("CancelScope has documented defaults", () => {
  const scope = new CancelScope();
  assert.equal(scope.name, "");
  assert.equal(scope.deadline, Infinity);
  assert.equal(scope.shield, false);
  assert.equal(scope.cancelCalled, false);
  assert.equal(scope.cancelCaught, false);
  assert.equal(scope.reason, undefined);
  assert.equal(scope.signal.aborted, false);
  assert.equal(new CancelScope({ name: "job" }).name, "job");
});

Deno.test("a name function is called once, only when the label is first needed", async () => {
  let calls = 0;
  const scope = new CancelScope({ name: () => `job ${++calls}` });
  assert.equal(await scope.run(() => 1), 1);
  assert.equal(calls, 0, "a scope that ends unread never makes its name");
  assert.equal(scope.name, "job 1");
  assert.equal(String(scope), 'CancelScope "job 1" (exited)');
  assert.equal(calls, 1);

  // Cancelling reads the label (it goes on the Cancelled), once.
  let made = 0;
  const cancelled = new CancelScope({ name: () => `req ${++made}` });
  await cancelled.run(async (self) => {
    self.cancel("stop");
    await assert.rejects(checkpoint(), (error: unknown) => {
      assert.ok(error instanceof Cancelled);
      assert.match(error.message, /^Scope "req 1" was cancelled explicitly/);
      return true;
    });
  });
  assert.equal(cancelled.name, "req 1");
  assert.equal(made, 1);

  // A cancel() of a scope that an enclosing one already cancelled keeps the
  // inherited Cancelled (rule 5), which names the other scope: no name.
  let asked = 0;
  const inner = new CancelScope({ name: () => `inner ${++asked}` });
  await new CancelScope({ name: "outer" }).run(async (outer) => {
    await inner.run(async (self) => {
      outer.cancel("outer first");
      self.cancel("inner second");
      await assert.rejects(checkpoint(), (error: unknown) => {
        assert.ok(error instanceof Cancelled);
        assert.equal(error.reason, "outer first");
        return true;
      });
    });
  });
  assert.ok(inner.cancelCalled);
  assert.equal(asked, 0, "the inherited cause needs no name of ours");
});

Deno.test("a name function that throws, returns no string or reads its own scope cannot disturb the scope (rule 19)", async () => {
  const throwing = new CancelScope({
    name: () => {
      throw new TypeError("Request closed");
    },
  });
  // The label is read inside our bookkeeping here: cancel() makes the
  // Cancelled, the exit absorbs it.
  assert.equal(
    await throwing.run(async (self) => {
      self.cancel();
      await checkpoint();
      return "not reached";
    }),
    undefined,
  );
  assert.ok(throwing.cancelCaught);
  assert.equal(
    throwing.name,
    "(name function failed: TypeError: Request closed)",
  );
  assert.equal(
    new CancelScope({ name: () => 42 as unknown as string }).name,
    "(name function returned 42)",
  );
  // A name function that cancels its own scope, made by a cancel(): its
  // cancellation came first, and is the one that stays (rule 5).
  const cancelling: CancelScope = new CancelScope({
    name: () => {
      cancelling.cancel("from the name");
      return "cancelling";
    },
  });
  await cancelling.run(async (self) => {
    self.cancel("outer");
    await assert.rejects(checkpoint(), (error: unknown) => {
      assert.ok(error instanceof Cancelled);
      assert.equal(error.reason, "from the name");
      return true;
    });
  });
  assert.equal(cancelling.reason?.reason, "from the name");
  const selfish: CancelScope = new CancelScope({
    name: () => `outer of "${selfish.name}"`,
  });
  assert.equal(selfish.name, 'outer of ""');
  assert.throws(
    () => new CancelScope({ name: 42 as unknown as string }),
    /^TypeError: Cannot create scope: 'name' must be a string or a function: current value is 42$/,
  );
});

testUnderEachParent(
  "CancelScope.run() enters the scope and returns the callback's value",
  async () => {
    const outside = currentScope();
    const scope = new CancelScope({ name: "value" });
    let received: CancelScope | undefined;
    const value = await scope.run((self) => {
      received = self;
      assert.equal(currentScope(), scope);
      return 42;
    });
    assert.equal(value, 42);
    assert.equal(received, scope);
    assert.equal(currentScope(), outside);

    const asyncValue = await new CancelScope().run(async () => {
      await checkpoint();
      return "async";
    });
    assert.equal(asyncValue, "async");
  },
);

testUnderEachParent(
  "CancelScope.run() keeps the scope current across awaits and nests scopes",
  async () => {
    const outer = new CancelScope({ name: "outer" });
    const inner = new CancelScope({ name: "inner" });
    await outer.run(async () => {
      await checkpoint();
      assert.equal(currentScope(), outer);
      await inner.run(async () => {
        await sleep(0);
        assert.equal(currentScope(), inner);
        assert.equal(internals.parentOf(inner), outer);
      });
      assert.equal(currentScope(), outer);
    });
  },
);

testUnderEachParent(
  "CancelScope.run() lets a non-Cancelled error pass, even when cancelled",
  async () => {
    // trio: test_run.py::test_cancel_scope_no_cancellederror (docs/semantics.md #11)
    const scope = new CancelScope({ name: "failing" });
    const failure = new RangeError("boom");
    await assert.rejects(
      scope.run(() => {
        scope.cancel();
        throw failure;
      }),
      (error) => error === failure,
    );
    assert.ok(scope.cancelCalled);
    assert.equal(scope.cancelCaught, false);
  },
);

testUnderEachParent(
  "CancelScope.run() exits each scope as its own body settles, in any order",
  async () => {
    // A native promise's outcome comes back through callbacks shared by all
    // scopes, which find their scope from the context: each must exit its
    // own scope, and absorb only its own cancellation.
    const release: (() => void)[] = [];
    const scopes = ["a", "b", "c"].map((name) => new CancelScope({ name }));
    const runs = scopes.map((scope, i) =>
      scope.run(async () => {
        await new Promise<void>((resolve) => release[i] = resolve);
        if (i === 1) {
          scope.cancel();
          await checkpoint(); // absorbed by b alone
        }
        return scope.name;
      })
    );
    await checkpoint();
    for (const i of [2, 1, 0]) {
      release[i]!();
      assert.equal(await runs[i], i === 1 ? undefined : scopes[i]!.name);
      assert.match(String(scopes[i]), /exited/);
      for (const j of [0, 1, 2].filter((j) => j < i)) {
        assert.match(String(scopes[j]), /active/);
      }
    }
    assert.deepEqual(scopes.map((scope) => scope.cancelCaught), [
      false,
      true,
      false,
    ]);
  },
);

testUnderEachParent(
  "CancelScope.run() awaits a foreign thenable or a Promise subclass as await would",
  async () => {
    class Tracked<T> extends Promise<T> {}
    // Typed as a promise, which is all `run()` accepts; it is not one.
    const thenable = (
      settle: (ok: (v: string) => void, fail: (e: unknown) => void) => void,
    ) =>
      ({
        then(ok: (v: string) => void, fail: (e: unknown) => void) {
          queueMicrotask(() => settle(ok, fail));
        },
      }) as unknown as Promise<string>;
    assert.equal(
      await new CancelScope().run(() => thenable((ok) => ok("thenable"))),
      "thenable",
    );
    assert.equal(
      await new CancelScope().run(() =>
        Tracked.resolve("subclass") as Promise<string>
      ),
      "subclass",
    );
    // A Cancelled the scope owns is absorbed, whichever way it comes back.
    const owner = new CancelScope({ name: "owner" });
    const result = await owner.run(() =>
      thenable((_, fail) => {
        owner.cancel();
        fail(owner.reason);
      })
    );
    assert.equal(result, undefined);
    assert.ok(owner.cancelCaught);
    // Anything else goes on out, and the scope has exited by then.
    const failing = new CancelScope({ name: "failing" });
    const failure = new Error("from a subclass");
    await assert.rejects(
      failing.run(() => Tracked.reject(failure) as Promise<never>),
      (error) => error === failure,
    );
    assert.match(String(failing), /exited/);
  },
);

Deno.test("CancelScope.run(): a body's result is a native promise by await's own test, and a fake one fails as await fails", async () => {
  // A subclass that says it is a Promise: as `await` does (PromiseResolve),
  // its reactions go on the promise itself, and its own `then` is not used.
  let subclassThen = 0;
  class Posing<T> extends Promise<T> {
    static override get [Symbol.species]() {
      return Promise;
    }
    override then<A, B>(
      ok?: ((value: T) => A | PromiseLike<A>) | null,
      fail?: ((error: unknown) => B | PromiseLike<B>) | null,
    ): Promise<A | B> {
      subclassThen++;
      return super.then(ok, fail);
    }
  }
  const posing = new Posing<string>((resolve) => resolve("posing"));
  Object.defineProperty(posing, "constructor", { value: Promise });
  assert.equal(await new CancelScope().run(() => posing), "posing");
  assert.equal(subclassThen, 0, "bypassed, as `await posing` bypasses it");
  // An object that only inherits from Promise.prototype is no promise:
  // calling `then` on it throws, which is the body's failure.
  const fake = Object.create(Promise.prototype) as Promise<string>;
  const expected = await (async () => await fake)().catch((error) => error);
  assert.ok(expected instanceof TypeError);
  const scope = new CancelScope();
  await assert.rejects(scope.run(() => fake), TypeError);
  assert.match(String(scope), /exited/);
});

Deno.test("CancelScope.toString() shows the state", async () => {
  // trio: test_run.py::test_cancel_scope_repr (docs/semantics.md #17)
  const clock = new MockClock();
  await clock.run(async () => {
    const scope = new CancelScope({ name: "req-42" });
    assert.equal(String(scope), 'CancelScope "req-42" (idle)');
    assert.equal(String(new CancelScope()), "CancelScope (idle)");
    await scope.run(async () => {
      assert.equal(String(scope), 'CancelScope "req-42" (active)');
      scope.deadline = 1_500;
      assert.equal(
        String(scope),
        'CancelScope "req-42" (active, deadline in 1.50 s)',
      );
      scope.shield = true;
      assert.match(String(scope), /\(active, deadline in 1\.50 s, shielded\)$/);
      scope.shield = false;
      scope.deadline = -1;
      assert.match(
        String(scope),
        /deadline passed, cancelled by its deadline\)$/,
      );
      await checkpoint();
    });
    assert.equal(
      String(scope),
      'CancelScope "req-42" (exited, cancelled by its deadline, cancel caught)',
    );

    const outer = new CancelScope({ name: "outer" });
    await outer.run(() =>
      new CancelScope({ name: "inner" }).run((inner) => {
        outer.cancel();
        assert.equal(
          String(inner),
          'CancelScope "inner" (active, cancelled by an enclosing scope)',
        );
        assert.equal(
          String(outer),
          'CancelScope "outer" (active, cancelled explicitly)',
        );
      })
    );
  });
});

// ---------------------------------------------------------------------------
// Rule 1: level-triggered
// ---------------------------------------------------------------------------

testUnderEachParent(
  "rule 1: every checkpoint in a cancelled scope throws until control leaves it",
  async () => {
    // trio: test_run.py::test_cancel_edge_cases; anyio:
    // test_taskgroups.py::test_level_cancellation (docs/semantics.md #4)
    const scope = new CancelScope({ name: "level" });
    const caught: Cancelled[] = [];
    let reachedTheEnd = false;
    const result = await scope.run(async () => {
      scope.cancel("stop");
      for (let i = 0; i < 3; i++) {
        try {
          await checkpoint();
        } catch (error) {
          caught.push(error as Cancelled); // swallowed, on purpose
        }
        assert.ok(scope.signal.aborted, "the signal stays aborted");
      }
      reachedTheEnd = true;
      await sleep(0); // the next checkpoint still throws
      return "unreachable";
    });
    assert.equal(result, undefined);
    assert.ok(reachedTheEnd);
    assert.equal(caught.length, 3);
    for (const cancelled of caught) assert.equal(cancelled, scope.reason);
    assert.ok(scope.cancelCaught);
    assert.ok(scope.signal.aborted);
    await checkpoint(); // outside the scope, nothing is cancelled
  },
);

testUnderEachParent(
  "rule 1: an await in cleanup of a cancelled scope throws; a shielded scope with its own timeout lets cleanup wait",
  async (clock) => {
    // trio: docs reference-core.rst (blocking cleanup); anyio: docs
    // cancellation.rst "Finalization" (docs/semantics.md #136)
    const scope = new CancelScope({ name: "work" });
    const record: string[] = [];
    await scope.run(async () => {
      try {
        scope.cancel();
        await sleepForever();
      } finally {
        await assertCancelled(sleep(10));
        record.push("unshielded cleanup wait threw");
        await new CancelScope({ shield: true, timeout: 50 }).run(async () => {
          await sleep(20);
          record.push(`shielded cleanup waited until ${clock.now()}`);
          await sleepForever(); // stopped by the cleanup's own timeout
        });
        record.push(`cleanup timed out at ${clock.now()}`);
      }
    });
    assert.deepEqual(record, [
      "unshielded cleanup wait threw",
      "shielded cleanup waited until 20",
      "cleanup timed out at 50",
    ]);
    assert.ok(scope.cancelCaught);
  },
  { autojump: true },
);

// ---------------------------------------------------------------------------
// Rule 3: the owner
// ---------------------------------------------------------------------------

testUnderEachParent(
  "rule 3: an inner cancelled scope lets the outer Cancelled pass",
  async () => {
    // trio: test_run.py::test_cancel_scope_nesting (docs/semantics.md #56)
    const enclosing = new CancelScope({ name: "enclosing" });
    const outer = new CancelScope({ name: "outer" });
    const middle = new CancelScope({ name: "middle" });
    const inner = new CancelScope({ name: "inner" });
    let afterOuter = false;
    await enclosing.run(async () => {
      await outer.run(() =>
        middle.run(() =>
          inner.run(async () => {
            inner.cancel("inner");
            outer.cancel("outer");
            await sleepForever();
          })
        )
      );
      afterOuter = true;
    });
    assert.ok(afterOuter);
    assert.ok(outer.cancelCalled && outer.cancelCaught);
    assert.ok(inner.cancelCalled);
    assert.equal(inner.cancelCaught, false);
    assert.equal(middle.cancelCalled, false);
    assert.equal(middle.cancelCaught, false);
    assert.equal(enclosing.cancelCalled, false);
    assert.equal(enclosing.cancelCaught, false);
  },
);

testUnderEachParent(
  "rule 3: a scope that is not cancelled lets Cancelled pass",
  async () => {
    // anyio: test_taskgroups.py::test_cancelled_parent (docs/semantics.md #60)
    const outer = new CancelScope({ name: "outer" });
    const fresh = new CancelScope({ name: "fresh" });
    let afterFresh = false;
    await outer.run(async () => {
      outer.cancel();
      await fresh.run(() => sleepForever());
      afterFresh = true;
    });
    assert.equal(afterFresh, false);
    assert.equal(fresh.cancelCalled, false);
    assert.equal(fresh.cancelCaught, false);
    assert.ok(outer.cancelCaught);

    // A Cancelled thrown where no scope is cancelled reaches the caller.
    const stray = new Cancelled({ reason: "stray" });
    const plain = new CancelScope();
    await assert.rejects(
      plain.run(() => {
        throw stray;
      }),
      (error) => error === stray,
    );
    assert.equal(plain.cancelCaught, false);
  },
);

testUnderEachParent(
  "rule 3: a scope-based checkpoint inside a cancelled scope belongs to the outer scope",
  async () => {
    // anyio: test_taskgroups.py::test_cancelled_scope_based_checkpoint;
    // trio #860 (docs/semantics.md #18)
    const outer = new CancelScope({ name: "outer" });
    const inner = new CancelScope({ name: "inner" });
    await outer.run(async () => {
      outer.cancel();
      await inner.run(async () => {
        inner.cancel();
        await sleepForever();
      });
      assert.fail("the outer cancellation must reach here");
    });
    assert.ok(outer.cancelCaught);
    assert.ok(inner.cancelCalled);
    assert.equal(inner.cancelCaught, false);
  },
);

testUnderEachParent(
  "rule 3: the owner is decided at exit: an outer scope cancelled while an inner Cancelled propagates owns it",
  async () => {
    // anyio: test_taskgroups.py::test_cancelled_raises_beyond_origin_unshielded
    // (docs/semantics.md #52)
    const outer = new CancelScope({ name: "outer" });
    const inner = new CancelScope({ name: "inner" });
    await outer.run(async () => {
      await inner.run(async () => {
        inner.cancel();
        try {
          await checkpoint();
        } finally {
          outer.cancel();
        }
        assert.fail("checkpoint should have thrown");
      });
      assert.fail("exiting the inner scope should have thrown");
    });
    assert.equal(inner.cancelCaught, false);
    assert.ok(outer.cancelCaught);
  },
);

// ---------------------------------------------------------------------------
// Rule 4: cancelCalled / cancelCaught
// ---------------------------------------------------------------------------

testUnderEachParent(
  "rule 4: cancel() then a checkpoint sets cancelCalled and cancelCaught",
  async () => {
    // trio: test_run.py::test_cancel_points (main2), ::test_cancel_edge_cases
    // (docs/semantics.md #1)
    const scope = new CancelScope({ name: "basic" });
    let afterCheckpoint = false;
    const result = await scope.run(async () => {
      scope.cancel();
      assert.ok(scope.cancelCalled);
      assert.equal(scope.cancelCaught, false);
      await checkpoint();
      afterCheckpoint = true;
    });
    assert.equal(result, undefined);
    assert.equal(afterCheckpoint, false);
    assert.ok(scope.cancelCalled);
    assert.ok(scope.cancelCaught);
  },
);

testUnderEachParent(
  "rule 4: a cancel that lands after the last checkpoint is not delivered",
  async () => {
    // anyio: test_taskgroups.py::test_cancelled_not_caught; trio: _run.py
    // CancelScope.cancel_called docstring; disagreement D4 (docs/semantics.md #6)
    const scope = new CancelScope({ name: "late" });
    const result = await scope.run(async () => {
      await checkpoint();
      scope.cancel();
      return "finished";
    });
    assert.equal(result, "finished");
    assert.ok(scope.cancelCalled);
    assert.equal(scope.cancelCaught, false);
  },
);

testUnderEachParent(
  "rule 4: a scope cancelled only through an ancestor keeps cancelCalled false",
  async () => {
    const outer = new CancelScope({ name: "outer" });
    const inner = new CancelScope({ name: "inner" });
    await outer.run(() =>
      inner.run(async () => {
        outer.cancel();
        assert.equal(inner.cancelCalled, false);
        assert.equal(inner.reason, outer.reason);
        await checkpoint();
      })
    );
    assert.equal(inner.cancelCalled, false);
    assert.equal(inner.cancelCaught, false);
    assert.ok(outer.cancelCalled && outer.cancelCaught);
  },
);

testUnderEachParent(
  "rule 4: cancel() after exit sets cancelCalled but never cancelCaught",
  async () => {
    // trio: test_run.py::test_cancel_unbound ("Can't reuse") (docs/semantics.md #9)
    const scope = new CancelScope({ name: "done" });
    await scope.run(() => checkpoint());
    scope.cancel();
    assert.ok(scope.cancelCalled);
    assert.equal(scope.cancelCaught, false);
    await checkpoint(); // the caller is not affected
  },
);

// ---------------------------------------------------------------------------
// Group A: cancel scope basics
// ---------------------------------------------------------------------------

testUnderEachParent(
  "checkpoint() in a scope throws only after cancel()",
  async () => {
    // trio: test_run.py::test_cancel_points (main1) (docs/semantics.md #2)
    const scope = new CancelScope({ name: "points" });
    const record: string[] = [];
    await scope.run(async () => {
      await checkpoint();
      record.push("before cancel: no throw");
      scope.cancel();
      try {
        await checkpoint();
      } catch (error) {
        record.push(`after cancel: ${(error as Error).name}`);
        throw error;
      }
    });
    assert.deepEqual(record, [
      "before cancel: no throw",
      "after cancel: Cancelled",
    ]);
  },
);

testUnderEachParent("CancelScope.cancel() is idempotent", async () => {
  // trio: test_run.py::test_cancel_edge_cases; _run.py CancelScope.cancel
  // docstring (docs/semantics.md #3)
  const scope = new CancelScope({ name: "twice" });
  let aborts = 0;
  scope.signal.addEventListener("abort", () => aborts++);
  await scope.run(async () => {
    scope.cancel("first");
    const first = scope.reason;
    scope.cancel("second");
    assert.equal(scope.reason, first);
    assert.equal(scope.reason?.reason, "first");
    await checkpoint();
  });
  scope.cancel("after");
  assert.equal(aborts, 1);
  assert.ok(scope.cancelCalled && scope.cancelCaught);
});

testUnderEachParent(
  "CancelScope.cancel() before run() cancels the scope from entry",
  async () => {
    // trio: test_run.py::test_cancel_unbound ("Cancel before entry"); anyio:
    // test_taskgroups.py::test_cancel_before_entering_scope (docs/semantics.md #7)
    const scope = new CancelScope({ name: "early" });
    scope.cancel("before");
    assert.ok(scope.cancelCalled);
    assert.ok(scope.signal.aborted);
    const record: string[] = [];
    await scope.run(async () => {
      record.push("entered"); // code before the first checkpoint runs
      assert.equal(currentEffectiveDeadline(), -Infinity);
      await checkpoint();
      record.push("unreachable");
    });
    assert.deepEqual(record, ["entered"]);
    assert.ok(scope.cancelCaught);
    assert.equal(scope.reason?.reason, "before");
  },
);

testUnderEachParent(
  "CancelScope.cancel() from another task wakes the task blocked inside",
  async (clock) => {
    // trio: test_run.py::test_cancel_unbound ("Cancel after entry"); anyio:
    // test_taskgroups.py::test_cancel_scope_in_another_task,
    // ::test_cancel_scope_in_child_task (docs/semantics.md #8)
    const enclosing = new CancelScope({ name: "enclosing" });
    const target = new CancelScope({ name: "target" });
    const record: string[] = [];
    await enclosing.run(() =>
      Promise.all([
        target.run(async () => {
          record.push("sleeping");
          try {
            await sleepForever();
          } finally {
            record.push("woken");
          }
        }),
        (async () => {
          await checkpoint();
          record.push("cancelling");
          target.cancel();
        })(),
      ])
    );
    assert.deepEqual(record, ["sleeping", "cancelling", "woken"]);
    assert.ok(target.cancelCaught);
    assert.equal(enclosing.cancelCalled, false);
    assert.equal(clock.now(), 0);
  },
);

testUnderEachParent(
  "a plain await in a cancelled scope does not throw; the next checkpoint does",
  async () => {
    // trio: test_run.py::test_cancel_points (main4: a schedule point without
    // a cancel check) (docs/semantics.md #5); rule 2 of docs/rules.md
    const scope = new CancelScope({ name: "plain-await" });
    const record: string[] = [];
    await scope.run(async () => {
      scope.cancel();
      await null;
      await Promise.resolve("foreign");
      record.push("plain awaits passed");
      await checkpoint();
      record.push("unreachable");
    });
    assert.deepEqual(record, ["plain awaits passed"]);
    assert.ok(scope.cancelCaught);
  },
);

// ---------------------------------------------------------------------------
// Rule 5: reasons
// ---------------------------------------------------------------------------

testUnderEachParent(
  "rule 5: Cancelled carries the reason and the source",
  async (clock) => {
    // trio: test_cancelled.py::test_cancel_reason; anyio:
    // test_taskgroups.py::test_cancel_reason (docs/semantics.md #14)
    const scope = new CancelScope({ name: "reasoned" });
    await scope.run(async () => {
      scope.cancel("hello");
      const cancelled = await assertCancelled(checkpoint());
      assert.equal(cancelled, scope.reason);
      assert.equal(cancelled.reason, "hello");
      assert.equal(cancelled.source, "explicit");
      assert.equal(
        cancelled.message,
        'Scope "reasoned" was cancelled explicitly: hello',
      );
      throw cancelled;
    });

    const timed = new CancelScope({ name: "timed", timeout: 10 });
    await timed.run(async () => {
      clock.advance(10);
      const cancelled = await assertCancelled(checkpoint());
      assert.equal(cancelled.source, "deadline");
      assert.equal(cancelled.reason, undefined);
      assert.equal(
        cancelled.message,
        'Scope "timed" was cancelled by its deadline',
      );
      throw cancelled;
    });
    assert.ok(timed.cancelCaught);

    // The group source is set by @corral/taskgroup through the internals.
    const grouped = new CancelScope({ name: "group" });
    const failure = new Error("child failed");
    await grouped.run(async () => {
      internals.cancelWithSource(grouped, "group", failure);
      const cancelled = await assertCancelled(checkpoint());
      assert.equal(cancelled.source, "group");
      assert.equal(cancelled.reason, failure);
      assert.match(
        cancelled.message,
        /by its task group: Error: child failed$/,
      );
      throw cancelled;
    });
    assert.ok(grouped.cancelCaught);
  },
);

testUnderEachParent(
  "rule 5: the first cause of cancellation wins",
  async (clock) => {
    // trio: test_cancelled.py::test_cancel_reason_not_overwritten,
    // ::test_cancel_reason_not_overwritten_2; anyio docs cancellation.rst
    // (docs/semantics.md #15)
    const explicitFirst = new CancelScope({ name: "explicit-first" });
    await explicitFirst.run(async () => {
      explicitFirst.cancel("first");
      assert.equal((await assertCancelled(checkpoint())).source, "explicit");
      explicitFirst.deadline = clock.now();
      const cancelled = await assertCancelled(checkpoint());
      assert.equal(cancelled.source, "explicit");
      assert.equal(cancelled.reason, "first");
      explicitFirst.cancel("second");
      assert.equal((await assertCancelled(checkpoint())).reason, "first");
    });

    const deadlineFirst = new CancelScope({ name: "deadline-first" });
    await deadlineFirst.run(async () => {
      deadlineFirst.deadline = clock.now();
      assert.equal((await assertCancelled(checkpoint())).source, "deadline");
      deadlineFirst.cancel("too late");
      const cancelled = await assertCancelled(checkpoint());
      assert.equal(cancelled.source, "deadline");
      assert.equal(cancelled.reason, undefined);
    });
  },
);

testUnderEachParent(
  "rule 5: a nested scope cancelled through its parent sees the parent's reason",
  async () => {
    // trio: test_cancelled.py::test_nested_child_source; _run.py
    // CancelStatus.recalculate (docs/semantics.md #15)
    const outer = new CancelScope({ name: "outer" });
    const middle = new CancelScope({ name: "middle" });
    const inner = new CancelScope({ name: "inner" });
    await outer.run(() =>
      middle.run(() =>
        inner.run(async () => {
          outer.cancel("shutting down");
          assert.equal(middle.reason, outer.reason);
          assert.equal(inner.reason, outer.reason);
          const cancelled = await assertCancelled(checkpoint());
          assert.equal(cancelled, outer.reason);
          assert.equal(cancelled.reason, "shutting down");
          // The inner scope's own cancel comes second: the parent's stays.
          inner.cancel("own");
          assert.equal(await assertCancelled(checkpoint()), outer.reason);
          assert.equal(inner.signal.reason, outer.reason);
          throw cancelled;
        })
      )
    );
    assert.ok(outer.cancelCaught);
  },
);

testUnderEachParent(
  "rule 5: a scope that was cancelled first keeps its own reason when the parent is cancelled",
  async () => {
    const outer = new CancelScope({ name: "outer" });
    const inner = new CancelScope({ name: "inner" });
    await outer.run(() =>
      inner.run(async () => {
        inner.cancel("inner first");
        outer.cancel("outer second");
        const cancelled = await assertCancelled(checkpoint());
        assert.equal(cancelled.reason, "inner first");
        throw cancelled;
      })
    );
    // The outer scope owns it (rule 3) even though the inner reason is shown.
    assert.ok(outer.cancelCaught);
    assert.equal(inner.cancelCaught, false);
  },
);

// ---------------------------------------------------------------------------
// Rule 8: entered only by run(callback), once
// ---------------------------------------------------------------------------

Deno.test("rule 8: CancelScope.run() throws when run twice", async () => {
  // trio: test_run.py::test_cancel_unbound ("Can't reuse"); cpython:
  // test_timeouts.py::test_timeout_double_enter (docs/semantics.md #9, #41)
  const scope = new CancelScope({ name: "fetch-user" });
  await scope.run(() => {
    scope.cancel();
    return checkpoint();
  });
  const before = String(scope);
  let called = false;
  assert.throws(
    () => scope.run(() => called = true),
    (error: Error) =>
      error.constructor === Error &&
      /^Cannot run scope "fetch-user": it already ran; create a new CancelScope for each run$/
        .test(error.message),
  );
  assert.equal(called, false);
  assert.equal(String(scope), before);
  assert.ok(scope.cancelCaught);

  const unnamed = new CancelScope();
  await unnamed.run(() => {});
  assert.throws(
    () => unnamed.run(() => {}),
    /^Error: Cannot run scope: it already ran/,
  );
});

Deno.test(
  "rule 8: CancelScope.run() throws when run while it is running",
  async () => {
    // trio: test_run.py::test_cancel_unbound ("Can't reenter", multiple
    // tasks); cpython: test_timeouts.py::test_timeout_already_entered
    // (docs/semantics.md #9, #41)
    const clock = new MockClock();
    await clock.run(async () => {
      const scope = new CancelScope({ name: "busy" });
      const record: string[] = [];
      await scope.run(async () => {
        assert.throws(
          () => scope.run(() => record.push("nested")),
          /^Error: Cannot run scope "busy": it is already running; create a new CancelScope for each run$/,
        );
        // From another task while this one is inside.
        await Promise.all([
          sleep(10).then(() => record.push("still running")),
          (async () => {
            await checkpoint();
            assert.throws(() => scope.run(() => record.push("other task")), {
              message: /is already running/,
            });
            clock.advance(10);
          })(),
        ]);
      });
      assert.deepEqual(record, ["still running"]);
      assert.equal(scope.cancelCalled, false, "nothing running was disturbed");
    });
  },
);

Deno.test(
  "rule 8: CancelScope.run() throws for a generator function and starts nothing",
  async () => {
    let started = false;
    function* generatorCallback() {
      started = true;
      yield 1;
    }
    async function* asyncGeneratorCallback() {
      started = true;
      yield 1;
    }
    for (const fn of [generatorCallback, asyncGeneratorCallback]) {
      const scope = new CancelScope({ name: "gen" });
      assert.throws(
        // deno-lint-ignore no-explicit-any
        () => scope.run(fn as any),
        (error: Error) =>
          error instanceof TypeError &&
          new RegExp(
            `^Cannot run scope "gen": 'fn' must not be a generator function: current value is ${fn.name}$`,
          ).test(error.message),
      );
      assert.equal(started, false);
      assert.equal(String(scope), 'CancelScope "gen" (idle)');
      assert.equal(await scope.run(() => "still usable"), "still usable");
    }
  },
);

Deno.test(
  "rule 8: CancelScope.run() rejects a callback that returns a generator",
  async () => {
    let started = false;
    function* body() {
      started = true;
      yield 1;
    }
    async function* asyncBody() {
      started = true;
      yield 1;
    }
    const callbacks = [
      () => body(),
      () => asyncBody(),
      // An async callback that resolves to a generator is refused too.
      async () => {
        await checkpoint();
        return body();
      },
    ];
    for (const fn of callbacks) {
      const scope = new CancelScope({ name: "sneaky" });
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        scope.run(fn as any),
        (error: Error) =>
          error instanceof TypeError &&
          /^Cannot run scope "sneaky": the callback returned a generator; scopes take plain or async functions, so that no yield can suspend inside a scope$/
            .test(error.message),
      );
      assert.equal(started, false, "the generator's body never ran");
      assert.equal(currentScope(), undefined);
      assert.equal(internals.stateOf(scope), "exited");
    }
  },
);

Deno.test(
  "CancelScope.run() throws for a callback that is not a function",
  () => {
    // docs/rules.md "Bad input": run of a non-function is a TypeError.
    const bad: unknown[] = [undefined, null, 42, "fn", {}, [], Symbol.iterator];
    for (const value of bad) {
      const scope = new CancelScope({ name: "bad" });
      assert.throws(
        // deno-lint-ignore no-explicit-any
        () => scope.run(value as any),
        (error: Error) =>
          error instanceof TypeError &&
          /^Cannot run scope "bad": 'fn' must be a function: current value is /
            .test(error.message),
        `run(${String(value)})`,
      );
      assert.equal(internals.stateOf(scope), "idle");
    }
  },
);

// ---------------------------------------------------------------------------
// Bad options
// ---------------------------------------------------------------------------

Deno.test("CancelScope() throws for bad options", async () => {
  // trio: test_run.py::test_cancel_scope_validation (docs/semantics.md #16);
  // docs/rules.md "Bad input"
  const cases: [unknown, ErrorConstructor, RegExp][] = [
    [
      { timeout: NaN },
      RangeError,
      /^Cannot create scope: 'timeout' must be a non-negative number: current value is NaN$/,
    ],
    [
      { timeout: -1 },
      RangeError,
      /^Cannot create scope: 'timeout' must be a non-negative number: current value is -1$/,
    ],
    [
      { timeout: -Infinity },
      RangeError,
      /'timeout' must be a non-negative number: current value is -Infinity$/,
    ],
    [
      { timeout: "5" },
      TypeError,
      /^Cannot create scope: 'timeout' must be a number: current value is 5$/,
    ],
    [
      { deadline: NaN },
      RangeError,
      /^Cannot create scope: 'deadline' must not be NaN: current value is NaN$/,
    ],
    [
      { deadline: "soon" },
      TypeError,
      /^Cannot create scope: 'deadline' must be a number: current value is soon$/,
    ],
    [
      { deadline: 10, timeout: 5 },
      TypeError,
      /^Cannot create scope: 'deadline' and 'timeout' cannot be given together: current values are 10 and 5$/,
    ],
    [
      { shield: 1 },
      TypeError,
      /^Cannot create scope: 'shield' must be a boolean: current value is 1$/,
    ],
    [
      { shield: "true" },
      TypeError,
      /'shield' must be a boolean: current value is true$/,
    ],
    [
      { shield: null },
      TypeError,
      /'shield' must be a boolean: current value is null$/,
    ],
  ];
  // Nothing already running is disturbed by a bad constructor call.
  const running = new CancelScope({ name: "running" });
  await running.run(async () => {
    for (const [options, errorClass, message] of cases) {
      assert.throws(
        // deno-lint-ignore no-explicit-any
        () => new CancelScope(options as any),
        (error: Error) =>
          error.constructor === errorClass && message.test(error.message),
        JSON.stringify(options),
      );
    }
    await checkpoint();
  });
  assert.equal(running.cancelCalled, false);
  // Valid edge values are accepted.
  assert.equal(new CancelScope({ deadline: -Infinity }).deadline, -Infinity);
  assert.equal(new CancelScope({ timeout: 0 }).deadline, Infinity);
  assert.equal(new CancelScope({ timeout: Infinity }).deadline, Infinity);
});

Deno.test("CancelScope setters throw for bad values and keep the old one", async () => {
  // trio: test_run.py::test_cancel_shielding (shield must be a bool)
  // (docs/semantics.md #44)
  const clock = new MockClock();
  await clock.run(async () => {
    const scope = new CancelScope({ name: "s", deadline: 100 });
    for (const target of ["idle", "active"]) {
      const check = () => {
        for (const bad of [1, "true", null, undefined, {}]) {
          assert.throws(
            // deno-lint-ignore no-explicit-any
            () => scope.shield = bad as any,
            (error: Error) =>
              error instanceof TypeError &&
              new RegExp(
                `^Cannot set shield of scope "s": 'shield' must be a boolean: current value is ${
                  String(bad).replace(/[[\]]/g, "\\$&")
                }$`,
              ).test(error.message),
          );
          assert.equal(scope.shield, false);
        }
        assert.throws(
          () => scope.deadline = NaN,
          (error: Error) =>
            error instanceof RangeError &&
            /^Cannot set deadline of scope "s": 'deadline' must not be NaN: current value is NaN$/
              .test(error.message),
        );
        assert.equal(scope.deadline, 100);
      };
      if (target === "idle") check();
      else {
        await scope.run(async () => {
          check();
          await checkpoint();
        });
      }
    }
    assert.equal(scope.cancelCalled, false);
  });
});

// ---------------------------------------------------------------------------
// Group D: nesting and propagation
// ---------------------------------------------------------------------------

testUnderEachParent(
  "a cancel that was never delivered is dropped when the scope exits",
  async () => {
    // trio: test_run.py::test_cancel_scope_nesting (last block); anyio:
    // test_taskgroups.py::test_cancel_scope_cleared,
    // ::test_escaping_cancelled_error_from_cancelled_task (docs/semantics.md #57)
    const scope = new CancelScope({ name: "undelivered" });
    await scope.run(async () => {
      scope.cancel();
      await null; // not a checkpoint
    });
    await checkpoint();
    await sleep(0);
    assert.equal(scope.cancelCaught, false);
    assert.notEqual(currentEffectiveDeadline(), -Infinity);
  },
);

testUnderEachParent(
  "cancelling a scope reaches every scope nested in it at once",
  async () => {
    // trio: test_run.py::test_cancel_inheritance; anyio:
    // test_taskgroups.py::test_cancel_propagation, ::test_cancel_cascade
    // (docs/semantics.md #58)
    const root = new CancelScope({ name: "root" });
    const leaves: CancelScope[] = [];
    const woken: string[] = [];
    async function branch(depth: number, path: string): Promise<void> {
      if (depth === 0) {
        leaves.push(currentScope()!);
        try {
          await sleepForever();
        } finally {
          woken.push(path);
        }
        return;
      }
      await Promise.all(
        [0, 1].map((i) =>
          new CancelScope({ name: `${path}${i}` }).run(() =>
            branch(depth - 1, `${path}${i}`)
          )
        ),
      );
    }
    let started!: () => void;
    const allBlocked = new Promise<void>((resolve) => started = resolve);
    await root.run(() =>
      Promise.all([
        branch(3, ""),
        (async () => {
          await allBlocked;
          for (const leaf of leaves) assert.equal(leaf.signal.aborted, false);
          root.cancel("stop all");
          // Synchronously, before any task ran: every leaf is cancelled.
          for (const leaf of leaves) {
            assert.ok(leaf.signal.aborted);
            assert.equal(leaf.signal.reason, root.reason);
          }
        })(),
        (async () => {
          while (leaves.length < 8) await null;
          started();
        })(),
      ])
    );
    assert.equal(leaves.length, 8);
    assert.equal(woken.length, 8);
    assert.ok(root.cancelCaught);
  },
);

Deno.test(
  "100,000 nested scopes unwind when the outermost is cancelled",
  async () => {
    // trio: test_run.py::test_very_deep_cancel_scope_nesting (docs/semantics.md #65
    // asks 5,000). Each level is entered after `await null`, so entering does
    // not recurse on the JS stack; cancelling walks the tree with a worklist.
    const depth = 100_000;
    const outer = new CancelScope({ name: "outer" });
    const scopes: CancelScope[] = [];
    let unwound = 0;
    let reachedBottom!: () => void;
    const bottom = new Promise<void>((resolve) => reachedBottom = resolve);
    async function nest(level: number): Promise<void> {
      await null;
      if (level === depth) {
        reachedBottom();
        await sleepForever();
        return;
      }
      const scope = new CancelScope();
      scopes.push(scope);
      try {
        await scope.run(() => nest(level + 1));
      } finally {
        unwound++;
      }
    }
    const running = outer.run(() => nest(0));
    await bottom;
    outer.cancel("deep");
    assert.ok(scopes.at(-1)!.signal.aborted);
    assert.equal(scopes.at(-1)!.reason, outer.reason);
    await running;
    assert.equal(unwound, depth);
    assert.ok(outer.cancelCaught);
    assert.ok(
      scopes.every((scope) => !scope.cancelCalled && !scope.cancelCaught),
    );
    assert.equal([...internals.childrenOf(outer)].length, 0);
  },
);

Deno.test("100,000 sibling scopes are cancelled together", async () => {
  const count = 100_000;
  const parent = new CancelScope({ name: "parent" });
  let woken = 0;
  const siblings = Array.from({ length: count }, () => new CancelScope());
  await parent.run(async () => {
    const all = Promise.all(
      siblings.map((scope) =>
        scope.run(async () => {
          try {
            await sleepForever();
          } finally {
            woken++;
          }
        })
      ),
    );
    await checkpoint();
    assert.equal([...internals.childrenOf(parent)].length, count);
    parent.cancel();
    await all;
  });
  assert.equal(woken, count);
  assert.ok(parent.cancelCaught);
  assert.ok(siblings.every((scope) => !scope.cancelCaught));
  assert.equal([...internals.childrenOf(parent)].length, 0);
});

// ---------------------------------------------------------------------------
// Group K: cleanup
// ---------------------------------------------------------------------------

testUnderEachParent(
  "CancelScope.run() lets an error thrown by cleanup replace the Cancelled",
  async () => {
    // cpython: test_taskgroups.py::test_taskgroup_19; trio:
    // test_run.py::test_system_task_crash_plus_Cancelled (docs/semantics.md #138,
    // scope part: the group part is @corral/taskgroup's)
    const scope = new CancelScope({ name: "cleanup" });
    const cleanupError = new Error("cleanup failed");
    await assert.rejects(
      scope.run(async () => {
        scope.cancel();
        try {
          await checkpoint();
        } finally {
          // deno-lint-ignore no-unsafe-finally
          throw cleanupError;
        }
      }),
      (error) => error === cleanupError,
    );
    assert.equal(scope.cancelCaught, false);
  },
);

testUnderEachParent(
  "an exited scope is unlinked from the tree",
  async () => {
    // Stand-in for trio: test_run.py::test_locals_destroyed_promptly_on_cancel,
    // ::test_cancel_scope_exit_doesnt_create_cyclic_garbage (docs/semantics.md #142):
    // nothing in the tree keeps an exited scope alive.
    const parent = currentScope()!;
    const child = new CancelScope({ name: "child" });
    await child.run(async () => {
      assert.deepEqual([...internals.childrenOf(parent)], [child]);
      child.cancel();
      await checkpoint();
    });
    assert.deepEqual([...internals.childrenOf(parent)], []);
    assert.equal(internals.parentOf(child), undefined);

    const root = new CancelScope({ name: "root" });
    await internals.runWithParent(root, undefined, () => {
      assert.ok([...internals.roots()].includes(root));
    });
    assert.equal([...internals.roots()].includes(root), false);
  },
);

Deno.test("CancelScope.run() in code that escaped an exited scope makes a root, not an orphan child", async () => {
  const outer = new CancelScope({ name: "outer" });
  let release!: () => void;
  const outerExited = new Promise<void>((resolve) => release = resolve);
  let escaped: Promise<CancelScope | undefined> | undefined;
  await outer.run(() => {
    // Not awaited: this promise outlives `outer`.
    escaped = (async () => {
      await outerExited;
      const inner = new CancelScope({ name: "inner" });
      return await inner.run(() => internals.parentOf(inner));
    })();
  });
  release();
  assert.equal(await escaped, undefined);
});
