// Copyright the corral authors. MIT license.
// Tests of rule 14 of docs/rules.md: a task sees the context variables as they
// were where it was spawned (docs/semantics.md #127, D15). Waiting tasks under
// `limit` are in limit_test.ts.
import assert from "node:assert/strict";
import { Snapshot, Variable } from "@corral/context";
import { sleep } from "@corral/scope";
import { all, map, race, taskGroup } from "./mod.ts";
import { onClock } from "./_test_helpers.ts";

const request = new Variable<string>({ name: "request", defaultValue: "none" });

Deno.test("rule 14: a task sees the context of its spawn() call, across awaits, after run() returned", async () => {
  await onClock(async () => {
    const seen: string[] = [];
    await taskGroup((group) => {
      request.run("r-1", () =>
        group.spawn(async () => {
          seen.push(request.get()!);
          await sleep(10);
          seen.push(request.get()!);
        }));
      group.spawn(async () => {
        await sleep(5);
        seen.push(request.get()!);
      });
    });
    assert.deepEqual(seen, ["r-1", "none", "r-1"]);
  });
});

Deno.test("rule 14: a context set after spawning one task is seen by the next, not by the first", async () => {
  // trio: test_run.py::test_contextvar_multitask (docs/semantics.md #127)
  await onClock(async () => {
    const seen: string[] = [];
    await taskGroup(async (group) => {
      group.spawn(async () => {
        await sleep(1);
        seen.push(`t1 sees ${request.get()}`);
        await request.run("set by t1", () => sleep(1));
      });
      await sleep(5);
      seen.push(`body sees ${request.get()}`);
      await request.run("set by body", async () => {
        group.spawn(async () => {
          await sleep(1);
          seen.push(`t2 sees ${request.get()}`);
        });
        await sleep(5);
      });
      seen.push(`body sees ${request.get()}`);
    });
    assert.deepEqual(seen, [
      "t1 sees none",
      "body sees none",
      "t2 sees set by body",
      "body sees none",
    ]);
  });
});

Deno.test("rule 14: a task spawned by another task sees the spawner's context, not the body's", async () => {
  await onClock(async () => {
    const seen: string[] = [];
    await request.run("body", () =>
      taskGroup((group) => {
        request.run("spawner", () =>
          group.spawn(async () => {
            await sleep(1);
            group.spawn(async () => {
              await sleep(1);
              seen.push(request.get()!);
            });
          }));
      }));
    assert.deepEqual(seen, ["spawner"]);
  });
});

Deno.test("rule 14: spawn() inside a Snapshot's run() gives the task the snapshot's context", async () => {
  await onClock(async () => {
    const snapshot = request.run("snapshotted", () => new Snapshot());
    const seen: string[] = [];
    await taskGroup((group) => {
      snapshot.run(() =>
        group.spawn(async () => {
          await sleep(1);
          seen.push(request.get()!);
        })
      );
    });
    assert.deepEqual(seen, ["snapshotted"]);
  });
});

Deno.test("rule 14: start() runs the task in its caller's context, before and after started()", async () => {
  await onClock(async () => {
    const seen: string[] = [];
    await taskGroup(async (group) => {
      await request.run("caller", () =>
        group.start(async (started) => {
          seen.push(request.get()!);
          await sleep(1);
          started();
          await sleep(1);
          seen.push(request.get()!);
        }));
    });
    assert.deepEqual(seen, ["caller", "caller"]);
  });
});

Deno.test("rule 14: the body, race(), all() and map() run in their caller's context", async () => {
  await onClock(async () => {
    await request.run("caller", async () => {
      assert.equal(await taskGroup(() => request.get()), "caller");
      assert.equal(
        await race([
          async () => (await sleep(2), `a ${request.get()}`),
          async () => (await sleep(1), `b ${request.get()}`),
        ]),
        "b caller",
      );
      assert.deepEqual(
        await all([() => request.get(), async () => {
          await sleep(1);
          return request.get();
        }]),
        ["caller", "caller"],
      );
      assert.deepEqual(
        await map([1, 2, 3], async (n) => {
          await sleep(n);
          return `${n} ${request.get()}`;
        }, { limit: 1 }),
        ["1 caller", "2 caller", "3 caller"],
      );
    });
  });
});
