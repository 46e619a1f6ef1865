// Copyright the corral authors. MIT license.
// Tests of taskGroup(): rules 10, 11, 12, 15 and 16 of docs/rules.md, and the
// ports of docs/semantics.md groups E (failures and aggregation), F (cancel),
// G (spawning into cancelling or closed groups) and K (cleanup). start() is
// in start_test.ts, limit in limit_test.ts, context (rule 14) in
// context_test.ts, task handles in task_test.ts.
import assert from "node:assert/strict";
import {
  Cancelled,
  CancelScope,
  checkpoint,
  currentEffectiveDeadline,
  currentScope,
  failAfter,
  moveOnAfter,
  shielded,
  sleep,
  sleepForever,
  TimeoutError,
} from "@corral/scope";
import {
  cancellationOf,
  parentOf,
  pendingDeadlines,
} from "@corral/scope/plumbing";
import { type Task, type TaskGroup, taskGroup, TaskGroupError } from "./mod.ts";
import {
  assertCancelled,
  groupError,
  onClock,
  realDelay,
  rejection,
  settle,
  unhandledRejections,
} from "./_test_helpers.ts";

// ---------------------------------------------------------------------------
// Basics
// ---------------------------------------------------------------------------

Deno.test("taskGroup() returns the body's value after every task finished", async () => {
  // Doc example of TaskGroup; trio reference-core.rst "nurseries".
  await onClock(async (clock) => {
    const log: string[] = [];
    const value = await taskGroup((group) => {
      group.spawn(async () => {
        await sleep(20);
        log.push("slow");
      });
      group.spawn(async () => {
        await sleep(10);
        log.push("fast");
      });
      return "body";
    });
    assert.equal(value, "body");
    assert.deepEqual(log, ["fast", "slow"]);
    assert.equal(clock.now(), 20);
  });
});

Deno.test("taskGroup() gives the body the group: name, scope, size, toString()", async () => {
  await onClock(async () => {
    let seen: TaskGroup | undefined;
    await taskGroup(async (group) => {
      seen = group;
      assert.equal(group.name, "workers");
      assert.ok(group.scope instanceof CancelScope);
      assert.equal(currentScope(), group.scope, "the body runs in the scope");
      assert.equal(group.scope.name, "workers");
      assert.equal(group.size, 0);
      assert.equal(String(group), 'TaskGroup "workers" (0 tasks)');
      group.spawn(() => sleep(5));
      group.spawn(() => sleep(5));
      assert.equal(group.size, 2);
      assert.equal(String(group), 'TaskGroup "workers" (2 tasks)');
      await sleep(10);
      assert.equal(group.size, 0);
    }, { name: "workers" });
    assert.equal(String(seen), 'TaskGroup "workers" (finished)');
    assert.equal(seen!.size, 0);
  });
});

Deno.test("taskGroup() runs tasks at once, synchronously up to their first await", async () => {
  // D3: JS async functions run synchronously up to the first await, like a
  // Trio task that runs to its first checkpoint.
  const log: string[] = [];
  await taskGroup((group) => {
    group.spawn(async () => {
      log.push("task: first line");
      await checkpoint();
      log.push("task: after checkpoint");
    });
    log.push("body: after spawn");
  });
  assert.deepEqual(log, [
    "task: first line",
    "body: after spawn",
    "task: after checkpoint",
  ]);
});

Deno.test("TaskGroup.spawn() gives the task its own scope, nested in the group's", async () => {
  await taskGroup(async (group) => {
    const task = group.spawn((scope) => {
      assert.equal(currentScope(), scope);
      assert.equal(parentOf(scope), group.scope);
      assert.equal(scope.name, "named");
      return 1;
    }, { name: "named" });
    assert.equal(task.name, "named");
    assert.equal(await task.result, 1);
    assert.equal(task.done, true);
  });
});

// ---------------------------------------------------------------------------
// Rule 10: failures cancel the group and are aggregated
// ---------------------------------------------------------------------------

Deno.test('rule 10: a failing task cancels its siblings and the body, with source "group" and a reason naming the task', async () => {
  // trio: test_run.py::test_child_crash_basic, ::test_child_crash_wakes_parent
  // anyio: ::test_exception_cancels_siblings, ::test_failing_child_task_cancels_host
  // (docs/semantics.md #67, #68); trio test_cancelled.py::test_cancel_reason_nursery (#14)
  await onClock(async (clock) => {
    const boom = new Error("boom");
    const seen: unknown[] = [];
    let ranAfterJoin = false;
    const error = await groupError((async () => {
      await taskGroup(async (group) => {
        group.spawn(async () => {
          try {
            await sleepForever();
          } catch (error) {
            seen.push(error);
            throw error;
          }
        }, { name: "sibling" });
        group.spawn(async () => {
          await sleep(10);
          throw boom;
        }, { name: "bad" });
        try {
          await sleepForever();
        } catch (error) {
          seen.push(error);
          throw error;
        }
      }, { name: "g" });
      ranAfterJoin = true;
    })());
    assert.equal(error.errors.length, 1);
    assert.equal(error.errors[0], boom, "the child's error, not Cancelled");
    assert.match(
      error.message,
      /^Task group "g" failed with 1 error: Error: boom$/,
    );
    assert.equal(seen.length, 2, "the sibling and the body were cancelled");
    for (const cancelled of seen) {
      assertCancelled(cancelled, "group");
      assert.equal(cancelled.reason, 'task "bad" failed: Error: boom');
    }
    assert.equal(ranAfterJoin, false, "code after the group does not run");
    assert.equal(clock.now(), 10);
  });
});

