// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import { Variable } from "@corral/context";
import { runInWorker } from "./run_in_worker.ts";
import { WorkerPool } from "./worker_pool.ts";
import { markTransferable } from "./mark_transferable.ts";
import { transfer } from "./transfer.ts";
import { countingWorkers, work } from "./_test_helpers.ts";

const missing = new URL("./_test_does_not_exist.ts", import.meta.url);

Deno.test("runInWorker() rejects bad input with a clear error before any worker starts", async () => {
  await countingWorkers(async (started) => {
    const cases: [() => Promise<unknown>, ErrorConstructor, RegExp][] = [
      [
        () => runInWorker("./work.ts", "add", []),
        TypeError,
        /^Cannot run in worker: 'module' must be a URL or an absolute URL string .*current value is "\.\/work\.ts"$/,
      ],
      [
        () => runInWorker(null as never, "add", []),
        TypeError,
        /'module' must be a URL.*current value is null/,
      ],
      [
        () => runInWorker(missing, "add", []),
        TypeError,
        /^Cannot run _test_does_not_exist\.ts#add in worker: module file:.*_test_does_not_exist\.ts cannot be imported/,
      ],
      [
        () => runInWorker(work, "nope", []),
        TypeError,
        /^Cannot run _test_work\.ts#nope in worker: module file:.*_test_work\.ts has no export named "nope"$/,
      ],
      [
        () => runInWorker(work, "notAFunction", []),
        TypeError,
        /export "notAFunction" of .* must be a function: current value is 42$/,
      ],
      [
        () => runInWorker(work, "", []),
        TypeError,
        /'exportName' must be the non-empty name of an exported function/,
      ],
      [
        () => runInWorker(work, Symbol("s") as never, []),
        TypeError,
        /'exportName' .*current value is Symbol\(s\)/,
      ],
      [
        () => runInWorker(work, "add", 1 as never),
        TypeError,
        /'args' must be an array of arguments: current value is 1/,
      ],
      [
        () => runInWorker(work, "echo", [() => 1]),
        TypeError,
        /^Cannot run _test_work\.ts#echo in worker: 'args' cannot be cloned to the worker/,
      ],
      [
        () => runInWorker(work, "echo", [Symbol("s")]),
        TypeError,
        /'args' cannot be cloned/,
      ],
      [
        () => runInWorker(work, "add", [], null as never),
        TypeError,
        /^Cannot run in worker: 'options' must be an object: current value is null$/,
      ],
      [
        () => runInWorker(work, "add", [], 5 as never),
        TypeError,
        /'options' must be an object/,
      ],
      [
        () => runInWorker(work, "add", [], { grace: -1 }),
        RangeError,
        /'grace'/,
      ],
      [
        () => runInWorker(work, "add", [], { grace: NaN }),
        RangeError,
        /'grace'/,
      ],
      [
        () => runInWorker(work, "add", [], { transfer: "x" as never }),
        TypeError,
        /'transfer' must be an array of transferable objects/,
      ],
    ];
    for (const [call, Class, message] of cases) {
      let outcome: Promise<unknown>;
      try {
        outcome = call();
      } catch (error) {
        outcome = Promise.reject(error);
      }
      await assert.rejects(outcome, (error: Error) => {
        assert.ok(error instanceof Class, `${error}`);
        assert.match(error.message, message);
        return true;
      });
    }
    assert.equal(started(), 0);
  });
});

Deno.test("runInWorker(): arguments that cannot be cloned fail clearly even with a transfer list (Deno 2.9 detaches the listed buffer anyway; Node and Bun keep it)", async () => {
  const buffer = new ArrayBuffer(8);
  await assert.rejects(
    runInWorker(work, "echo", [buffer, () => 1], { transfer: [buffer] }),
    /'args' cannot be cloned/,
  );
  // Deno detaches a listed buffer even when the clone fails (structuredClone
  // and postMessage alike); Node and Bun leave it as it was.
  assert.equal(buffer.byteLength, 0);
});

