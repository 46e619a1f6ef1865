// Copyright the corral authors. MIT license.
// Tests of shielding: rule 7 of docs/rules.md and docs/semantics.md group C.
import assert from "node:assert/strict";
import { CancelScope, currentScope } from "./cancel_scope.ts";
import {
  checkpoint,
  currentEffectiveDeadline,
  sleep,
  sleepForever,
} from "./checkpoint.ts";
import { failAfter, moveOnAfter, shielded } from "./timeouts.ts";
import { TimeoutError } from "./cancelled.ts";
import { assertCancelled, testUnderEachParent } from "./_test_parents.ts";

testUnderEachParent(
  "rule 7: a shielded scope ignores its ancestors' cancellation, never its own or that of scopes inside it",
  async () => {
    // trio: test_run.py::test_cancel_shielding (docs/semantics.md #44, #45)
    const outer = new CancelScope({ name: "outer" });
    const inner = new CancelScope({ name: "inner" });
    await outer.run(() =>
      inner.run(async () => {
        await checkpoint();
        outer.cancel();
        await assertCancelled(checkpoint());

        assert.equal(inner.shield, false);
        // deno-lint-ignore no-explicit-any
        assert.throws(() => inner.shield = "hello" as any, TypeError);
        assert.equal(inner.shield, false);

        inner.shield = true;
        assert.equal(inner.shield, true);
        await checkpoint(); // the shield protects us from `outer`

        const innermost = new CancelScope({ name: "innermost" });
        await innermost.run(async () => {
          innermost.cancel();
          // but not from a scope inside `inner`
          await assertCancelled(checkpoint());
          await checkpoint().catch((error) => {
            throw error;
          });
        });
        assert.ok(innermost.cancelCaught);
        await checkpoint();

        inner.shield = false; // the shield can be lowered again
        await assertCancelled(checkpoint());

        inner.shield = true; // and raised again
        await checkpoint();
        inner.cancel(); // the shield does not protect us from `inner` itself
        await checkpoint(); // throws, absorbed by `inner`
        assert.fail("unreachable");
      })
    );
    assert.ok(inner.cancelCaught);
    assert.equal(outer.cancelCaught, false);
  },
);

testUnderEachParent(
  "a shielded scope's own cancel() interrupts it, from inside or from another task",
  async (clock) => {
    // anyio: test_taskgroups.py::test_cancel_shielded_scope,
    // ::test_shielding_immediate_scope_cancelled (docs/semantics.md #45)
    const scope = new CancelScope({ name: "self", shield: true });
    await scope.run(async () => {
      assert.equal(currentEffectiveDeadline(), Infinity);
      scope.cancel();
      await assertCancelled(sleep(0));
      await assertCancelled(sleep(0));
    });

    const other = new CancelScope({ name: "other", shield: true });
    let sleepCompleted = false;
    await Promise.all([
      other.run(async () => {
        await sleep(500);
        sleepCompleted = true;
      }),
      (async () => {
        await checkpoint();
        other.cancel();
      })(),
    ]);
    assert.equal(sleepCompleted, false);
    assert.ok(other.cancelCaught);
    assert.equal(clock.now(), 0);
  },
);

testUnderEachParent(
  "rule 7: a shield set before run() is honoured from entry",
  async () => {
    // trio: test_run.py::test_cancel_unbound ("Shield before entry")
    // (docs/semantics.md #46)
    const scope = new CancelScope({ name: "early" });
    scope.shield = true;
    const outer = new CancelScope({ name: "outer" });
    await outer.run(() =>
      scope.run(async () => {
        outer.cancel();
        await checkpoint();
        scope.shield = false;
        await assertCancelled(checkpoint());
        await checkpoint();
      })
    );
    assert.ok(outer.cancelCaught);

    // Given to the constructor, and entered inside an already cancelled scope.
    const cancelled = new CancelScope({ name: "cancelled" });
    cancelled.cancel();
    await cancelled.run(async () => {
      await new CancelScope({ shield: true }).run(() => checkpoint());
      await checkpoint();
    });
    assert.ok(cancelled.cancelCaught);
  },
);