Deno.test("rule 10: a failing body cancels the tasks; the reason names the body", async () => {
  // trio: test_run.py::test_nursery_main_block_error_basic; anyio:
  // ::test_host_exception; cpython: ::test_taskgroup_09, ::test_taskgroup_10
  // (docs/semantics.md #66); trio test_cancelled.py::test_cancel_reason_nursery2 (#14)
  await onClock(async () => {
    const boom = new TypeError("body broke");
    let seen: unknown;
    const error = await groupError(taskGroup(async (group) => {
      group.spawn(async () => {
        try {
          await sleepForever();
        } catch (error) {
          seen = error;
          throw error;
        }
      });
      await sleep(5);
      throw boom;
    }));
    assert.equal(error.errors.length, 1);
    assert.equal(error.errors[0], boom);
    assertCancelled(seen, "group");
    assert.equal(seen.reason, "body failed: TypeError: body broke");
  });
});

Deno.test("rule 10: one error is still wrapped in a TaskGroupError (an AggregateError)", async () => {
  // D10: always wrap (trio strict exception groups; cpython ::test_taskgroup_09)
  const boom = new Error("only one");
  const error = await groupError(taskGroup(() => {
    throw boom;
  }));
  assert.ok(error instanceof AggregateError);
  assert.deepEqual(error.errors, [boom]);
  assert.equal(error.errors[0], boom);
});

Deno.test("rule 10: the group waits for every task's cleanup, then throws", async () => {
  // trio: test_run.py::test_task_crash_propagation; anyio:
  // ::test_cancel_exiting_task_group (docs/semantics.md #67, #92)
  await onClock(async (clock) => {
    const log: string[] = [];
    const error = await groupError(taskGroup((group) => {
      group.spawn(async () => {
        try {
          await sleepForever();
        } finally {
          await shielded(() => sleep(50));
          log.push(`cleanup done at ${clock.now()}`);
        }
      });
      group.spawn(async () => {
        await sleep(10);
        throw new Error("boom");
      });
    }));
    log.push(`group threw at ${clock.now()}`);
    assert.equal(error.errors.length, 1);
    assert.deepEqual(log, ["cleanup done at 60", "group threw at 60"]);
  });
});

Deno.test("rule 10: body and task both fail: both are in the group, in the order they happened", async () => {
  // trio: test_run.py::test_main_and_task_both_crash; anyio:
  // ::test_exception_group_host (docs/semantics.md #69)
  const taskFirst = new Error("task");
  const bodySecond = new Error("body");
  const first = await groupError(taskGroup((group) => {
    group.spawn(() => {
      throw taskFirst;
    });
    throw bodySecond;
  }));
  assert.deepEqual(first.errors, [taskFirst, bodySecond]);

  await onClock(async () => {
    const bodyFirst = new Error("body");
    const cleanupSecond = new Error("task cleanup");
    const second = await groupError(taskGroup(async (group) => {
      group.spawn(async () => {
        try {
          await sleepForever();
        } catch {
          throw cleanupSecond;
        }
      });
      await sleep(1);
      throw bodyFirst;
    }));
    assert.deepEqual(second.errors, [bodyFirst, cleanupSecond]);
    assert.match(
      second.message,
      /failed with 2 errors: Error: body; Error: task cleanup$/,
    );
  });
});

Deno.test("rule 10: two tasks fail: both are in the group", async () => {
  // trio: test_run.py::test_two_child_crashes; anyio:
  // ::test_exception_group_children (docs/semantics.md #70)
  await onClock(async () => {
    const a = new Error("a");
    const b = new Error("b");
    const error = await groupError(taskGroup((group) => {
      group.spawn(async () => {
        await sleep(10);
        throw a;
      });
      group.spawn(async () => {
        await sleep(20);
        throw b;
      });
      group.spawn(async () => {
        // Fails while being cancelled (docs/semantics.md #72, #138).
        await sleep(30).catch(() => {});
        throw new RangeError("c");
      });
    }));
    assert.equal(error.errors.length, 2);
    assert.equal(error.errors[0], a);
    assert.ok(error.errors[1] instanceof RangeError, "c failed at 10, b never");
    assert.equal(error.errors.includes(b), false, "b was cancelled at 10");
  });
});

Deno.test("rule 10: the message names at most three errors", async () => {
  const error = await groupError(taskGroup((group) => {
    for (let i = 0; i < 5; i++) {
      group.spawn(() => {
        throw new Error(`e${i}`);
      });
    }
  }, { name: "many" }));
  assert.equal(error.errors.length, 5);
  assert.equal(
    error.message,
    'Task group "many" failed with 5 errors: Error: e0; Error: e1; Error: e2; and 2 more',
  );
});

Deno.test("rule 10: a failing nested group stays nested in the outer TaskGroupError", async () => {
  // anyio: ::test_nested_task_group_filtering; cpython: ::test_taskgroup_13,
  // ::test_taskgroup_14; trio: test_run.py::test_nursery_collapse (docs/semantics.md #71)
  await onClock(async () => {
    const leaf = new Error("leaf");
    let innerError: unknown;
    const outer = await groupError(taskGroup((group) => {
      group.spawn(sleepForever, { name: "outer sibling" });
      group.spawn(async () => {
        try {
          await taskGroup((inner) => {
            inner.spawn(sleepForever);
            inner.spawn(async () => {
              await sleep(5);
              throw leaf;
            });
          }, { name: "inner" });
        } catch (error) {
          innerError = error;
          throw error;
        }
      }, { name: "holder" });
    }, { name: "outer" }));
    assert.equal(outer.errors.length, 1, "no Cancelled in the outer group");
    assert.equal(outer.errors[0], innerError);
    const inner = outer.errors[0] as TaskGroupError;
    assert.ok(inner instanceof TaskGroupError, "not flattened");
    assert.deepEqual(inner.errors, [leaf]);
    assert.match(outer.message, /TaskGroupError: Task group "inner" failed/);
  });
});

