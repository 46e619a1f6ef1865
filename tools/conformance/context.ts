// Copyright the corral authors. MIT license.
/**
 * Context values across packages (rule 14, docs/rules.md): into tasks spawned by a
 * group, into `start()`, `race`, `all` and `map`, through `Snapshot.wrap`
 * and `bindGenerator`, and through interop's bridges.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  bindGenerator,
  contextBackend,
  Snapshot,
  Variable,
} from "@corral/context";
import { CancelScope, checkpoint, sleep } from "@corral/scope";
import { all, map, race, taskGroup } from "@corral/taskgroup";
import { test } from "./harness.ts";
import { interop } from "./interop_api.ts";
import { onMockClock } from "./kinds.ts";

const user = new Variable<string>({ name: "user", defaultValue: "nobody" });

test(
  "context: the backend is AsyncContext, else Deno's slot on Deno, else AsyncLocalStorage",
  () => {
    const runtime = globalThis as { AsyncContext?: unknown; Deno?: unknown };
    assert.equal(
      contextBackend,
      runtime.AsyncContext !== undefined
        ? "AsyncContext"
        : runtime.Deno !== undefined
        ? "Deno"
        : "AsyncLocalStorage",
    );
  },
  { needs: ["context"] },
);

test(
  "context: run() puts the values back after a return, a throw, awaits at each level, and a stack overflow through nested runs",
  async () => {
    const depth = new Variable<number>({ name: "depth", defaultValue: 0 });
    assert.throws(() =>
      user.run("thrower", () => {
        throw new Error("thrown");
      }), /thrown/);
    assert.equal(user.get(), "nobody");
    const seen: string[] = [];
    const look = () => seen.push(`${user.get()}/${depth.get()}`);
    await user.run("outer", async () => {
      await depth.run(1, async () => {
        await user.run("inner", async () => {
          await checkpoint();
          look();
        });
        look();
      });
      await checkpoint();
      look();
    });
    assert.deepEqual(seen, ["inner/1", "outer/1", "outer/0"]);
    // Rule 19: the overflow may strike a run's own restore; the next use
    // of the context, on a roomier stack, still finds the outer values.
    const dive = (n: number): number => user.run(`${n}`, () => dive(n + 1));
    for (let i = 0; i < 5; i++) {
      depth.run(i, () => assert.throws(() => dive(0), RangeError));
      assert.equal(`${user.get()}/${depth.get()}`, "nobody/0");
    }
  },
  { needs: ["context"] },
);

test(
  "context: a spawned task sees the values where it was spawned (rule 14)",
  async () => {
    const seen: string[] = [];
    await onMockClock(() =>
      taskGroup(async (group) => {
        const read = async (label: string) => {
          await sleep(10);
          await checkpoint();
          seen.push(`${label}=${user.get()}`);
        };
        user.run("ada", () => group.spawn(() => read("a")));
        user.run("bob", () => group.spawn(() => read("b")));
        group.spawn(() => read("c"));
        // Values set after the spawn do not reach the task.
        await user.run("eve", () => sleep(1));
      })
    );
    assert.deepEqual(seen.sort(), ["a=ada", "b=bob", "c=nobody"]);
  },
  { needs: ["context"] },
);

test(
  "context: a task's own run() does not leak to its group or siblings (rule 14)",
  async () => {
    const seen: string[] = [];
    await onMockClock(() =>
      user.run("parent", () =>
        taskGroup(async (group) => {
          group.spawn(() => user.run("child", () => sleep(10)));
          group.spawn(async () => {
            await sleep(5);
            seen.push(`sibling=${user.get()}`);
          });
          await sleep(5);
          seen.push(`body=${user.get()}`);
        }))
    );
    assert.deepEqual(seen.sort(), ["body=parent", "sibling=parent"]);
  },
  { needs: ["context"] },
);

test(
  "context: start() runs the child with the caller's values, before and after started() (rule 13, 14)",
  async () => {
    const seen: string[] = [];
    await onMockClock(() =>
      taskGroup(async (group) => {
        const value = await user.run("starter", () =>
          group.start<string>(async (started) => {
            seen.push(`before=${user.get()}`);
            started(`ready as ${user.get()}`);
            await sleep(10);
            seen.push(`after=${user.get()}`);
          }));
        seen.push(value);
      })
    );
    assert.deepEqual(seen, [
      "before=starter",
      "ready as starter",
      "after=starter",
    ]);
  },
  { needs: ["context"] },
);

test(
  "context: every attempt of race(), all() and map() sees the caller's values",
  async () => {
    const result = await onMockClock(() =>
      user.run("caller", async () => {
        const raced = await race([
          async () => (await sleep(20), `slow ${user.get()}`),
          async () => (await sleep(10), `fast ${user.get()}`),
        ], { stagger: 5 });
        const joined = await all([
          () => user.get(),
          async () => (await sleep(1), user.get()),
        ]);
        const mapped = await map(
          [1, 2, 3],
          async (n) => (await sleep(4 - n), `${n}:${user.get()}`),
          { limit: 2 },
        );
        return { raced, joined, mapped };
      })
    );
    assert.deepEqual(result, {
      raced: "fast caller",
      joined: ["caller", "caller"],
      mapped: ["1:caller", "2:caller", "3:caller"],
    });
  },
  { needs: ["context"] },
);

test(
  "context: a Snapshot.wrap callback called from a task sees the wrap-time values",
  async () => {
    const report = user.run("wrapper", () => Snapshot.wrap(() => user.get()));
    const seen: (string | undefined)[] = [];
    await onMockClock(() =>
      user.run("task", () =>
        taskGroup((group) => {
          group.spawn(async () => {
            await sleep(1);
            seen.push(report(), user.get());
          });
        }))
    );
    assert.deepEqual(seen, ["wrapper", "task"]);
  },
  { needs: ["context"] },
);

test(
  "context: a Snapshot taken in a task runs later code with the task's values",
  async () => {
    let snapshot!: Snapshot;
    await onMockClock(() =>
      taskGroup((group) => {
        user.run("in task", () =>
          group.spawn(() => {
            snapshot = new Snapshot();
          }));
      })
    );
    assert.equal(user.get(), "nobody");
    assert.equal(snapshot.run(() => user.get()), "in task");
  },
  { needs: ["context"] },
);

test(
  "context: a bindGenerator generator resumed from other tasks sees its creation context",
  async () => {
    const values = bindGenerator(async function* () {
      for (;;) {
        await sleep(1);
        yield user.get();
      }
    });
    const seen: unknown[] = [];
    await onMockClock(async () => {
      const iterator = user.run("creator", () => values());
      await taskGroup(async (group) => {
        for (const name of ["x", "y"]) {
          await user.run(name, () =>
            group.start(async (started) => {
              seen.push((await iterator.next()).value);
              started();
            }));
        }
      });
      await iterator.return(undefined as never);
    });
    assert.deepEqual(seen, ["creator", "creator"]);
  },
  { needs: ["context"] },
);

test(
  "context: values flow through toPromise() into the structured code",
  async () => {
    const { toPromise } = interop();
    const value = await user.run(
      "from promise code",
      () =>
        toPromise(async () => {
          await checkpoint();
          return user.get();
        }),
    );
    assert.equal(value, "from promise code");
  },
  { needs: ["context", "interop"] },
);

test(
  "context: values flow through abortable() into the foreign code",
  async () => {
    const { abortable } = interop();
    const scope = new CancelScope({ name: "caller" });
    const value = await user.run(
      "caller",
      () =>
        scope.run(() =>
          abortable(async (signal) => {
            assert.equal(signal.aborted, false);
            await new Promise((resolve) => setTimeout(resolve, 1));
            return user.get();
          })
        ),
    );
    assert.equal(value, "caller");
  },
  { needs: ["context", "interop"] },
);