testUnderEachParent(
  "rule 7: lowering a shield wakes a task blocked inside it at once",
  async (clock) => {
    // trio: test_run.py::test_cancel_shield_abort (docs/semantics.md #47)
    const outer = new CancelScope({ name: "outer" });
    const group = new CancelScope({ name: "group-like" });
    const record: string[] = [];
    await outer.run(() =>
      group.run(async () => {
        outer.cancel();
        group.shield = true;
        // The outer scope is cancelled, but the shield lets the task sleep.
        const sleeper = (async () => {
          record.push("sleeping");
          try {
            await sleepForever();
          } catch (error) {
            record.push("cancelled");
            throw error;
          }
        })();
        await new CancelScope({ shield: true }).run(() => checkpoint());
        assert.deepEqual(record, ["sleeping"]);
        group.shield = false; // now the sleep is aborted
        await assertCancelled(sleeper);
        assert.deepEqual(record, ["sleeping", "cancelled"]);
        assert.equal(clock.now(), 0);
        await checkpoint();
      })
    );
    assert.ok(outer.cancelCaught);
    assert.equal(group.cancelCaught, false);
  },
);

testUnderEachParent(
  "rule 7: raising a shield while the outer Cancelled propagates does not make the inner scope its owner",
  async () => {
    // trio: test_run.py::test_unshield_while_cancel_propagating, trio #1175
    // (docs/semantics.md #48)
    const outer = new CancelScope({ name: "outer" });
    const inner = new CancelScope({ name: "inner" });
    await outer.run(() =>
      inner.run(async () => {
        outer.cancel();
        try {
          await checkpoint();
        } finally {
          inner.shield = true;
        }
      })
    );
    assert.ok(outer.cancelCaught);
    assert.equal(inner.cancelCaught, false);
  },
);

testUnderEachParent(
  "rule 7: inside a shield nothing is pending; after it the cancellation is back",
  async () => {
    // anyio: test_taskgroups.py::test_cancel_from_shielded_scope,
    // ::test_shielded_cleanup_after_cancel (#832) (docs/semantics.md #49)
    const outer = new CancelScope({ name: "outer" });
    await outer.run(async () => {
      await new CancelScope({ shield: true }).run(async (inner) => {
        assert.ok(inner.shield);
        outer.cancel();
        assert.equal(currentEffectiveDeadline(), Infinity);
        await checkpoint();
        await sleep(0);
      });
      assert.equal(currentEffectiveDeadline(), -Infinity);
      await assertCancelled(sleep(10));
      await assertCancelled(sleep(10));
      await checkpoint();
    });
    assert.ok(outer.cancelCaught);
  },
);

testUnderEachParent(
  "rule 7: shielded cleanup with its own timeout runs until that timeout",
  async (clock) => {
    // trio: test_timeouts.py::test_context_shields_from_outer,
    // ::test_move_on_after_moves_on_even_if_shielded,
    // ::test_fail_after_fails_even_if_shielded; anyio:
    // test_taskgroups.py::test_shielding (docs/semantics.md #50)
    for (const helper of [moveOnAfter, failAfter]) {
      // test_context_shields_from_outer: the shield holds, and lowering it
      // lets the outer cancellation through, as itself (no TimeoutError).
      const outer = new CancelScope({ name: "outer" });
      await outer.run(async () => {
        await helper(100, async (scope) => {
          scope.shield = true; // trio's shield=True argument
          outer.cancel();
          await checkpoint(); // the shield holds
          scope.shield = false;
          await checkpoint();
          assert.fail("unreachable");
        });
        assert.fail("unreachable");
      });
      assert.ok(outer.cancelCaught);
    }
    assert.equal(clock.now(), 0);

    // test_move_on_after_moves_on_even_if_shielded,
    // test_fail_after_fails_even_if_shielded: the shielded helper sleeps
    // until its own deadline, then moves on or fails.
    for (const helper of [moveOnAfter, failAfter]) {
      const outer = new CancelScope({ name: "outer" });
      let inner: CancelScope | undefined;
      const record: string[] = [];
      await outer.run(async () => {
        try {
          await helper(100, async (scope) => {
            inner = scope;
            scope.shield = true;
            outer.cancel();
            await sleepForever();
          });
          record.push("moved on");
        } catch (error) {
          assert.ok(error instanceof TimeoutError);
          record.push("failed");
        }
      });
      assert.deepEqual(record, [
        helper === moveOnAfter ? "moved on" : "failed",
      ]);
      assert.ok(inner!.cancelCaught);
      assert.equal(inner!.reason?.source, "deadline");
    }
    assert.equal(clock.now(), 200);

    // A shielded scope around failAfter, entered in a cancelled scope.
    const outer = new CancelScope({ name: "outer" });
    await outer.run(async () => {
      outer.cancel();
      await assert.rejects(
        new CancelScope({ shield: true }).run(() =>
          failAfter(100, sleepForever)
        ),
        TimeoutError,
      );
    });
    assert.equal(clock.now(), 300);
  },
  { autojump: true },
);