Deno.test("rule 10: an outer task failing first leaves a nested group only cancelled", async () => {
  // cpython: ::test_taskgroup_14; anyio: ::test_nested_task_group_filtering
  // (docs/semantics.md #71, second half)
  await onClock(async () => {
    const outerError = new Error("outer");
    let innerOutcome: unknown;
    const error = await groupError(taskGroup((group) => {
      group.spawn(async () => {
        innerOutcome = await rejection(taskGroup((inner) => {
          inner.spawn(sleepForever);
          inner.spawn(sleepForever);
        }));
        throw innerOutcome;
      });
      group.spawn(async () => {
        await sleep(5);
        throw outerError;
      });
    }));
    assert.deepEqual(error.errors, [outerError]);
    assertCancelled(innerOutcome, "group");
  });
});

Deno.test("rule 10: only cancellations of an enclosing scope give one Cancelled, not a TaskGroupError", async () => {
  // anyio: ::test_single_cancellation_exc; cpython: ::test_cancellation,
  // ::test_taskgroup_07 (docs/semantics.md #74, #75, D9)
  await onClock(async (clock) => {
    const outer = new CancelScope({ name: "outer" });
    let thrown: unknown;
    let afterGroup = false;
    await outer.run(async () => {
      const outcome = await settle(taskGroup(async (group) => {
        for (let i = 0; i < 3; i++) group.spawn(sleepForever);
        group.spawn(async () => {
          await sleep(10);
          outer.cancel("shutting down");
        });
        await sleepForever();
      }));
      assert.equal(outcome.ok, false);
      thrown = (outcome as { error: unknown }).error;
      afterGroup = true;
      await checkpoint(); // the outer scope is still cancelled
    });
    assert.ok(afterGroup);
    assertCancelled(thrown, "explicit");
    assert.equal(thrown, outer.reason, "the enclosing scope's own Cancelled");
    assert.equal(thrown.reason, "shutting down", "original message kept");
    assert.ok(outer.cancelCaught);
    assert.equal(clock.now(), 10);

    const timed = await moveOnAfter(25, async () => {
      const error = await rejection(taskGroup((group) => {
        group.spawn(sleepForever);
        group.spawn(sleepForever);
      }));
      assertCancelled(error, "deadline");
      throw error;
    });
    assert.equal(timed, undefined);
    assert.equal(clock.now(), 35);
  });
});

Deno.test("rule 10: an enclosing cancellation plus a real error gives a TaskGroupError of the real error alone", async () => {
  // trio: test_run.py::test_cancel_scope_exceptiongroup_filtering (mixed);
  // cpython: ::test_error_and_cancel, gh-116720 (docs/semantics.md #74, #76)
  await onClock(async () => {
    const outer = new CancelScope({ name: "outer" });
    const cleanup = new Error("cleanup failed");
    let caught: unknown;
    let checkpointAfter: unknown;
    await outer.run(async () => {
      try {
        await taskGroup((group) => {
          group.spawn(sleepForever);
          group.spawn(async () => {
            try {
              await sleepForever();
            } finally {
              // deno-lint-ignore no-unsafe-finally
              throw cleanup;
            }
          });
          group.spawn(async () => {
            await sleep(5);
            outer.cancel();
          });
        });
      } catch (error) {
        caught = error;
      }
      // #76: the enclosing cancellation is not lost with the error.
      checkpointAfter = await rejection(checkpoint());
      throw checkpointAfter;
    });
    assert.ok(caught instanceof TaskGroupError);
    assert.deepEqual(caught.errors, [cleanup]);
    assertCancelled(checkpointAfter, "explicit");
    assert.ok(outer.cancelCaught);
  });
});

Deno.test("rule 10: a task that catches Cancelled and throws another error is reported", async () => {
  // cpython: ::test_taskgroup_18, ::test_taskgroup_19, GH-95704 (docs/semantics.md #72)
  await onClock(async () => {
    const replacement = new Error("raised instead of Cancelled");
    const error = await groupError(taskGroup((group) => {
      group.spawn(async () => {
        try {
          await sleepForever();
        } catch (error) {
          assert.ok(error instanceof Cancelled);
          throw replacement;
        }
      });
      group.spawn(async () => {
        await sleep(1);
        group.cancel();
      });
    }));
    assert.deepEqual(error.errors, [replacement]);
  });
});

Deno.test("rule 10: each error keeps its cause chain; the TaskGroupError takes none", async () => {
  // trio: test_run.py::test_nursery_exception_chaining_doesnt_make_context_loops;
  // anyio: ::test_exception_groups_suppresses_exc_context (docs/semantics.md #79)
  const root = new Error("root cause");
  const middle = new Error("middle", { cause: root });
  const top = new Error("top", { cause: middle });
  const error = await groupError(taskGroup((group) => {
    group.spawn(() => {
      throw top;
    });
  }));
  assert.equal(error.errors[0], top);
  assert.equal((error.errors[0] as Error).cause, middle);
  assert.equal(middle.cause, root);
  assert.equal(error.cause, undefined, "no cause loop through the group");
});

Deno.test("rule 10: values that are not Errors (a string, null, undefined) are failures too", async () => {
  // rule 16 of docs/rules.md: a thrown value that is not an Error is a failure.
  for (const thrown of ["text", null, undefined, 0, false]) {
    const fromTask = await groupError(taskGroup((group) => {
      group.spawn(() => {
        throw thrown;
      });
    }));
    assert.equal(fromTask.errors.length, 1, `task threw ${String(thrown)}`);
    assert.equal(fromTask.errors[0], thrown);

    const fromBody = await groupError(taskGroup(() => {
      throw thrown;
    }));
    assert.equal(fromBody.errors.length, 1, `body threw ${String(thrown)}`);
    assert.equal(fromBody.errors[0], thrown);

    const fromAsync = await groupError(taskGroup((group) => {
      group.spawn(async () => {
        await checkpoint();
        throw thrown;
      });
    }));
    assert.equal(fromAsync.errors.length, 1);
    assert.equal(fromAsync.errors[0], thrown);
  }
  const all = await groupError(taskGroup((group) => {
    group.spawn(() => {
      throw "text";
    });
    group.spawn(() => {
      throw null;
    });
    group.spawn(() => {
      throw undefined;
    });
  }));
  assert.deepEqual(all.errors, ["text", null, undefined]);
  assert.equal(
    all.message,
    'Task group failed with 3 errors: thrown "text"; thrown null; thrown undefined',
  );
});

