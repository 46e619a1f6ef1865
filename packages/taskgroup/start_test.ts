// Copyright the corral authors. MIT license.
// Tests of TaskGroup.start(): rule 13 of docs/rules.md (the readiness
// handshake) and the ports of docs/semantics.md group H (cases 105-119, D14).
import assert from "node:assert/strict";
import {
  type Cancelled,
  CancelScope,
  checkpoint,
  currentScope,
  moveOnAfter,
  now,
  sleep,
  sleepForever,
} from "@corral/scope";
import { parentOf } from "@corral/scope/plumbing";
import {
  type StartFunction,
  type TaskGroup,
  taskGroup,
  TaskGroupError,
} from "./mod.ts";
import {
  assertCancelled,
  groupError,
  onClock,
  rejection,
  settle,
} from "./_test_helpers.ts";

/** Trio's `sleep_then_start`: sleeps, calls started(ms), sleeps again. */
function sleepThenStart(ms: number): StartFunction<number> {
  return async (started) => {
    await sleep(ms);
    started(ms);
    await sleep(ms);
  };
}

Deno.test("rule 13: start() resolves with the value passed to started(); the group then waits for the task", async () => {
  // trio: test_run.py::test_nursery_start (happy path); anyio:
  // ::test_start_with_value (docs/semantics.md #105, #153)
  await onClock(async (clock) => {
    for (const ms of [10, 20]) {
      const t0 = clock.now();
      await taskGroup(async (group) => {
        assert.equal(group.size, 0);
        assert.equal(await group.start(sleepThenStart(ms)), ms);
        assert.equal(clock.now() - t0, ms, "start() returns at started()");
        assert.equal(group.size, 1, "the task now belongs to the group");
      });
      assert.equal(clock.now() - t0, 2 * ms, "the group waited for it");
    }
  });
});

Deno.test("rule 13: started() with no value makes start() resolve with undefined", async () => {
  // anyio: ::test_start_no_value (docs/semantics.md #105)
  await onClock(async () => {
    await taskGroup(async (group) => {
      const value = await group.start(async (started) => {
        await sleep(1);
        started();
      });
      assert.equal(value, undefined);
    });
  });
});

Deno.test("rule 13: a start function can be called directly with a no-op started", async () => {
  // trio: test_run.py::test_nursery_start (TASK_STATUS_IGNORED) (docs/semantics.md #116)
  await onClock(async (clock) => {
    await new CancelScope().run((scope) => sleepThenStart(30)(() => {}, scope));
    assert.equal(clock.now(), 60);
  });
});

Deno.test("rule 13: a second started() throws an Error, and the group still completes normally", async () => {
  // trio: test_run.py::test_nursery_start (double_started); anyio:
  // ::test_start_called_twice (docs/semantics.md #106)
  await onClock(async () => {
    let second: unknown;
    const value = await taskGroup(async (group) => {
      const sibling = group.spawn(async () => {
        await sleep(10);
        return "sibling ok";
      });
      await group.start((started) => {
        started();
        try {
          started();
        } catch (error) {
          second = error;
        }
      }, { name: "twice" });
      return await sibling.result;
    });
    assert.equal(value, "sibling ok");
    assert.ok(second instanceof Error);
    assert.match(
      (second as Error).message,
      /^Cannot call started\(\) of task "twice" twice$/,
    );

    // Not caught, it is a failure of the task like any other (it happened
    // after the first started(), so it goes to the group).
    const error = await groupError(
      taskGroup((group) =>
        group.start<number>(async (started) => {
          started(1);
          await checkpoint();
          started(2);
        })
      ),
    );
    assert.equal(error.errors.length, 1);
    assert.match((error.errors[0] as Error).message, /started\(\) .*twice/);
  });
});

Deno.test("rule 13: an error before started() rejects start() itself, unwrapped, and does not fail the group", async () => {
  // trio: test_run.py::test_nursery_start (raise_keyerror),
  // ::test_trio_run_strict_before_started (#2611, #2844),
  // ::test_start_exception_preserves_cause_and_context (#3261); anyio:
  // ::test_start_crash_before_started_call (docs/semantics.md #107)
  await onClock(async (clock) => {
    const cause = new Error("root cause");
    const oops = new RangeError("oops", { cause });
    let fromStart: unknown;
    const value = await taskGroup(async (group) => {
      const sibling = group.spawn(async () => {
        await sleep(20);
        return "sibling";
      });
      fromStart = await rejection(group.start(async () => {
        await sleep(5);
        throw oops;
      }));
      assert.equal(group.scope.cancelCalled, false, "the group goes on");
      await sleep(1);
      return await sibling.result;
    });
    assert.equal(fromStart, oops, "the error itself, not a TaskGroupError");
    assert.equal((fromStart as Error).cause, cause);
    assert.equal(value, "sibling");
    assert.equal(clock.now(), 20);

    for (const thrown of ["text", null, undefined]) {
      const result = await taskGroup(async (group) => {
        const error = await rejection(group.start(() => {
          throw thrown;
        }));
        assert.equal(error, thrown);
        return "group fine";
      });
      assert.equal(result, "group fine");
    }
  });
});