Deno.test("new WorkerPool() rejects bad options with a clear error", () => {
  const cases: [unknown, ErrorConstructor, RegExp][] = [
    [
      undefined,
      TypeError,
      /^Cannot create worker pool: 'options' must be an object: current value is undefined$/,
    ],
    [null, TypeError, /'options' must be an object: current value is null/],
    ["x", TypeError, /'options' must be an object: current value is "x"/],
    [{ size: 2 }, TypeError, /'module' must be a URL/],
    [
      { module: work },
      TypeError,
      /'size' must be a number: current value is undefined/,
    ],
    [
      { module: work, size: 0 },
      RangeError,
      /^Cannot create worker pool: 'size' must be a positive integer: current value is 0$/,
    ],
    [
      { module: work, size: 1.5 },
      RangeError,
      /'size' must be a positive integer: current value is 1\.5/,
    ],
    [
      { module: work, size: NaN },
      RangeError,
      /'size' must be a positive integer: current value is NaN/,
    ],
    [
      { module: work, size: Infinity },
      RangeError,
      /'size' must be a positive integer/,
    ],
    [{ module: work, size: "2" }, TypeError, /'size' must be a number/],
    [{ module: work, size: 1, grace: -5 }, RangeError, /'grace'/],
    [{ module: work, size: 1, name: 3 }, TypeError, /'name' must be a string/],
    [
      { module: work, size: 0, name: "cpu" },
      RangeError,
      /^Cannot create worker pool "cpu": 'size'/,
    ],
  ];
  for (const [options, Class, message] of cases) {
    assert.throws(() => new WorkerPool(options as never), (error: Error) => {
      assert.ok(error instanceof Class, `${error}`);
      assert.match(error.message, message);
      return true;
    });
  }
});

Deno.test("WorkerPool: bad calls get a clear error before any worker starts", async () => {
  await countingWorkers(async (started) => {
    const pool = new WorkerPool({ module: work, size: 1, name: "cpu" });
    await assert.rejects(
      pool.run("add", [1, 2]),
      /^Error: Cannot run in worker pool "cpu": the pool is not open yet/,
    );
    assert.throws(() => pool.open(Promise.resolve() as never), TypeError);
    await pool.open(async () => {
      await assert.rejects(pool.run("nope", []), /has no export named "nope"/);
      await assert.rejects(pool.run("notAFunction", []), /must be a function/);
      assert.throws(() => pool.run(7 as never, []), /'exportName'/);
      assert.throws(
        () => pool.run("add", null as never),
        /'args' must be an array/,
      );
      assert.throws(
        () => pool.run("add", [], null as never),
        /'options' must be an object/,
      );
      await assert.rejects(
        pool.run("echo", [() => 1]),
        /'args' cannot be cloned/,
      );
      assert.equal(started(), 0);
      // With a worker idle, a message that cannot be cloned leaves it idle.
      assert.equal(await pool.run("add", [1, 2]), 3);
      await assert.rejects(
        pool.run("echo", [() => 1]),
        /'args' cannot be cloned/,
      );
      assert.equal(await pool.run("add", [2, 2]), 4);
      assert.equal(started(), 1);
    });
    await assert.rejects(
      pool.open(() => {}),
      /^Error: Cannot open worker pool "cpu": it was opened before/,
    );
  });
});

Deno.test("markTransferable() and transfer() reject bad input", () => {
  assert.throws(() => markTransferable({} as never), {
    message:
      /^Cannot mark context variable transferable: 'variable' must be a Variable/,
  });
  assert.throws(
    () => markTransferable(new Variable()),
    /the variable has no name/,
  );
  const a = markTransferable(new Variable({ name: "bad-input.a" }));
  assert.equal(markTransferable(a), a);
  assert.throws(
    () => markTransferable(new Variable({ name: "bad-input.a" })),
    /another variable named "bad-input.a" is already transferable/,
  );
  assert.throws(() => transfer(1, "x" as never), {
    message: /^Cannot transfer result: 'transfer' must be an array/,
  });
});