Deno.test("rule 10: a non-Error failure still cancels the siblings, with a readable reason", async () => {
  await onClock(async () => {
    let seen: unknown;
    await groupError(taskGroup((group) => {
      group.spawn(async () => {
        await sleepForever().catch((error) => {
          seen = error;
        });
      });
      group.spawn(async () => {
        await sleep(1);
        throw null;
      }, { name: "nully" });
    }));
    assertCancelled(seen, "group");
    assert.equal(seen.reason, 'task "nully" failed: thrown null');
  });
});

Deno.test("rule 10: a task failing synchronously inside spawn() cancels the spawner at its next checkpoint", async () => {
  // cpython: ::test_cancels_task_if_created_during_creation, #128550 (docs/semantics.md #104)
  const boom = new Error("failed during creation");
  let spawnerSaw: unknown;
  const error = await groupError(taskGroup((group) => {
    group.spawn(async () => {
      group.spawn(() => {
        throw boom;
      });
      spawnerSaw = await rejection(checkpoint());
      throw spawnerSaw;
    }, { name: "spawner" });
  }));
  assert.deepEqual(error.errors, [boom]);
  assertCancelled(spawnerSaw, "group");
});

Deno.test("rule 10: cleanup code that throws during cancellation is reported with the original failure", async () => {
  // cpython: ::test_taskgroup_19; trio: test_run.py::test_system_task_crash_plus_Cancelled
  // (docs/semantics.md #138)
  await onClock(async () => {
    const original = new Error("original");
    const cleanup = new Error("cleanup");
    const error = await groupError(taskGroup((group) => {
      group.spawn(async () => {
        try {
          await sleepForever();
        } finally {
          // deno-lint-ignore no-unsafe-finally
          throw cleanup;
        }
      });
      group.spawn(async () => {
        await sleep(3);
        throw original;
      });
    }));
    assert.deepEqual(error.errors, [original, cleanup]);
  });
});

Deno.test("rule 10: a body's finally that throws while the group fails adds its error", async () => {
  // cpython: ::test_taskgroup_context_manager_exit_raises, #95289 (docs/semantics.md #83)
  await onClock(async () => {
    const taskError = new Error("task");
    const closeError = new Error("database close");
    const error = await groupError(taskGroup(async (group) => {
      try {
        group.spawn(async () => {
          await checkpoint();
          throw taskError;
        });
        await sleep(1000);
      } finally {
        // deno-lint-ignore no-unsafe-finally
        throw closeError;
      }
    }));
    assert.deepEqual(error.errors, [taskError, closeError]);
    // The cancellation did not leak (cpython's `cancelling() == 0`).
    await checkpoint();
  });
});

Deno.test("rule 10: a group's failure does not leak cancellation into the enclosing scope", async () => {
  // cpython: ::test_cancellation_does_not_leak_out_of_tg,
  // ::test_cancelling_level_preserved, ::test_nested_groups_both_cancelled;
  // anyio: TestUncancel::test_uncancel_after_child_task_failed (docs/semantics.md #77)
  await onClock(async () => {
    const scope = new CancelScope({ name: "host" });
    await scope.run(async () => {
      await groupError(taskGroup((group) => {
        group.spawn(sleepForever);
        group.spawn(() => {
          throw new Error("boom");
        });
      }));
      await groupError(taskGroup((outer) => {
        outer.spawn(() =>
          taskGroup((inner) => {
            inner.spawn(() => {
              throw new Error("inner");
            });
          })
        );
        outer.spawn(() => {
          throw new Error("outer");
        });
      }));
      await checkpoint();
      await sleep(1);
      assert.equal(currentEffectiveDeadline(), Infinity);
    });
    assert.equal(scope.cancelCalled, false);
    assert.equal(scope.cancelCaught, false);
  });
});

Deno.test("rule 10: a return from the body does not cancel the tasks", async () => {
  // trio reference-core.rst "A return statement will not cancel the nursery"
  // (docs/semantics.md #81)
  await onClock(async (clock) => {
    let finished = false;
    const value = await taskGroup((group) => {
      group.spawn(async () => {
        await sleep(20);
        finished = true;
      });
      return "returned at once";
    });
    assert.equal(value, "returned at once");
    assert.ok(finished);
    assert.equal(clock.now(), 20);
  });
});

Deno.test("rule 10: a TimeoutError from failAfter inside a task is a failure with its Cancelled as cause", async () => {
  // cpython: test_timeouts.py::test_timeout_taskgroup (docs/semantics.md #37, cause chain)
  await onClock(async () => {
    const error = await groupError(taskGroup((group) => {
      group.spawn(() => failAfter(10, sleepForever));
    }));
    const timeout = error.errors[0];
    assert.ok(timeout instanceof TimeoutError);
    assertCancelled(timeout.cause, "deadline");
  });
});

Deno.test("rule 10: an empty group inside a cancelled scope raises no Cancelled; a body error is still grouped", async () => {
  // trio: test_run.py::test_trivial_yields (#1457); anyio:
  // ::test_cancel_before_entering_task_group (docs/semantics.md #93, D11)
  const outer = new CancelScope({ name: "outer" });
  let groupScope: CancelScope | undefined;
  await outer.run(async () => {
    outer.cancel();
    const value = await taskGroup((group) => {
      groupScope = group.scope;
      return "empty";
    });
    assert.equal(value, "empty");
    assert.equal(groupScope!.cancelCaught, false);
    const boom = new Error("body");
    const error = await groupError(taskGroup(() => {
      throw boom;
    }));
    assert.deepEqual(error.errors, [boom]);
  });
  assert.equal(outer.cancelCaught, false, "no checkpoint threw");
});

