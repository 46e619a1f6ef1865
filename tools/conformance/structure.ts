// Copyright the corral authors. MIT license.
/**
 * How the packages fit together: unwinding order of nested constructs,
 * group failures (rules 10, 12, 15, 16), checkpoints on the runtime's event
 * loop (rule 2), the mock clock, the error classes, and the interop bridges.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Cancelled,
  CancelScope,
  checkpoint,
  failAfter,
  moveOnAfter,
  sleep,
  sleepForever,
  TimeoutError,
} from "@corral/scope";
import { MockClock } from "@corral/scope/testing";
import { type Task, taskGroup, TaskGroupError } from "@corral/taskgroup";
import { test } from "./harness.ts";
import { interop } from "./interop_api.ts";
import { onMockClock } from "./kinds.ts";

/**
 * A task group inside a scope, each layer logging when its `finally` runs.
 * The group's body and its task block until cancelled.
 */
function nested(log: string[]): () => Promise<void> {
  return async () => {
    try {
      await new CancelScope({ name: "scope" }).run(async () => {
        try {
          await taskGroup(async (group) => {
            group.spawn(async () => {
              try {
                await sleepForever();
              } finally {
                log.push("task");
              }
            });
            try {
              await sleepForever();
            } finally {
              log.push("body");
            }
          });
        } finally {
          log.push("group");
        }
      });
    } finally {
      log.push("scope");
    }
  };
}

/** The group's two children unwind in either order, then the layers out. */
function assertInnermostFirst(log: string[], last: string[]): void {
  assert.deepEqual(log.slice(0, 2).sort(), ["body", "task"], log.join(", "));
  assert.deepEqual(log.slice(2), ["group", "scope", ...last], log.join(", "));
}

test("unwind: a task group inside a scope inside a scope runs finally blocks innermost first", async () => {
  const log: string[] = [];
  const outer = new CancelScope({ name: "outer" });
  const done = outer.run(nested(log)).then((value) => {
    log.push("outer settled");
    return value;
  });
  await new Promise((resolve) => setTimeout(resolve, 1));
  outer.cancel("shut down");
  assert.equal(await done, undefined);
  assertInnermostFirst(log, ["outer settled"]);
  assert.ok(outer.cancelCaught);
});

test(
  "unwind: a task group inside a scope inside toPromise() unwinds innermost first, the bridge settles last",
  async () => {
    const { toPromise } = interop();
    const log: string[] = [];
    const controller = new AbortController();
    const bridge = toPromise(nested(log), { signal: controller.signal });
    const settled = bridge.then(
      () => log.push("bridge resolved"),
      (error) => {
        log.push("bridge rejected");
        return error;
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 1));
    assert.deepEqual(log, [], "nothing unwinds before the abort");
    controller.abort("shut down");
    const error = await settled;
    assertInnermostFirst(log, ["bridge rejected"]);
    assert.equal(error, "shut down", "rejects with signal.reason");
  },
  { needs: ["interop"] },
);

test('rule 10: a failing task cancels its siblings (source "group"); the group throws TaskGroupError', async () => {
  const boom = new Error("boom");
  let sibling: unknown;
  let error: unknown;
  await onMockClock(async () => {
    try {
      await taskGroup(async (group) => {
        group.spawn(async () => {
          try {
            await sleepForever();
          } catch (cancelled) {
            sibling = cancelled;
            throw cancelled;
          }
        });
        group.spawn(async () => {
          await sleep(10);
          throw boom;
        });
        await sleep(1_000);
      }, { name: "g" });
    } catch (thrown) {
      error = thrown;
    }
  });
  assert.ok(error instanceof TaskGroupError);
  assert.ok(error instanceof AggregateError);
  assert.equal(error.name, "TaskGroupError");
  assert.deepEqual(error.errors, [boom], "one error, still wrapped");
  assert.ok(sibling instanceof Cancelled);
  assert.equal(sibling.source, "group");
});

test("rule 10: when only an enclosing scope's cancellation comes out, one Cancelled propagates", async () => {
  const outer = new CancelScope({ name: "outer" });
  let seen: unknown;
  await onMockClock(() =>
    outer.run(async () => {
      try {
        await taskGroup(async (group) => {
          for (let i = 0; i < 3; i++) group.spawn(sleepForever);
          await sleep(1);
          outer.cancel("outer");
          await sleepForever();
        });
      } catch (error) {
        seen = error;
        throw error;
      }
    })
  );
  assert.ok(seen instanceof Cancelled, `got ${seen}`);
  assert.equal(seen, outer.reason);
  assert.ok(outer.cancelCaught);
});