Deno.test("rule 13: an error after started() fails the group, not start()", async () => {
  // anyio: ::test_start_crash_after_started_call (docs/semantics.md #108)
  await onClock(async () => {
    const late = new Error("after started");
    let startValue: unknown;
    let bodySaw: unknown;
    const error = await groupError(taskGroup(async (group) => {
      startValue = await group.start<string>(async (started) => {
        started("ready");
        await sleep(5);
        throw late;
      }, { name: "service" });
      bodySaw = await rejection(sleepForever());
      throw bodySaw;
    }));
    assert.equal(startValue, "ready");
    assert.deepEqual(error.errors, [late]);
    assertCancelled(bodySaw, "group");
    assert.match(
      String(bodySaw.reason),
      /^task "service" failed: Error: after started$/,
    );
  });
});

Deno.test("rule 13: returning without started() rejects start() with an Error naming the task", async () => {
  // trio: test_run.py::test_nursery_start (nothing); anyio:
  // ::test_start_no_started_call (docs/semantics.md #109)
  await onClock(async () => {
    const value = await taskGroup(async (group) => {
      const error = await rejection(group.start(async () => {
        await sleep(1);
      }, { name: "lazy" }));
      assert.ok(error instanceof Error);
      assert.equal(error.constructor, Error);
      assert.match(
        error.message,
        /^Task "lazy" returned without calling started\(\); call started\(value\) once it is ready$/,
      );
      assert.equal(group.scope.cancelCalled, false);
      return "group fine";
    });
    assert.equal(value, "group fine");
  });
});

Deno.test("rule 13: cancelling the caller of start() before started() cancels the child, not the group", async () => {
  // trio: test_run.py::test_nursery_start (just_started); anyio:
  // ::test_start_cancels_parent_scope (#685, #710) (docs/semantics.md #110)
  await onClock(async (clock) => {
    let childRan = false;
    let childSaw: unknown;
    let groupScope: CancelScope | undefined;
    await taskGroup(async (group) => {
      groupScope = group.scope;
      const cs = new CancelScope({ name: "caller" });
      await cs.run(async () => {
        cs.cancel();
        const error = await rejection(group.start(async (started) => {
          childRan = true;
          started("hi"); // a no-op: the caller is cancelled
          try {
            await checkpoint();
          } catch (error) {
            childSaw = error;
            throw error;
          }
        }));
        assertCancelled(error, "explicit");
        throw error;
      });
      assert.ok(cs.cancelCaught, "the caller's scope absorbed it");

      // The same with a deadline: the child never gets to started().
      const timed = await moveOnAfter(5, () =>
        group.start(async (started) => {
          await sleep(10);
          started();
        }));
      assert.equal(timed, undefined);
      assert.equal(clock.now(), 5);
    });
    assert.ok(childRan);
    assertCancelled(childSaw, "explicit");
    assert.equal(
      groupScope!.cancelCalled,
      false,
      "the group was not cancelled",
    );
  });
});

Deno.test("rule 13: start() in a cancelled scope, child calls started() and returns without a checkpoint: start() returns", async () => {
  // trio: test_run.py::test_nursery_start (started_with_no_checkpoint) (docs/semantics.md #111)
  await taskGroup(async (group) => {
    const cs = new CancelScope();
    const value = await cs.run(async () => {
      cs.cancel();
      return await group.start<string>((started) => started("value"));
    });
    assert.equal(value, "value");
    assert.equal(cs.cancelCaught, false);
  });
});

Deno.test("rule 13: start() in a cancelled scope, child calls started() then throws: the error comes out of start()", async () => {
  // trio: test_run.py::test_nursery_start (raise_keyerror_after_started) (docs/semantics.md #112)
  const whoops = new Error("whoopsiedaisy");
  const value = await taskGroup(async (group) => {
    const cs = new CancelScope();
    const error = await cs.run(() => {
      cs.cancel();
      return rejection(group.start((started) => {
        started();
        throw whoops;
      }));
    });
    assert.equal(error, whoops);
    return "group not failed";
  });
  assert.equal(value, "group not failed");
});