Deno.test("rule 10: leaving an empty group is a schedule point", async () => {
  // anyio: ::test_empty_taskgroup_contains_yield_point; trio:
  // test_run.py::test_trivial_yields (docs/semantics.md #94). In JS `await` always
  // yields to queued microtasks; this pins that the join does too.
  const log: string[] = [];
  await taskGroup(async (group) => {
    group.spawn(async () => {
      await null;
      log.push("other task ran");
    });
    await taskGroup(() => {});
    log.push("after the empty group");
  });
  assert.deepEqual(log, ["other task ran", "after the empty group"]);
});

// ---------------------------------------------------------------------------
// Rule 11: group.cancel() exits cleanly
// ---------------------------------------------------------------------------

Deno.test("rule 11: cancel() from the body cancels every task and exits cleanly", async () => {
  // anyio: ::test_cancel, ::test_level_cancellation; trio:
  // test_run.py::test_cancel_inheritance (docs/semantics.md #84, #73)
  await onClock(async (clock) => {
    const seen: unknown[] = [];
    const value = await taskGroup(async (group) => {
      for (let i = 0; i < 3; i++) {
        group.spawn(async () => {
          try {
            await sleepForever();
          } catch (error) {
            seen.push(error);
            await checkpoint().catch((again) => seen.push(again)); // level
            throw error;
          }
        });
      }
      await sleep(10);
      group.cancel();
      return "body value";
    });
    assert.equal(value, "body value", "the body finished: its value");
    assert.equal(seen.length, 6);
    for (const error of seen) assertCancelled(error, "explicit");
    assert.equal(clock.now(), 10);
  });
});

Deno.test("rule 11: cancel() from the body, then a checkpoint: undefined", async () => {
  await onClock(async () => {
    let afterCheckpoint = false;
    const value = await taskGroup(async (group) => {
      group.spawn(sleepForever);
      group.cancel();
      await sleep(5);
      afterCheckpoint = true;
      return "never";
    });
    assert.equal(value, undefined, "the body did not finish");
    assert.equal(afterCheckpoint, false);
  });
});

Deno.test("rule 11: cancel() from a child exits cleanly with the body's value", async () => {
  // trio reference-core.rst "Custom supervisors" (race); cpython docs for
  // TaskGroup.cancel (docs/semantics.md #86)
  await onClock(async (clock) => {
    let winner: string | undefined;
    const finished = await taskGroup((group) => {
      group.spawn(sleepForever);
      group.spawn(async () => {
        await sleep(10);
        winner = "fast";
        group.cancel();
      });
      return "body finished first";
    });
    assert.equal(finished, "body finished first");
    assert.equal(winner, "fast", "the winner's result is available");
    assert.equal(clock.now(), 10);

    const unfinished = await taskGroup(async (group) => {
      group.spawn(async () => {
        await sleep(10);
        group.cancel("child says stop");
      });
      await sleepForever();
    });
    assert.equal(unfinished, undefined, "the body was still waiting");
  });
});

Deno.test("rule 11: cancel() from outside the group exits cleanly", async () => {
  await onClock(async (clock) => {
    let inner: TaskGroup | undefined;
    const results = await taskGroup(async (outer) => {
      outer.spawn(async () => {
        await sleep(10);
        inner!.cancel("from a task of another group");
      });
      const waiting = await taskGroup(async (group) => {
        inner = group;
        group.spawn(sleepForever);
        await sleepForever();
      }, { name: "inner" });
      outer.spawn(async () => {
        await sleep(10);
        inner!.cancel();
      });
      const done = await taskGroup((group) => {
        inner = group;
        group.spawn(sleepForever);
        return "inner body done";
      });
      return [waiting, done];
    });
    assert.deepEqual(results, [undefined, "inner body done"]);
    assert.equal(clock.now(), 20);
  });

  // From foreign code outside any scope: a plain timer on the real clock.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const value = await taskGroup((group) => {
    group.spawn(sleepForever);
    timer = setTimeout(() => group.cancel("timer"), 1);
    return "value";
  });
  clearTimeout(timer);
  assert.equal(value, "value");
});

Deno.test("rule 11: cancel() before the body's first checkpoint still starts and cleans up every task", async () => {
  // cpython TaskGroup.cancel docstring: cancelled before entry, cancelled
  // upon entry; #155418: an eager task cancelling the group (docs/semantics.md #87, #90)
  const log: string[] = [];
  const value = await taskGroup((group) => {
    group.cancel();
    group.spawn(async () => {
      log.push("a started");
      try {
        await checkpoint();
        log.push("a passed its checkpoint");
      } finally {
        log.push("a cleaned up");
      }
    });
    return 7;
  });
  assert.equal(value, 7);
  assert.deepEqual(log, ["a started", "a cleaned up"]);

  // A task cancelling its group before its own first suspension is
  // cancelled too, and the group does not hang (cpython #155418).
  const eager = await taskGroup(async (group) => {
    group.spawn(async () => {
      group.cancel();
      await sleepForever();
    });
    await sleepForever();
  });
  assert.equal(eager, undefined);
});

Deno.test("rule 11: cancel() is harmless when repeated, and does nothing after exit", async () => {
  // trio: test_run.py::test_cancel_edge_cases; cpython TaskGroup.cancel
  // ("called after exit → no-op; idempotent") (docs/semantics.md #3, #87)
  await onClock(async () => {
    const seen: unknown[] = [];
    let kept: TaskGroup | undefined;
    const value = await taskGroup(async (group) => {
      kept = group;
      group.spawn(() => sleepForever().catch((error) => seen.push(error)));
      group.cancel("first");
      group.cancel("second");
      group.cancel();
      await checkpoint().catch((error) => seen.push(error));
      return "done";
    });
    assert.equal(value, "done");
    assert.equal(seen.length, 2);
    for (const error of seen) {
      assertCancelled(error, "explicit");
      assert.equal(error.reason, "first", "the first reason wins");
    }
    kept!.cancel("after exit");
    kept!.cancel();
    assert.equal(kept!.scope.reason?.reason, "first");
    await checkpoint(); // the enclosing scope is not touched
    assert.equal(currentScope()!.cancelCalled, false);

    // A group that exited normally, cancelled afterwards.
    const normal = await taskGroup((group) => {
      kept = group;
      return 1;
    });
    assert.equal(normal, 1);
    kept!.cancel();
    await sleep(1);
  });
});

