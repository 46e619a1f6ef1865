// Copyright the corral authors. MIT license.
// Tests of taskTree(): the live tree of groups, tasks and scopes, with
// deadlines, shields and cancelled state (STYLE "For corral" 9).
import assert from "node:assert/strict";
import {
  CancelScope,
  checkpoint,
  moveOnAfter,
  sleep,
  sleepForever,
} from "@corral/scope";
import { taskGroup, taskTree } from "./mod.ts";
import { onClock } from "./_test_helpers.ts";

Deno.test("taskTree() shows groups, tasks, nested scopes, deadlines, shields and waiting tasks", async () => {
  await onClock(async () => {
    const request = new CancelScope({ name: "request r-7", timeout: 1500 });
    await request.run(() =>
      taskGroup(async (group) => {
        group.spawn(sleepForever, { name: "a" });
        group.spawn(
          () =>
            moveOnAfter(100, () =>
              new CancelScope({ name: "cleanup", shield: true, timeout: 200 })
                .run(sleepForever)),
          { name: "b" },
        );
        group.spawn(sleepForever, { name: "c" });
        group.spawn(sleepForever, { name: "d" });
        await sleep(10);
        assert.equal(
          taskTree(),
          [
            'scope "MockClock"',
            '└─ scope "request r-7" (deadline in 1.49 s)',
            '   └─ group "upstreams" (4 tasks, 1 waiting for a slot)',
            '      ├─ task "a"',
            '      ├─ task "b"',
            '      │  └─ scope "moveOnAfter(100)" (deadline in 0.09 s)',
            '      │     └─ scope "cleanup" (deadline in 0.19 s, shielded)',
            '      └─ task "c"',
          ].join("\n"),
        );
        group.cancel("done");
        assert.equal(
          taskTree(group.scope),
          [
            'group "upstreams" (4 tasks, cancelled: explicit)',
            '├─ task "a" (cancelled by an enclosing scope)',
            '├─ task "b" (cancelled by an enclosing scope)',
            '│  └─ scope "moveOnAfter(100)" (deadline in 0.09 s, cancelled by an enclosing scope)',
            '│     └─ scope "cleanup" (deadline in 0.19 s, shielded)',
            '├─ task "c" (cancelled by an enclosing scope)',
            '└─ task "d" (cancelled by an enclosing scope)',
          ].join("\n"),
          "the waiting task was launched by the cancellation",
        );
      }, { name: "upstreams", limit: 3 })
    );
  });
  assert.equal(taskTree(), "", "nothing is left once everything exited");
});

Deno.test("taskTree() shows a task cancelled alone, a passed deadline, and unnamed tasks", async () => {
  await onClock(async (clock) => {
    await taskGroup(async (group) => {
      const alone = group.spawn(sleepForever);
      group.spawn(() => moveOnAfter(5, sleepForever), { name: "timed" });
      await sleep(1);
      alone.cancel();
      clock.advance(10);
      const tree = taskTree(group.scope);
      assert.match(tree, /^group \(2 tasks\)$/m);
      assert.match(tree, /^├─ task \(cancelled: explicit\)$/m);
      assert.match(
        tree,
        /^ {3}└─ scope "moveOnAfter\(5\)" \(deadline passed, cancelled: deadline\)$/m,
        tree,
      );
      await checkpoint();
      assert.match(taskTree(group.scope), /^group \(0 tasks\)$/m);
    });
  });
});

Deno.test("taskTree() shows a start() task under its caller, then under the group", async () => {
  await onClock(async () => {
    await taskGroup(async (group) => {
      let before = "";
      await new CancelScope({ name: "caller" }).run(() =>
        group.start(async (started) => {
          await sleep(1);
          before = taskTree(group.scope);
          started();
          await sleep(1);
        }, { name: "service" })
      );
      assert.equal(
        before,
        [
          'group "g" (1 task)',
          '└─ scope "caller"',
          '   └─ task "service"',
        ].join("\n"),
      );
      assert.equal(
        taskTree(group.scope),
        [
          'group "g" (1 task)',
          '└─ task "service"',
          '   └─ scope "sleep(1)" (deadline in 0.00 s)', // its sleep(1)
        ].join("\n"),
      );
    }, { name: "g" });
  });
});

Deno.test("taskTree() draws a tree 1,000 groups deep without overflowing", async () => {
  await onClock(async () => {
    let top: CancelScope | undefined;
    let tree = "";
    const nest = (depth: number): Promise<unknown> =>
      taskGroup(async (group) => {
        top ??= group.scope;
        if (depth === 0) {
          tree = taskTree(top);
          return;
        }
        await checkpoint();
        await nest(depth - 1);
      }, { name: `g${depth}` });
    await nest(1000);
    const lines = tree.split("\n");
    assert.equal(lines.length, 1001);
    assert.equal(lines[0], 'group "g1000" (0 tasks)');
    assert.match(lines[1000]!, /^ {2997}└─ group "g0" \(0 tasks\)$/);
  });
});