Deno.test("rule 13: after started() the caller's cancellation no longer reaches the task", async () => {
  // anyio: ::test_start_cancels_parent_scope; trio _TaskStatus.started (reparent)
  await onClock(async (clock) => {
    const log: string[] = [];
    await taskGroup(async (group) => {
      await moveOnAfter(10, async () => {
        await group.start(async (started) => {
          await sleep(5);
          started();
          await sleep(45);
          log.push(`task finished at ${clock.now()}`);
        });
        await sleepForever();
      });
      log.push(`caller timed out at ${clock.now()}`);
    });
    assert.deepEqual(log, ["caller timed out at 10", "task finished at 50"]);
  });
});

Deno.test("rule 13: before started() the task's scope is under the caller's scope, after it under the group's", async () => {
  // anyio: ::test_start_parent_id; trio: test_run.py::test_task_tree_introspection
  // (docs/semantics.md #115)
  await onClock(async () => {
    const parents: (CancelScope | undefined)[] = [];
    let callerScope: CancelScope | undefined;
    let group_: TaskGroup | undefined;
    await taskGroup(async (group) => {
      group_ = group;
      await new CancelScope({ name: "caller" }).run(async (caller) => {
        callerScope = caller;
        await group.start(async (started, scope) => {
          assert.equal(currentScope(), scope);
          parents.push(parentOf(scope));
          await sleep(1);
          started();
          parents.push(parentOf(scope));
          await sleep(1);
          parents.push(parentOf(scope));
        });
      });
    });
    assert.deepEqual(parents, [callerScope, group_!.scope, group_!.scope]);
  });
});

Deno.test("rule 13: a pending start() keeps the group open until the task is ready, then waits for it", async () => {
  // trio: test_run.py::test_nursery_start_keeps_nursery_open (docs/semantics.md #113, #153)
  await onClock(async (clock) => {
    const sleepABit: StartFunction<undefined> = async (started) => {
      await sleep(20);
      started();
      await sleep(30);
    };
    await taskGroup(async (group1) => {
      const t0 = clock.now();
      await taskGroup(async (group2) => {
        group1.spawn(() => group2.start(sleepABit));
        await sleep(10);
        group1.spawn(() => group2.start(sleepABit));
        // Only the pending starts keep group2 open now.
      });
      assert.equal(clock.now() - t0, 60);
    });

    // The task the group waits for crashes before started(): the error goes
    // to the start() caller and the group closes.
    const crash = new Error("crash");
    await taskGroup(async (group1) => {
      const t0 = clock.now();
      let caught: unknown;
      await taskGroup((group2) => {
        group1.spawn(async () => {
          caught = await rejection(group2.start(async () => {
            await sleep(70);
            throw crash;
          }));
        });
      });
      assert.equal(clock.now() - t0, 70);
      await sleep(0);
      assert.equal(caught, crash);
    });
  });
});

Deno.test("rule 13: the target group cancelled just before or just after started() aborts the moved task promptly", async () => {
  // trio: test_run.py::test_nursery_start_with_cancelled_nursery (docs/semantics.md #114)
  await onClock(async (clock) => {
    const setupGroup: StartFunction<TaskGroup> = (started) =>
      taskGroup(async (group) => {
        started(group);
        await sleepForever();
      });
    const sleepingChildren =
      (fn: () => void): StartFunction<undefined> => (started) =>
        taskGroup(async (group) => {
          group.spawn(sleepForever);
          group.spawn(sleepForever);
          await sleep(5);
          fn();
          started();
        });

    // Cancelling the target just before started().
    await taskGroup(async (group) => {
      const target = await group.start(setupGroup);
      await target.start(sleepingChildren(() => target.cancel()));
    });
    assert.equal(clock.now(), 5);

    // Cancelling it just after.
    await taskGroup(async (group) => {
      const target = await group.start(setupGroup);
      await target.start(sleepingChildren(() => {}));
      target.cancel();
    });
    assert.equal(clock.now(), 10);
  });
});

Deno.test("rule 13: an error in a group whose body awaits another group's start() cancels the pending start", async () => {
  // anyio: ::test_start_cancel_after_error (#517) (docs/semantics.md #117)
  await onClock(async (clock) => {
    const boom = new Error("inner failed");
    let completed = false;
    const outerError = await groupError(taskGroup(async (outer) => {
      await taskGroup(async (inner) => {
        inner.spawn(async () => {
          await sleep(5);
          throw boom;
        });
        await outer.start(async (started) => {
          await sleep(100);
          completed = true;
          started();
        });
      }, { name: "inner" });
    }, { name: "outer" }));
    assert.equal(completed, false, "the pending start was cancelled");
    assert.equal(outerError.errors.length, 1);
    const inner = outerError.errors[0];
    assert.ok(inner instanceof TaskGroupError, "kept nested");
    assert.deepEqual(inner.errors, [boom]);
    assert.equal(clock.now(), 5);
  });
});