Deno.test("rule 11: cancel(reason) gives the reason to the Cancelled the tasks see", async () => {
  // anyio: ::test_cancel_with_reason (docs/semantics.md #85); trio
  // test_cancelled.py::test_cancel_reason (#14)
  await onClock(async () => {
    const reason = { why: "user pressed stop" };
    let seen: unknown;
    await taskGroup(async (group) => {
      group.spawn(async () => {
        seen = await rejection(sleepForever());
        throw seen;
      });
      await sleep(1);
      group.cancel(reason);
    }, { name: "jobs" });
    assertCancelled(seen, "explicit");
    assert.equal(seen.reason, reason);
    assert.match(
      seen.message,
      /"jobs" was cancelled explicitly: {"why":"user pressed stop"}/,
    );
  });
});

Deno.test("rule 11: an enclosing cancellation after cancel() still propagates", async () => {
  // cpython: PR #155439 (gh-155433) (docs/semantics.md #88)
  await onClock(async () => {
    for (const order of ["group first", "outer first"]) {
      const outer = new CancelScope({ name: "outer" });
      let after = false;
      let thrown: unknown;
      await outer.run(async () => {
        thrown = await rejection(taskGroup(async (group) => {
          group.spawn(sleepForever);
          if (order === "group first") {
            group.cancel();
            outer.cancel("outer");
          } else {
            outer.cancel("outer");
            group.cancel();
          }
          await sleep(1);
        }));
        after = true;
        throw thrown;
      });
      assertCancelled(thrown);
      assert.ok(after);
      assert.ok(outer.cancelCaught, order);
    }
  });
});

Deno.test("rule 11: real errors after cancel() still fail the group", async () => {
  // cpython: taskgroups.py _aexit (errors collected regardless of aborting)
  // (docs/semantics.md #89)
  await onClock(async () => {
    const late = new Error("failed after cancel");
    const error = await groupError(taskGroup((group) => {
      group.spawn(async () => {
        await sleepForever().catch(() => {});
        await shielded(() => sleep(5));
        throw late;
      });
      group.cancel();
      return "body";
    }));
    assert.deepEqual(error.errors, [late]);
  });
});

Deno.test("rule 11: a cancelled group waits for every task's cleanup", async () => {
  // anyio: ::test_cancel_exiting_task_group; trio #141 (docs/semantics.md #92)
  await onClock(async (clock) => {
    const log: string[] = [];
    await taskGroup(async (group) => {
      for (const ms of [30, 10, 20]) {
        group.spawn(async () => {
          try {
            await sleepForever();
          } finally {
            await shielded(() => sleep(ms));
            log.push(`cleanup ${ms}`);
          }
        });
      }
      await sleep(5);
      group.cancel();
    });
    log.push(`exit at ${clock.now()}`);
    assert.deepEqual(log, [
      "cleanup 10",
      "cleanup 20",
      "cleanup 30",
      "exit at 35",
    ]);
  });
});

Deno.test("rule 11: a cancelled group's Cancelled does not reach the enclosing scope", async () => {
  // anyio: ::test_escaping_cancelled_exception (docs/semantics.md #73)
  await onClock(async () => {
    const host = new CancelScope();
    await host.run(async () => {
      await taskGroup(async (group) => {
        group.spawn(sleepForever);
        group.cancel();
        await sleepForever();
      });
      await checkpoint();
      await sleep(1);
    });
    assert.equal(host.cancelCaught, false);
  });
});

Deno.test("rule 11: group.scope is the group's cancel scope", async () => {
  // D7: `group.cancel(reason)` plus the scope itself (trio nursery.cancel_scope)
  await onClock(async () => {
    let scope: CancelScope | undefined;
    const value = await taskGroup(async (group) => {
      scope = group.scope;
      group.spawn(sleepForever);
      group.scope.cancel("through the scope");
      await sleepForever();
    });
    assert.equal(value, undefined);
    assert.ok(scope!.cancelCalled);
    assert.ok(scope!.cancelCaught);
    assert.equal(scope!.reason?.reason, "through the scope");
  });
});

// ---------------------------------------------------------------------------
// Rule 12: spawning never loses work
// ---------------------------------------------------------------------------

Deno.test("rule 12: spawn into a cancelled group starts the task; its first checkpoint throws and its finally runs", async () => {
  // trio: test_run.py::test_precancelled_task (#41); anyio:
  // ::test_start_cancelled; D3 (docs/semantics.md #96)
  const resource = { closed: false };
  const log: string[] = [];
  const value = await taskGroup((group) => {
    group.cancel();
    const task = group.spawn(async (scope) => {
      log.push("first line");
      assert.equal(cancellationOf(scope)?.source, "explicit");
      try {
        await checkpoint();
        log.push("past the checkpoint");
      } finally {
        resource.closed = true;
      }
    });
    assert.deepEqual(
      log,
      ["first line"],
      "it ran to its first checkpoint at once",
    );
    assert.equal(task.done, false);
    return "clean";
  });
  assert.equal(value, "clean");
  assert.deepEqual(log, ["first line"]);
  assert.ok(resource.closed, "the resource handed to the task was closed");
});

Deno.test("rule 12: spawn into a group cancelled by a failure also starts the task", async () => {
  // D3: Trio/AnyIO allow it; asyncio's RuntimeError (cpython
  // ::test_taskgroup_no_create_task_after_failure, docs/semantics.md #97) is not followed.
  await onClock(async () => {
    const log: string[] = [];
    const boom = new Error("boom");
    const error = await groupError(taskGroup(async (group) => {
      group.spawn(() => {
        throw boom;
      });
      await checkpoint().catch(() => {});
      group.spawn(async () => {
        log.push("late task started");
        try {
          await sleep(10);
        } finally {
          log.push("late task cleaned up");
        }
      });
    }));
    assert.deepEqual(error.errors, [boom]);
    assert.deepEqual(log, ["late task started", "late task cleaned up"]);
  });
});

