// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import { Cancelled, CancelScope, moveOnAfter } from "@corral/scope";
import { CapacityLimiter } from "@corral/sync";
import { taskGroup } from "@corral/taskgroup";
import { WorkerPool } from "./worker_pool.ts";
import { requestId } from "./_test_context.ts";
import { countingWorkers, probe, work } from "./_test_helpers.ts";

Deno.test("WorkerPool.run() reuses its workers; open() leaves none running", async () => {
  await countingWorkers(async (started) => {
    const pool = new WorkerPool({ module: work, size: 1 });
    const results = await pool.open(async () => {
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await pool.run("add", [i, 1]));
      assert.equal(pool.workers, 1);
      return results;
    });
    assert.deepEqual(results, [1, 2, 3, 4, 5]);
    assert.equal(started(), 1);
    assert.equal(pool.workers, 0);
  });
});

Deno.test("WorkerPool: at most `size` calls run at once; the others wait in line", async () => {
  await countingWorkers(async (started) => {
    const pool = new WorkerPool({ module: work, size: 2 });
    const results = await pool.open(() =>
      Promise.all([1, 2, 3, 4, 5].map((n) => pool.run("add", [n, n])))
    );
    assert.deepEqual(results, [2, 4, 6, 8, 10]);
    assert.equal(started(), 2);
  });
});

Deno.test("WorkerPool: a worker terminated by a cancel is replaced, not lost", async () => {
  await countingWorkers(async (started) => {
    const pool = new WorkerPool({ module: work, size: 1, grace: 10 });
    await pool.open(async () => {
      const { port, next, close } = probe();
      try {
        const scope = new CancelScope();
        const call = scope.run(() =>
          pool.run("spin", [5_000, port], { transfer: [port] })
        );
        assert.equal(await next(), "started");
        scope.cancel();
        assert.equal(await call, undefined);
      } finally {
        close();
      }
      assert.equal(pool.workers, 0); // terminated, and dropped
      assert.equal(await pool.run("add", [1, 1]), 2);
      assert.equal(pool.workers, 1);
    });
    assert.equal(started(), 2);
  });
});

Deno.test("WorkerPool: a worker that cleans up within the grace period is kept", async () => {
  await countingWorkers(async (started) => {
    // A long grace: on a loaded machine the cleanup once took more than the
    // default 100 ms, and the worker was (rightly) terminated.
    const pool = new WorkerPool({ module: work, size: 1, grace: 5_000 });
    await pool.open(async () => {
      const { port, next, close } = probe();
      try {
        const scope = new CancelScope();
        const call = scope.run(() =>
          pool.run("sleepy", [60_000, port], { transfer: [port] })
        );
        assert.equal(await next(), "started");
        scope.cancel();
        assert.equal(await call, undefined);
        assert.equal(await next(), "cleanup");
      } finally {
        close();
      }
      assert.equal(await pool.run("add", [1, 1]), 2);
    });
    assert.equal(started(), 1);
  });
});

Deno.test("WorkerPool: a crashed worker fails its call, and the next call gets a new one", async () => {
  const pool = new WorkerPool({ module: work, size: 1 });
  await pool.open(async () => {
    await assert.rejects(pool.run("crash", []), /the worker crashed/);
    await assert.rejects(pool.run("closeSelf", []), /the worker exited/);
    assert.equal(await pool.run("add", [2, 2]), 4);
  });
});

Deno.test("WorkerPool.run() is a checkpoint, and a cancelled wait takes no turn (rule 17)", async () => {
  const pool = new WorkerPool({ module: work, size: 1 });
  await pool.open(async () => {
    const scope = new CancelScope();
    await scope.run(async () => {
      scope.cancel();
      await assert.rejects(pool.run("add", [1, 2]), Cancelled);
      throw scope.reason;
    });
    const { port, next, close } = probe();
    try {
      await taskGroup(async (group) => {
        const busy = group.spawn(() =>
          pool.run("sleepy", [60_000, port], { transfer: [port] })
        );
        assert.equal(await next(), "started");
        const waiting = new CancelScope();
        const queued = waiting.run(() => pool.run("add", [1, 2]));
        await new Promise((resolve) => setTimeout(resolve, 5));
        waiting.cancel();
        assert.equal(await queued, undefined);
        busy.cancel();
      });
    } finally {
      close();
    }
    assert.equal(await pool.run("add", [3, 4]), 7);
  });
});