test("rule 10: an enclosing scope's Cancelled from the tasks propagates even when the body returned", async () => {
  const outer = new CancelScope({ name: "outer" });
  let after = false;
  const result = await onMockClock(() =>
    outer.run(async () => {
      const value = await taskGroup(async (group) => {
        group.spawn(sleepForever);
        await sleep(1);
        outer.cancel("outer");
        return "body finished"; // no checkpoint after the cancel
      });
      after = true;
      return value;
    })
  );
  assert.equal(result, undefined);
  assert.equal(after, false, "the group did not return into a cancelled scope");
  assert.ok(outer.cancelCaught);
});

test("rule 12: a moveOnAfter around spawn() does not time the child", async () => {
  let finished = false;
  await onMockClock(() =>
    taskGroup(async (group) => {
      await moveOnAfter(10, async () => {
        group.spawn(async () => {
          await sleep(100);
          finished = true;
        });
        await sleepForever(); // the deadline passes while the child runs
      });
    })
  );
  assert.ok(finished);
});

test("rule 15: when taskGroup() settles every task has settled", async () => {
  const tasks: Task<unknown>[] = [];
  const clock = new MockClock({ autojump: true });
  await clock.run(() =>
    taskGroup(async (group) => {
      for (let i = 1; i <= 5; i++) tasks.push(group.spawn(() => sleep(i * 10)));
      tasks.push(group.spawn(sleepForever));
      await sleep(25);
      group.cancel();
    })
  );
  assert.ok(tasks.every((task) => task.done));
  assert.equal(clock.now(), 25);
});

test("rule 16: a failing task whose handle nobody touched causes no unhandled rejection", async () => {
  await assert.rejects(
    onMockClock(() =>
      taskGroup((group) => {
        group.spawn(() => {
          throw new Error("lost?");
        });
        group.spawn(() => Promise.reject("a string"));
      })
    ),
    (error: unknown) => {
      assert.ok(error instanceof TaskGroupError);
      assert.equal(error.errors.length, 2);
      return true;
    },
  );
});

test("rule 2: a loop of bare checkpoint() calls never starves a real timer", async () => {
  let fired = false;
  const timer = setTimeout(() => fired = true, 5);
  const started = performance.now();
  let turns = 0;
  try {
    while (!fired && performance.now() - started < 2_000) {
      await checkpoint();
      turns++;
    }
  } finally {
    clearTimeout(timer);
  }
  assert.ok(fired, `the timer did not fire after ${turns} checkpoints`);
});

test("rule 2: a real deadline stops a loop of bare checkpoint() calls", async () => {
  let turns = 0;
  const started = performance.now();
  const result = await moveOnAfter(20, async () => {
    for (;;) {
      await checkpoint();
      turns++;
    }
  });
  const took = performance.now() - started;
  assert.equal(result, undefined);
  assert.ok(turns > 0);
  assert.ok(took >= 19 && took < 1_000, `took ${took} ms`);
});

test("MockClock: autojump runs an hour of timeouts in milliseconds of real time", async () => {
  const clock = new MockClock({ autojump: true });
  const started = performance.now();
  await clock.run(() =>
    taskGroup((group) => {
      for (let i = 1; i <= 60; i++) {
        group.spawn(() => moveOnAfter(i * 60_000, sleepForever));
      }
    })
  );
  assert.equal(clock.now(), 3_600_000);
  assert.ok(performance.now() - started < 1_000);
});

test("MockClock: time moves only by advance() when autojump is off", async () => {
  const clock = new MockClock();
  const log: number[] = [];
  const done = clock.run(async () => {
    await sleep(100);
    log.push(clock.now());
  });
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(log, []);
  clock.advance(99);
  await new Promise((resolve) => setTimeout(resolve, 1));
  assert.deepEqual(log, []);
  clock.advance(1);
  await done;
  assert.deepEqual(log, [100]);
});

test("errors: failAfter throws TimeoutError caused by the deadline's Cancelled (rule 9)", async () => {
  await assert.rejects(
    onMockClock(() => failAfter(1_000, () => sleep(5_000))),
    (error: unknown) => {
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.name, "TimeoutError");
      assert.ok(error.cause instanceof Cancelled);
      assert.equal(error.cause.source, "deadline");
      return true;
    },
  );
});

test("errors: bad input throws RangeError and TypeError before anything starts", async () => {
  assert.throws(() => new CancelScope({ timeout: -1 }), RangeError);
  assert.throws(() => new CancelScope({ deadline: NaN }), RangeError);
  assert.throws(
    () => new CancelScope({ deadline: 1, timeout: 1 }),
    TypeError,
  );
  assert.throws(() => sleep(NaN), RangeError);
  assert.throws(() => new MockClock().advance(-1), RangeError);
  assert.throws(() => taskGroup(() => {}, { limit: 0 }), RangeError);
  await taskGroup((group) => {
    assert.throws(() => group.spawn(42 as never), TypeError);
    assert.throws(() => group.spawn(function* () {} as never), TypeError);
  });
  const scope = new CancelScope({ name: "once" });
  await scope.run(() => {});
  assert.throws(() => scope.run(() => {}), /once/);
});