Deno.test("rule 12: spawn from a task after the body finished keeps the group open", async () => {
  // trio: test_run.py::test_nursery_closure; anyio: ::test_start_soon_while_running;
  // cpython: ::test_taskgroup_24, ::test_taskgroup_25 (docs/semantics.md #98)
  await onClock(async (clock) => {
    const log: string[] = [];
    await taskGroup((group) => {
      group.spawn(async () => {
        await sleep(10);
        group.spawn(async () => {
          await sleep(10);
          log.push("grandchild done");
        });
        log.push("child done");
      });
    });
    assert.deepEqual(log, ["child done", "grandchild done"]);
    assert.equal(clock.now(), 20);
  });
});

Deno.test("rule 12: spawn into a finished group throws an Error naming the group", async () => {
  // trio: test_run.py::test_nursery_closure; anyio: ::test_already_closed,
  // ::test_start_soon_after_error; cpython: ::test_taskgroup_finished,
  // ::test_coro_closed_when_tg_closed (docs/semantics.md #99)
  const exits: [string, (group: TaskGroup) => unknown][] = [
    ["normally", () => "ok"],
    ["after an error", () => {
      throw new Error("boom");
    }],
    ["after cancel()", async (group) => {
      group.cancel();
      await checkpoint();
    }],
  ];
  for (const [how, body] of exits) {
    let kept: TaskGroup | undefined;
    await settle(taskGroup((group) => {
      kept = group;
      return body(group);
    }, { name: "closed" }));
    let ran = false;
    assert.throws(
      () =>
        kept!.spawn(() => {
          ran = true;
        }, { name: "late" }),
      (error: unknown) =>
        error instanceof Error && !(error instanceof TypeError) &&
        /^Cannot spawn task "late" in task group "closed": the group has finished/
          .test(error.message),
      how,
    );
    assert.equal(ran, false, "the task never ran");
    assert.equal(kept!.size, 0);
  }
});

Deno.test("rule 12: a task handle's cancel() stops that task alone and is not a failure", async () => {
  // cpython: ::test_taskgroup_03; anyio: TestCreateTask::test_cancel,
  // ::test_cancel_scope_in_child_task; D8 (docs/semantics.md #91)
  await onClock(async (clock) => {
    const log: string[] = [];
    let handle: Task<string> | undefined;
    const value = await taskGroup(async (group) => {
      handle = group.spawn(async () => {
        try {
          await sleepForever();
          return "never";
        } finally {
          log.push(`cancelled one stopped at ${clock.now()}`);
        }
      }, { name: "victim" });
      group.spawn(async () => {
        await sleep(20);
        log.push("sibling finished");
      });
      await sleep(5);
      handle.cancel("not needed");
      assert.equal(await handle.result, undefined);
      assert.equal(handle.done, true);
      assert.equal(group.scope.cancelCalled, false);
      await sleep(5);
      log.push("body went on");
      return "value";
    });
    assert.equal(value, "value");
    assert.deepEqual(log, [
      "cancelled one stopped at 5",
      "body went on",
      "sibling finished",
    ]);
    assert.ok(handle!.scope.cancelCaught);
    assert.equal(handle!.scope.reason?.reason, "not needed");
  });
});

Deno.test("rule 12: a task's enclosing scope is its group's, not the scope around spawn()", async () => {
  // trio reference-core.rst "Child tasks and cancellation" (docs/semantics.md #59)
  await onClock(async (clock) => {
    const log: string[] = [];
    await taskGroup(async (group) => {
      const timed = await moveOnAfter(5, async () => {
        group.spawn(async (scope) => {
          assert.equal(parentOf(scope), group.scope);
          assert.equal(currentEffectiveDeadline(), Infinity);
          await sleep(50);
          log.push(`spawned in moveOnAfter, done at ${clock.now()}`);
        });
        await sleepForever();
      });
      assert.equal(timed, undefined, "the moveOnAfter itself timed out");
      // From a task of another group that holds this group ("spawning tasks
      // without becoming a parent"): its cancellation does not reach the task.
      await taskGroup((other) => {
        other.spawn(async () => {
          group.spawn(async () => {
            await sleep(50);
            log.push(`spawned from another group, done at ${clock.now()}`);
          });
          await sleepForever();
        });
        other.spawn(async () => {
          await sleep(1);
          other.cancel();
        });
      });
    });
    assert.deepEqual(log, [
      "spawned in moveOnAfter, done at 50",
      "spawned from another group, done at 55",
    ]);
  });
});

// ---------------------------------------------------------------------------
// Rule 15: nothing outlives its group
// ---------------------------------------------------------------------------

Deno.test("rule 15: when taskGroup() settles, every task spawned into it has settled", async () => {
  await onClock(async () => {
    const bodies: [string, (group: TaskGroup) => unknown][] = [
      ["ends normally", () => {}],
      ["fails", async () => {
        await sleep(3);
        throw new Error("boom");
      }],
      ["is cancelled", async (group) => {
        await sleep(3);
        group.cancel();
      }],
    ];
    for (const [how, body] of bodies) {
      const events: string[] = [];
      const handles: Task<void>[] = [];
      const outcome = await settle(
        taskGroup((group) => {
          for (const ms of [1, 5, 9]) {
            handles.push(group.spawn(async () => {
              try {
                await sleep(ms);
              } finally {
                await shielded(() => sleep(ms));
                events.push(`task ${ms} settled`);
              }
            }));
          }
          return body(group);
        }).finally(() => {
          events.push("group settled");
          assert.ok(handles.every((handle) => handle.done), how);
        }),
      );
      assert.equal(events.at(-1), "group settled", how);
      assert.equal(events.length, 4, how);
      assert.equal(outcome.ok, how !== "fails");
    }
  });
});

