// Copyright the corral authors. MIT license.
// Tests of TaskGroupOptions.limit: at most `limit` tasks run at once, the
// others wait in spawn order, and a cancelled group never runs a waiting
// task past its first checkpoint (rule 12 of docs/rules.md and "Bad input").
import assert from "node:assert/strict";
import { Variable } from "@corral/context";
import {
  CancelScope,
  checkpoint,
  moveOnAfter,
  now,
  sleep,
  sleepForever,
} from "@corral/scope";
import { taskGroup } from "./mod.ts";
import {
  assertFails,
  groupError,
  onClock,
  rejection,
} from "./_test_helpers.ts";

/** Spawns `count` tasks that each sleep `ms`, recording how many ran at once. */
function crowd(count: number, ms: number) {
  const record = { running: 0, most: 0, starts: [] as [number, number][] };
  const spawnAll = (group: {
    spawn(fn: () => Promise<void>, options?: { name?: string }): unknown;
  }) => {
    for (let i = 0; i < count; i++) {
      group.spawn(async () => {
        record.starts.push([i, now()]);
        record.running++;
        record.most = Math.max(record.most, record.running);
        try {
          await sleep(ms);
        } finally {
          record.running--;
        }
      }, { name: `t${i}` });
    }
  };
  return { record, spawnAll };
}

Deno.test("TaskGroupOptions.limit: at most limit tasks run at once; the others wait in spawn order", async () => {
  await onClock(async (clock) => {
    const { record, spawnAll } = crowd(7, 10);
    await taskGroup((group) => {
      spawnAll(group);
      assert.equal(group.size, 7);
      assert.equal(group.waiting, 4);
    }, { limit: 3 });
    assert.equal(record.most, 3);
    assert.deepEqual(record.starts, [
      [0, 0],
      [1, 0],
      [2, 0],
      [3, 10],
      [4, 10],
      [5, 10],
      [6, 20],
    ]);
    assert.equal(clock.now(), 30);
  });
});

Deno.test("TaskGroupOptions.limit: a slot freed by a failing or cancelled task goes to the next in line", async () => {
  await onClock(async () => {
    const starts: string[] = [];
    await taskGroup(async (group) => {
      const first = group.spawn(async () => {
        starts.push(`first at ${now()}`);
        await sleepForever();
      });
      group.spawn(async () => {
        starts.push(`second at ${now()}`);
        await sleep(5);
      });
      assert.equal(group.waiting, 1);
      await sleep(3);
      first.cancel();
      await first.result;
    }, { limit: 1 });
    assert.deepEqual(starts, ["first at 0", "second at 3"]);
  });
});

Deno.test("TaskGroupOptions.limit: a cancelled group runs the waiting tasks only to their first checkpoint", async () => {
  // Rule 12: spawning never loses work, but a waiting task of a cancelled
  // group must not do its work: its finally runs, its body stops at once.
  await onClock(async (clock) => {
    const log: string[] = [];
    const value = await taskGroup(async (group) => {
      for (let i = 0; i < 4; i++) {
        group.spawn(async () => {
          log.push(`${i} started at ${now()}`);
          try {
            await sleep(10);
            log.push(`${i} did its work`);
          } finally {
            log.push(`${i} cleaned up`);
          }
        });
      }
      await sleep(5);
      group.cancel();
      return "value";
    }, { limit: 1 });
    assert.equal(value, "value");
    // Tasks 1-3 are launched by the cancellation itself, in spawn order.
    assert.deepEqual(log.filter((line) => line.includes("started")), [
      "0 started at 0",
      "1 started at 5",
      "2 started at 5",
      "3 started at 5",
    ]);
    assert.deepEqual(log.filter((line) => !line.includes("started")).sort(), [
      "0 cleaned up",
      "1 cleaned up",
      "2 cleaned up",
      "3 cleaned up",
    ]);
    assert.equal(clock.now(), 5);
  });
});