Deno.test("WorkerPool: deadline and transferable context cross as with runInWorker()", async () => {
  const pool = new WorkerPool({ module: work, size: 1 });
  await pool.open(async () => {
    const left = await moveOnAfter(
      60_000,
      () => pool.run<number>("remaining", []),
    );
    assert.ok(left! <= 60_000 && left! > 50_000);
    assert.equal(await pool.run("remaining", []), Infinity);
    assert.equal(
      await requestId.run("r-9", () => pool.run("readRequestId", [])),
      "r-9",
    );
    assert.equal(await pool.run("readRequestId", []), undefined);
  });
});

Deno.test("WorkerPool: when open()'s body fails, every worker is still terminated", async () => {
  const pool = new WorkerPool({ module: work, size: 2 });
  await assert.rejects(
    pool.open(async () => {
      await Promise.all([pool.run("add", [1, 1]), pool.run("add", [2, 2])]);
      assert.equal(pool.workers, 2);
      throw new Error("body failed");
    }),
    /body failed/,
  );
  assert.equal(pool.workers, 0);
  await assert.rejects(pool.run("add", [1, 1]), /the pool is closed/);
});

Deno.test("WorkerPool: a call still running when open() ends fails instead of hanging", async () => {
  const pool = new WorkerPool({ module: work, size: 1 });
  const { port, next, close } = probe();
  let call: Promise<unknown> | undefined;
  try {
    await pool.open(async () => {
      call = pool.run("sleepy", [60_000, port], { transfer: [port] });
      call.catch(() => {});
      assert.equal(await next(), "started");
    });
    await assert.rejects(call!, /the worker was terminated before it answered/);
  } finally {
    close();
  }
});

Deno.test("WorkerPool: a worker that fails to start is an error of the call; the pool does not hang", async () => {
  const pool = new WorkerPool({ module: work, size: 1 });
  await countingWorkers(
    () =>
      pool.open(async () => {
        await assert.rejects(
          pool.run("add", [1, 2]),
          /the worker (crashed|could not start|was terminated)/,
        );
        await assert.rejects(
          pool.run("add", [1, 2]),
          /the worker (crashed|could not start|was terminated)/,
        );
      }),
    // The bootstrap cannot be loaded.
    (Original, _url, options) =>
      new Original(new URL("./_test_missing.ts", import.meta.url), options),
  );
  const other = new WorkerPool({ module: work, size: 1 });
  await countingWorkers(
    () =>
      other.open(async () => {
        await assert.rejects(
          other.run("add", [1, 2]),
          /the worker could not start: Error: no threads/,
        );
        await assert.rejects(other.run("add", [1, 2]), /no threads/);
      }),
    () => {
      throw new Error("no threads");
    },
  );
});

Deno.test("WorkerPool's queue is a CapacityLimiter of @corral/sync", () => {
  // The import above is the contract: the pool waits in its limiter.
  assert.equal(typeof CapacityLimiter, "function");
  assert.match(
    String(new WorkerPool({ module: work, size: 3, name: "cpu" })),
    /^WorkerPool "cpu" \(new, 0\/3 workers, 0 waiting\)$/,
  );
});

Deno.test("WorkerPool: arguments and results keep their exact values on the short path and off it", async () => {
  const pool = new WorkerPool({ module: work, size: 1 });
  await pool.open(async () => {
    const values: unknown[] = [
      0,
      -0,
      NaN,
      Infinity,
      -1.5,
      2n,
      "",
      "a\u0000b \ud800",
      true,
      null,
      undefined,
      [1, [2]],
      { a: undefined },
      new Date(0),
    ];
    for (const value of values) {
      // Twice: the first call on a worker names the module (the long form).
      assert.deepEqual(await pool.run("echo", [value]), value);
      const back = await pool.run("echo", [value]);
      assert.ok(
        Object.is(back, value) || typeof value === "object",
        String(value),
      );
      assert.deepEqual(back, value);
    }
    assert.deepEqual(await pool.run("add", [1, 2]), 3);
    assert.equal(await pool.run("echo", []), undefined);
  });
});