Deno.test("rule 13: a group cancelled while a start() is pending gives no 'started twice' error", async () => {
  // anyio: ::test_no_called_started_twice (#706) (docs/semantics.md #119)
  await taskGroup(async (group) => {
    const pending = group.start((started) => started());
    group.cancel();
    assert.equal(await pending, undefined);
  });
  await taskGroup(async (group) => {
    group.cancel();
    assert.equal(await group.start<number>((started) => started(3)), 3);
  });
  await onClock(async () => {
    const value = await taskGroup(async (group) => {
      const pending = group.start<string>(async (started) => {
        await sleep(5).catch(() => {});
        started("late");
      });
      group.cancel();
      return await settle(pending);
    });
    // started() comes after cancel(): the caller (the body, in the group's
    // scope) is cancelled, so the task stays with the caller (Trio's no-op
    // started) and start() resolves with the value when the task ends.
    assert.deepEqual(value, { ok: true, value: "late" });
  });
});

Deno.test("rule 13: start() into a finished group throws at once without running the task", async () => {
  // trio: test_run.py::test_nursery_start (closed nursery); anyio:
  // ::test_start_already_closed (docs/semantics.md #101)
  await onClock(async (clock) => {
    let closed: TaskGroup | undefined;
    await taskGroup((group) => {
      closed = group;
    }, { name: "closed" });
    let ran = false;
    assert.throws(
      () =>
        closed!.start(async (started) => {
          ran = true;
          await sleep(70);
          started();
        }, { name: "late" }),
      /^Error: Cannot start task "late" in task group "closed": the group has finished/,
    );
    assert.equal(ran, false);
    assert.equal(clock.now(), 0);
  });
});

Deno.test("rule 13: start() from another group into a cancelled group: the moved task is cancelled at its next checkpoint", async () => {
  // Rule 12 meets rule 13: the caller is not cancelled, the target is.
  await onClock(async () => {
    const log: string[] = [];
    await taskGroup(async (other) => {
      let target: TaskGroup | undefined;
      other.spawn(() =>
        taskGroup(async (group) => {
          target = group;
          await sleepForever();
        })
      );
      await sleep(1);
      target!.cancel();
      const value = await target!.start<string>(async (started) => {
        await sleep(1); // still under the caller: not cancelled
        started("moved");
        try {
          await checkpoint();
          log.push("never");
        } catch (error) {
          log.push(`moved task saw ${(error as Cancelled).name}`);
          throw error;
        }
      });
      assert.equal(value, "moved");
    });
    assert.deepEqual(log, ["moved task saw Cancelled"]);
  });
});

Deno.test("rule 13: start() returns at the virtual time of started(), with now() of the task's clock", async () => {
  // trio: test_run.py::test_nursery_start (docs/semantics.md #153)
  await onClock(async () => {
    await taskGroup(async (group) => {
      const at = await group.start<number>(async (started) => {
        await sleep(123);
        started(now());
      });
      assert.equal(at, 123);
      assert.equal(now(), 123);
    });
  });
});

Deno.test("rule 13: a late started(), after the task returned or failed, throws instead of being silently accepted (Trio raises too)", async () => {
  // trio: _TaskStatus.started after the task ended; a task that leaks its
  // `started` into a callback that fires later must be told.
  await onClock(async () => {
    for (const ending of ["returned", "failed"] as const) {
      let leaked!: (value?: string) => void;
      await taskGroup(async (group) => {
        const outcome = await rejection(group.start<string>((started) => {
          leaked = started;
          if (ending === "failed") throw new Error("failed before started");
        }, { name: "leaky" }));
        assert.ok(outcome instanceof Error);
        assert.throws(
          () => leaked("too late"),
          /^Error: Cannot call started\(\) of task "leaky": the task has already ended; call started\(\) from inside the task, before it returns$/,
        );
      });
    }
    // After a task that did call started() ends, a second call is a late one.
    let leaked!: (value?: string) => void;
    await taskGroup(async (group) => {
      await group.start<string>((started) => {
        leaked = started;
        started("ready");
      });
      await checkpoint();
    });
    assert.throws(() => leaked("again"), /already ended/);
  });
});