test(
  "interop: fromSignal with a signal already aborted cancels at the first checkpoint",
  async () => {
    const { fromSignal } = interop();
    const controller = new AbortController();
    controller.abort("gone");
    let thrown: unknown;
    const result = await fromSignal(controller.signal, async () => {
      try {
        await checkpoint();
      } catch (error) {
        thrown = error;
        throw error;
      }
      return "ran";
    });
    assert.equal(result, undefined);
    assert.ok(thrown instanceof Cancelled);
    assert.equal(thrown.reason, "gone");
  },
  { needs: ["interop"] },
);

test(
  "interop: toPromise() runs in a fresh root scope, untouched by the caller's cancelled scope",
  async () => {
    const { toPromise } = interop();
    const outer = new CancelScope({ name: "outer" });
    let value: unknown;
    await outer.run(async () => {
      outer.cancel();
      // A plain await of a promise is not a checkpoint (rule 2).
      value = await toPromise(async (scope) => {
        await checkpoint();
        return scope.cancelCalled ? "cancelled" : "ran";
      });
    });
    assert.equal(value, "ran");
  },
  { needs: ["interop"] },
);

test("interop: abortable() returns the foreign value", async () => {
  const { abortable } = interop();
  const value = await abortable(async (signal) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return signal.aborted ? "aborted" : "value";
  });
  assert.equal(value, "value");
}, { needs: ["interop"] });

test(
  "interop: abortable() aborts the foreign signal on cancel; the rejection becomes our Cancelled",
  async () => {
    const { abortable } = interop();
    const scope = new CancelScope({ name: "caller" });
    let foreign: AbortSignal | undefined;
    let thrown: unknown;
    const result = await scope.run(async () => {
      setTimeout(() => scope.cancel("stop"), 1);
      try {
        await abortable((signal) => {
          foreign = signal;
          return new Promise((_, reject) =>
            signal.addEventListener("abort", () => reject(new Error("aborted")))
          );
        });
      } catch (error) {
        thrown = error;
        throw error;
      }
    });
    assert.equal(result, undefined);
    assert.ok(foreign?.aborted);
    assert.ok(thrown instanceof Cancelled, `got ${thrown}`);
    assert.equal(thrown.reason, "stop");
    assert.ok(scope.cancelCaught);
  },
  { needs: ["interop"] },
);

test(
  "interop: a foreign AbortError without our abort propagates as is",
  async () => {
    const { abortable } = interop();
    const foreign = new DOMException("their own abort", "AbortError");
    await assert.rejects(
      abortable(() => Promise.reject(foreign)),
      (error: unknown) => error === foreign,
    );
  },
  { needs: ["interop"] },
);

test("rule 13: cancelling the caller of start() before started() cancels the child, not the group", async () => {
  const caller = new CancelScope({ name: "caller" });
  let child: unknown;
  let bodyRan = false;
  await onMockClock(() =>
    taskGroup(async (group) => {
      await caller.run(async () => {
        setTimeout(() => caller.cancel("caller gave up"), 1);
        await group.start(async () => {
          try {
            await sleepForever();
          } catch (error) {
            child = error;
            throw error;
          }
        });
      });
      bodyRan = true;
    })
  );
  assert.ok(child instanceof Cancelled, `child got ${child}`);
  assert.equal(child.reason, "caller gave up");
  assert.ok(caller.cancelCaught);
  assert.ok(bodyRan, "the group went on");
});

test(
  "interop: toPromise() with a signal already aborted rejects with signal.reason",
  async () => {
    const { toPromise } = interop();
    const controller = new AbortController();
    controller.abort("too late");
    let reached = false;
    await assert.rejects(
      toPromise(async () => {
        await checkpoint();
        reached = true;
      }, { signal: controller.signal }),
      (error: unknown) => error === "too late",
    );
    assert.equal(reached, false);
  },
  { needs: ["interop"] },
);

test(
  "interop: fromSignal() stops listening to the signal once its scope exits",
  async () => {
    const { fromSignal } = interop();
    const controller = new AbortController();
    let scope: CancelScope | undefined;
    await fromSignal(controller.signal, (given) => {
      scope = given;
    });
    controller.abort("after exit");
    assert.equal(scope?.cancelCalled, false);
  },
  { needs: ["interop"] },
);