Deno.test("rule 15: no timer made for a group outlives it", async () => {
  // The real clock arms one setTimeout for all deadlines; when the group
  // leaves, none may be left (the ops sanitizer would also fail the test).
  assert.equal(pendingDeadlines(undefined), 0);
  const value = await taskGroup(async (group) => {
    group.spawn(() => sleep(60_000));
    group.spawn(() => moveOnAfter(120_000, sleepForever));
    group.spawn(() => failAfter(30_000, sleepForever));
    await realDelay(1);
    assert.equal(pendingDeadlines(undefined), 3);
    group.cancel();
    return "left at once";
  });
  assert.equal(value, "left at once");
  assert.equal(pendingDeadlines(undefined), 0);

  await groupError(taskGroup((group) => {
    group.spawn(() => sleep(60_000));
    group.spawn(() => {
      throw new Error("boom");
    });
  }));
  assert.equal(pendingDeadlines(undefined), 0);
});

// ---------------------------------------------------------------------------
// Rule 16: no error is lost or doubled
// ---------------------------------------------------------------------------

Deno.test("rule 16: an untouched handle of a failed task never causes an unhandled rejection", async () => {
  // The listener is proved to work first: a promise nobody handles is seen.
  const control = await unhandledRejections(async () => {
    Promise.reject(new Error("control"));
    await realDelay(1);
  });
  assert.equal(control.length, 1);

  const seen = await unhandledRejections(async () => {
    await onClock(async () => {
      const error = await groupError(taskGroup((group) => {
        group.spawn(() => {
          throw new Error("sync failure");
        });
        group.spawn(async () => {
          await sleep(1).catch(() => {});
          throw new Error("async failure");
        });
        group.spawn(sleepForever); // cancelled: rejects with Cancelled
        group.spawn(async () => {
          await sleep(1).catch(() => {});
          throw "not an Error";
        });
      }));
      assert.equal(error.errors.length, 3);
      const cancelled = await taskGroup((group) => {
        group.spawn(sleepForever).cancel();
        group.spawn(sleepForever);
        group.cancel();
        return "ok";
      });
      assert.equal(cancelled, "ok");
    });
  });
  assert.deepEqual(seen, []);
});

Deno.test("rule 16: a failure reaches the TaskGroupError once, even when its result was awaited", async () => {
  // anyio: TestCreateTask::test_exception (docs/semantics.md #95)
  await onClock(async () => {
    const boom = new Error("boom");
    let fromResult: unknown;
    const error = await groupError(taskGroup(async (group) => {
      const task = group.spawn(async () => {
        await sleep(1);
        throw boom;
      });
      fromResult = await rejection(task.result);
    }));
    assert.equal(fromResult, boom, "the handle shows the error");
    assert.deepEqual(error.errors, [boom], "and the group reports it once");
  });
});

// ---------------------------------------------------------------------------
// Group K: cleanup
// ---------------------------------------------------------------------------

Deno.test("cleanup: an await in finally of a cancelled task throws at once; a shielded cleanup with a timeout runs", async () => {
  // trio reference-core.rst blocking-cleanup example; anyio
  // docs/cancellation.rst "Finalization" (docs/semantics.md #136; #137 is asyncio's
  // edge-triggered opposite)
  await onClock(async (clock) => {
    const log: string[] = [];
    await taskGroup(async (group) => {
      group.spawn(async () => {
        try {
          await sleepForever();
        } finally {
          const unshielded = await settle(sleep(10));
          log.push(
            `unshielded sleep ${
              unshielded.ok ? "slept" : "threw"
            } at ${clock.now()}`,
          );
          await shielded(() =>
            moveOnAfter(20, async () => {
              await sleep(100);
              log.push("never");
            })
          );
          log.push(`shielded cleanup ended at ${clock.now()}`);
        }
      });
      await sleep(5);
      group.cancel();
    });
    assert.deepEqual(log, [
      "unshielded sleep threw at 5",
      "shielded cleanup ended at 25",
    ]);
  });
});

Deno.test("cleanup: a task blocked in a plain await runs on until it settles; its next checkpoint throws", async () => {
  // trio: test_run.py::test_failed_abort, ::test_slow_abort_basic (semantics
  // #140); rule 2 of docs/rules.md: a plain await is not a checkpoint.
  const log: string[] = [];
  let release!: () => void;
  const foreign = new Promise<void>((resolve) => release = resolve);
  await taskGroup(async (group) => {
    group.spawn(async () => {
      await foreign;
      log.push("foreign work finished");
      await checkpoint().catch((error) => {
        log.push(`then ${error.name}`);
        throw error;
      });
      log.push("never");
    });
    group.cancel();
    await checkpoint().catch(() => {});
    log.push("group cancelled");
    release();
  });
  assert.deepEqual(log, [
    "group cancelled",
    "foreign work finished",
    "then Cancelled",
  ]);
});

Deno.test("cleanup: a task that cancels the group from its finally does not hang", async () => {
  await onClock(async () => {
    const value = await taskGroup(async (group) => {
      group.spawn(async () => {
        try {
          await sleep(5);
        } finally {
          group.cancel();
        }
      });
      await sleepForever();
    });
    assert.equal(value, undefined);
  });
});

Deno.test("a group cancelled by a failing task says so in its scope's toString()", async () => {
  // The scope records what cancelled it (rule 5's own source, kept beside the
  // Cancelled): a task failure, not an explicit cancel or a deadline.
  let scope: CancelScope | undefined;
  await assert.rejects(
    taskGroup(async (group) => {
      scope = group.scope;
      group.spawn(() => {
        throw new Error("child failed");
      });
      await sleepForever();
    }, { name: "failing" }),
    TaskGroupError,
  );
  assert.equal(
    String(scope),
    'CancelScope "failing" (exited, cancelled by its task group)',
  );
});
