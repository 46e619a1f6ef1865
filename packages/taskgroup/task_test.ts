// Copyright the corral authors. MIT license.
// Tests of Task, the handle spawn() returns: its result, done, cancel() and
// name (docs/semantics.md #95, D8; rules 12 and 16 of docs/rules.md).
import assert from "node:assert/strict";
import { CancelScope, sleep, sleepForever } from "@corral/scope";
import { ownerOf } from "@corral/scope/plumbing";
import { type Task, taskGroup } from "./mod.ts";
import {
  assertCancelled,
  groupError,
  onClock,
  rejection,
} from "./_test_helpers.ts";

Deno.test("Task.result resolves with the task's value", async () => {
  // anyio: TestCreateTask::test_return_value (docs/semantics.md #95)
  await onClock(async () => {
    await taskGroup(async (group) => {
      const sync = group.spawn(() => "sync");
      const later = group.spawn(async () => {
        await sleep(10);
        return { answer: 42 };
      });
      assert.equal(await sync.result, "sync");
      assert.deepEqual(await later.result, { answer: 42 });
      assert.equal(later.result, later.result, "one promise, made once");
    });
  });
});

Deno.test("Task.result rejects with the task's error, which also fails the group", async () => {
  // anyio: TestCreateTask::test_exception (docs/semantics.md #95)
  await onClock(async () => {
    const boom = new Error("boom");
    let fromHandle: unknown;
    const error = await groupError(taskGroup(async (group) => {
      const task = group.spawn(async () => {
        await sleep(1);
        throw boom;
      });
      fromHandle = await rejection(task.result);
    }));
    assert.equal(fromHandle, boom);
    assert.deepEqual(error.errors, [boom]);
  });
});

Deno.test("Task.result rejects with Cancelled when the group cancelled the task", async () => {
  // anyio: TestCreateTask::test_cancel (TaskCancelled) (docs/semantics.md #95)
  await onClock(async () => {
    let handle: Task<never> | undefined;
    await taskGroup(async (group) => {
      handle = group.spawn(sleepForever);
      await sleep(1);
      group.cancel("stop");
    });
    const error = await rejection(handle!.result);
    assertCancelled(error, "explicit");
    assert.equal(error.reason, "stop");
  });
});

Deno.test("Task.cancel() stops the task alone; its result resolves with undefined", async () => {
  // anyio: TestCreateTask::test_cancel; D8 (docs/semantics.md #91, #95)
  await onClock(async (clock) => {
    await taskGroup(async (group) => {
      const task = group.spawn(async () => {
        await sleepForever();
        return "never";
      }, { name: "victim" });
      const sibling = group.spawn(async () => {
        await sleep(10);
        return "sibling";
      });
      assert.equal(task.done, false);
      await sleep(2);
      task.cancel("no longer needed");
      assert.equal(await task.result, undefined);
      assert.equal(task.done, true);
      assert.equal(clock.now(), 2);
      assert.equal(await sibling.result, "sibling");
      assert.ok(task.scope.cancelCaught);
      assert.equal(task.scope.reason?.reason, "no longer needed");
      assert.equal(group.scope.cancelCalled, false);
    });
  });
});

Deno.test("Task.cancel() is harmless after the task ended, and when repeated", async () => {
  await onClock(async () => {
    await taskGroup(async (group) => {
      const finished = group.spawn(() => "value");
      assert.equal(await finished.result, "value");
      finished.cancel();
      finished.cancel("again");
      assert.equal(await finished.result, "value");

      const failed = group.spawn(async () => {
        await sleep(1);
        return 1;
      });
      failed.cancel("first");
      failed.cancel("second");
      assert.equal(await failed.result, undefined);
      assert.equal(failed.scope.reason?.reason, "first");
    });
  });
});

Deno.test("Task.cancel() of a task whose group cancels it first: the group's Cancelled", async () => {
  await onClock(async () => {
    let task: Task<never> | undefined;
    await taskGroup((group) => {
      task = group.spawn(sleepForever);
      group.cancel("group first");
      task.cancel("task second");
    });
    // The task's scope is cancelled through its group first (rule 5: the
    // first reason wins), so the group's Cancelled reaches the group.
    const error = await rejection(task!.result);
    assertCancelled(error);
    assert.equal(error.reason, "group first");
  });
});

Deno.test("Task.done, name, scope and toString() show the task's state", async () => {
  await onClock(async () => {
    await groupError(taskGroup(async (group) => {
      const running = group.spawn(() => sleep(5), { name: "fetch" });
      assert.equal(running.name, "fetch");
      assert.ok(running.scope instanceof CancelScope);
      assert.equal(running.scope.name, "fetch");
      assert.equal(ownerOf(running.scope), running);
      assert.equal(String(running), 'Task "fetch" (running)');
      await running.result;
      assert.equal(String(running), 'Task "fetch" (finished)');

      const unnamed = group.spawn(() => 1);
      assert.equal(unnamed.name, "");
      assert.equal(String(unnamed), "Task (running)");

      const failing = group.spawn(() => {
        throw new Error("x");
      }, { name: "bad" });
      await rejection(failing.result);
      assert.equal(failing.done, true);
      assert.equal(String(failing), 'Task "bad" (failed)');
    }));
  });
});

Deno.test("Task.result read after the task settled resolves or rejects at once", async () => {
  await onClock(async () => {
    const boom = new Error("late read");
    let failing: Task<never> | undefined;
    let fine: Task<string> | undefined;
    await groupError(taskGroup((group) => {
      fine = group.spawn(() => "ok");
      failing = group.spawn(() => {
        throw boom;
      });
    }));
    assert.equal(await fine!.result, "ok");
    assert.equal(await rejection(failing!.result), boom);
  });
});

Deno.test("Task<R> handles of any R fit in one Task<unknown>[]", async () => {
  // A type-level check (deno check): a handle is covariant in its value.
  await taskGroup(async (group) => {
    const tasks: Task<unknown>[] = [
      group.spawn(() => 1),
      group.spawn(async () => {}),
      group.spawn(() => "text"),
    ];
    assert.deepEqual(
      await Promise.all(tasks.map((task) => task.result)),
      [1, undefined, "text"],
    );
  });
});