Deno.test("TaskGroupOptions.limit: a failure, or an enclosing cancellation, releases the waiting tasks the same way", async () => {
  await onClock(async () => {
    const worked: number[] = [];
    const boom = new Error("boom");
    const error = await groupError(taskGroup((group) => {
      group.spawn(async () => {
        await sleep(1);
        throw boom;
      });
      for (let i = 0; i < 3; i++) {
        group.spawn(async () => {
          await checkpoint();
          worked.push(i);
        });
      }
    }, { limit: 1 }));
    assert.deepEqual(error.errors, [boom]);
    assert.equal(worked.length, 0, "no waiting task did its work");

    const started: number[] = [];
    const outer = await moveOnAfter(4, () =>
      taskGroup((group) => {
        for (let i = 0; i < 3; i++) {
          group.spawn(async () => {
            started.push(i);
            await sleep(10);
            worked.push(i);
          });
        }
      }, { limit: 2 }));
    assert.equal(outer, undefined);
    assert.deepEqual(started, [0, 1, 2]);
    assert.deepEqual(worked, []);
  });
});

Deno.test("TaskGroupOptions.limit: a task spawned into a cancelled group starts at once, past the limit", async () => {
  await onClock(async () => {
    const log: string[] = [];
    await taskGroup((group) => {
      group.spawn(sleepForever);
      group.cancel();
      group.spawn(async () => {
        log.push("started");
        await checkpoint().finally(() => log.push("first checkpoint threw"));
      });
      assert.equal(group.waiting, 0);
    }, { limit: 1 });
    assert.deepEqual(log, ["started", "first checkpoint threw"]);
  });
});

Deno.test("TaskGroupOptions.limit: a waiting task cancelled through its handle never does its work", async () => {
  await onClock(async () => {
    const log: string[] = [];
    await taskGroup(async (group) => {
      group.spawn(() => sleep(5));
      const waiting = group.spawn(async () => {
        log.push("started");
        await checkpoint();
        log.push("worked");
      });
      assert.equal(waiting.done, false);
      waiting.cancel();
      assert.equal(await waiting.result, undefined);
    }, { limit: 1 });
    assert.deepEqual(log, ["started"]);
  });
});

Deno.test("TaskGroupOptions.limit: a waiting task sees the context of its spawn() call (rule 14)", async () => {
  // A waiting task is launched later by whoever frees a slot (a settling
  // task, or the group's cancellation); it must still run in the context
  // where spawn() was called.
  await onClock(async () => {
    const request = new Variable<string>({ name: "request" });
    const seen: (string | undefined)[] = [];
    await taskGroup((group) => {
      for (const id of ["r-1", "r-2", "r-3"]) {
        request.run(id, () =>
          group.spawn(async () => {
            seen.push(request.get());
            await sleep(1);
            seen.push(request.get());
          }));
      }
    }, { limit: 1 });
    assert.deepEqual(seen, ["r-1", "r-1", "r-2", "r-2", "r-3", "r-3"]);

    const onCancel: (string | undefined)[] = [];
    await taskGroup(async (group) => {
      group.spawn(sleepForever);
      request.run("waiting", () =>
        group.spawn(() => {
          onCancel.push(request.get());
        }));
      await request.run("canceller", async () => {
        await sleep(1);
        group.cancel();
      });
    }, { limit: 1 });
    assert.deepEqual(onCancel, ["waiting"]);
  });
});

Deno.test("TaskGroupOptions.limit: a long-lived group whose queue refilled thousands of times still launches the whole queue when cancelled", async () => {
  // The queue asks the group's scope, once for the group's life, to launch
  // it on cancellation (it once asked again at every refill, and a group
  // serving bursts for hours piled up one callback per burst).
  await onClock(async () => {
    const started: number[] = [];
    await taskGroup(async (group) => {
      for (let burst = 0; burst < 2_000; burst++) {
        group.spawn(() => sleep(1));
        group.spawn(() => sleep(1));
        assert.equal(group.waiting, 1);
        await sleep(5);
        assert.equal(group.waiting, 0);
      }
      group.spawn(sleepForever);
      for (let i = 0; i < 3; i++) {
        group.spawn(async () => {
          started.push(i);
          await checkpoint();
        });
      }
      await sleep(1);
      group.cancel();
    }, { limit: 1 });
    assert.deepEqual(started, [0, 1, 2]);
  });
});