testUnderEachParent(
  "rule 7: a checkpoint after leaving a shield throws and the outermost cancelled scope owns it",
  async () => {
    // anyio: test_taskgroups.py::test_triple_nested_shield_checkpoint_in_outer,
    // ::test_triple_nested_shield_checkpoint_in_middle (#370) (docs/semantics.md #51)
    for (const where of ["middle", "outer"]) {
      const outer = new CancelScope({ name: "outer" });
      const middle = new CancelScope({ name: "middle" });
      const record: string[] = [];
      await outer.run(async () => {
        await middle.run(async () => {
          await new CancelScope({ name: "inner", shield: true }).run(
            async () => {
              outer.cancel();
              middle.cancel();
              await checkpoint();
              record.push("shielded");
            },
          );
          if (where === "middle") {
            await checkpoint();
            record.push("unreachable: middle");
          }
        });
        if (where === "outer") {
          await checkpoint();
          record.push("unreachable: outer");
        }
      });
      assert.deepEqual(record, ["shielded"], where);
      assert.ok(outer.cancelCaught, where);
      assert.equal(middle.cancelCaught, false, where);
    }
  },
);

testUnderEachParent(
  "rule 3: a shield makes the inner cancelled scope the owner",
  async () => {
    // anyio: test_taskgroups.py::test_cancelled_raises_beyond_origin_shielded
    // (docs/semantics.md #52)
    const outer = new CancelScope({ name: "outer" });
    const inner = new CancelScope({ name: "inner", shield: true });
    let codeBetweenScopesRan = false;
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
      codeBetweenScopesRan = true;
    });
    assert.ok(inner.cancelCaught);
    assert.equal(outer.cancelCaught, false);
    assert.ok(codeBetweenScopesRan);
  },
);

testUnderEachParent(
  "rule 7: a Cancelled already delivered still propagates after a shield goes up",
  async () => {
    // trio: test_run.py::test_slow_abort_edge_cases (docs/semantics.md #55): the
    // blocked wait was woken by the outer cancel, then the scope around it is
    // shielded before the woken task runs; the cancellation still arrives.
    const outer = new CancelScope({ name: "outer" });
    const middle = new CancelScope({ name: "middle" });
    await outer.run(() =>
      middle.run(async () => {
        const blocked = sleepForever();
        outer.cancel(); // wakes the blocked wait
        middle.shield = true; // too late for the wait already woken
        const cancelled = await assertCancelled(blocked);
        assert.equal(cancelled, outer.reason);
        await checkpoint(); // the shield holds for new checkpoints
        throw cancelled; // passes `middle`, which is not cancelled
      })
    );
    assert.ok(outer.cancelCaught);
    assert.equal(middle.cancelCaught, false);
  },
);

testUnderEachParent(
  "shielded() runs the callback in a shielded scope",
  async () => {
    const outer = new CancelScope({ name: "outer" });
    const record: string[] = [];
    await outer.run(async () => {
      outer.cancel();
      const value = await shielded(async (scope) => {
        assert.ok(scope.shield);
        assert.equal(currentScope(), scope);
        await sleep(0);
        record.push("cleanup finished");
        return "closed";
      });
      assert.equal(value, "closed");
      await checkpoint();
      record.push("unreachable");
    });
    assert.deepEqual(record, ["cleanup finished"]);
    assert.ok(outer.cancelCaught);
    // Its own cancel still reaches inside.
    assert.equal(
      await shielded(async (scope) => {
        scope.cancel();
        await checkpoint();
      }),
      undefined,
    );
  },
);