Deno.test("TaskGroupOptions.limit: 10,000 queued tasks that fail at once settle without nesting a frame per task", async () => {
  // A task that throws synchronously settles inside launch(); launching the
  // next one from there once nested one stack frame per queued task.
  await onClock(async () => {
    let ran = 0;
    const error = await groupError(taskGroup((group) => {
      group.spawn(() => sleep(1));
      for (let i = 0; i < 10_000; i++) {
        group.spawn(() => {
          ran++;
          throw new Error(`task ${i}`);
        });
      }
    }, { limit: 1 }));
    assert.equal(ran, 10_000); // rule 12: each started, in a cancelled group
    assert.equal(error.errors.length, 10_000);
  });
});

Deno.test("TaskGroupOptions.limit: start() is not held back by the limit", async () => {
  // A task holding the last slot may start() another: if start() waited
  // for a slot, the starter would wait on a child that waits on the starter.
  await onClock(async () => {
    const value = await taskGroup(async (group) => {
      const port = await group.start<number>(async (started) => {
        started(8080);
        await sleep(5);
      });
      return port;
    }, { limit: 1 });
    assert.equal(value, 8080);

    const nested = await taskGroup(async (group) => {
      const holder = group.spawn(() =>
        group.start<string>((started) => started("ready"))
      );
      return await holder.result;
    }, { limit: 1 });
    assert.equal(nested, "ready");
  });
});

Deno.test("TaskGroupOptions.limit: 1 runs the tasks one after another", async () => {
  await onClock(async (clock) => {
    const { record, spawnAll } = crowd(4, 10);
    await taskGroup(spawnAll, { limit: 1 });
    assert.equal(record.most, 1);
    assert.deepEqual(record.starts.map(([, time]) => time), [0, 10, 20, 30]);
    assert.equal(clock.now(), 40);
  });
});

Deno.test("TaskGroupOptions.limit must be a positive integer", async () => {
  // std pool_test.ts "pooledMap() throws for invalid poolLimit"; docs/rules.md "Bad input"
  for (const limit of [0, -1, 1.5, NaN, Infinity, -Infinity, "2", null, 2n]) {
    let ran = false;
    await assertFails(
      () =>
        taskGroup(() => {
          ran = true;
        }, { limit: limit as number, name: "pool" }),
      RangeError,
      new RegExp(
        `^Cannot create task group "pool": 'limit' must be a positive integer: current value is ${
          String(limit).replace(/[.+]/g, "\\$&")
        }$`,
      ),
    );
    assert.equal(ran, false, `the body never ran for limit ${String(limit)}`);
  }
  // A bad limit disturbs nothing already running.
  await onClock(async () => {
    const value = await taskGroup(async (group) => {
      const running = group.spawn(async () => {
        await sleep(5);
        return "still fine";
      });
      await assertFails(
        () => taskGroup(() => {}, { limit: 0 }),
        RangeError,
        /'limit' must be a positive integer/,
      );
      assert.equal(group.scope.cancelCalled, false);
      return await running.result;
    });
    assert.equal(value, "still fine");
  });
  // Accepted values.
  for (const limit of [1, 2, 1e9, undefined]) {
    assert.equal(await taskGroup(() => "ok", { limit }), "ok");
  }
});

Deno.test("TaskGroupOptions.limit: a group inside a cancelled scope still launches its waiting tasks", async () => {
  await onClock(async () => {
    const outer = new CancelScope();
    const started: number[] = [];
    await outer.run(async () => {
      outer.cancel();
      const error = await rejection(taskGroup((group) => {
        for (let i = 0; i < 3; i++) {
          group.spawn(async () => {
            started.push(i);
            await checkpoint();
          });
        }
      }, { limit: 1 }));
      throw error;
    });
    assert.deepEqual(started, [0, 1, 2]);
    assert.ok(outer.cancelCaught);
  });
});
