// Copyright the corral authors. MIT license.
/**
 * `@corral/worker` on every runtime (Web `Worker` on Bun,
 * `node:worker_threads` on Node and Deno): a call returns, throws the
 * worker's error, is cancelled into the worker (its `finally` runs) or
 * terminated after the grace period (its thread stops, even in a loop), carries the deadline and transferable context
 * variables, moves buffers, and a pool reuses and replaces its workers.
 *
 * On Node the workers load the packages' `.ts` sources too: `node_esm.mjs`
 * registers tsx in each worker thread.
 *
 * @module
 */
import assert from "node:assert/strict";
import { CancelScope, moveOnAfter } from "@corral/scope";
import { runInWorker, WorkerPool } from "@corral/worker";
import { requestId } from "./_worker_work.ts";
import { test } from "./harness.ts";

const work = new URL("./_worker_work.ts", import.meta.url);
const slow = { timeout: 30_000 };

/** A port for the worker, and the messages it sent back. */
function probe(): {
  port: MessagePort;
  next: () => Promise<unknown>;
  close: () => void;
} {
  const { port1, port2 } = new MessageChannel();
  const seen: unknown[] = [];
  const waiting: ((value: unknown) => void)[] = [];
  port1.onmessage = (event: MessageEvent) => {
    const wake = waiting.shift();
    if (wake) wake(event.data);
    else seen.push(event.data);
  };
  return {
    port: port2,
    next: () =>
      seen.length > 0
        ? Promise.resolve(seen.shift())
        : new Promise((resolve) => waiting.push(resolve)),
    close: () => port1.close(),
  };
}

test(
  "worker: runInWorker returns the value; the worker's error comes back with its class and cause",
  async () => {
    assert.equal(await runInWorker(work, "add", [2, 3]), 5);
    const error = await runInWorker(work, "fail", []).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    assert.ok(error instanceof RangeError);
    assert.equal(error.message, "bad value");
    assert.ok(error.cause instanceof TypeError);
  },
  slow,
);

test(
  "worker: a cancel reaches the worker's scope; its finally runs before the call returns",
  async () => {
    const { port, next, close } = probe();
    const scope = new CancelScope();
    try {
      const call = scope.run(() =>
        runInWorker(work, "sleepy", [60_000, port], { transfer: [port] })
      );
      assert.equal(await next(), "started");
      scope.cancel();
      assert.equal(await call, undefined);
      assert.equal(await next(), "cleanup");
    } finally {
      close();
    }
  },
  slow,
);

test(
  "worker: a loop with no checkpoint is terminated after the grace period, and its thread stops",
  async () => {
    const { port, next, close } = probe();
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const scope = new CancelScope();
    try {
      const call = scope.run(() =>
        runInWorker(work, "spinCounting", [60_000, counter, port], {
          transfer: [port],
          grace: 20,
        })
      );
      assert.equal(await next(), "started");
      const at = performance.now();
      scope.cancel();
      assert.equal(await call, undefined);
      assert.ok(performance.now() - at < 1_000);
      // Bun stops a loop that keeps calling a host function
      // (`performance.now()` here) only 5-220 ms after terminate(), unless
      // started with BUN_JSC_usePollingTraps=1 (the package README says
      // so): there the thread gets 300 ms to stop before it is watched.
      if (typeof (globalThis as { Bun?: unknown }).Bun !== "undefined") {
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      // A thread still running keeps counting: watched for 500 ms (a
      // loaded machine may leave a live thread unscheduled for a while).
      const count = Atomics.load(counter, 0);
      for (let waited = 0; waited < 500; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        assert.equal(Atomics.load(counter, 0), count, "the thread still runs");
      }
    } finally {
      close();
    }
  },
  slow,
);

test(
  "worker: the deadline and transferable context variables cross; buffers move",
  async () => {
    const left = await moveOnAfter(
      60_000,
      () => runInWorker<number>(work, "remaining", []),
    );
    assert.ok(left! > 50_000 && left! <= 60_000);
    assert.equal(
      await requestId.run("r-1", () => runInWorker(work, "readRequestId", [])),
      "r-1",
    );
    const buffer = new Uint8Array([1, 2, 3]).buffer;
    const back = await runInWorker<ArrayBuffer>(work, "double", [buffer], {
      transfer: [buffer],
    });
    assert.equal(buffer.byteLength, 0);
    assert.deepEqual([...new Uint8Array(back)], [2, 4, 6]);
  },
  slow,
);

test(
  "worker: a pool reuses its workers, replaces one terminated by a cancel, and leaves none after open()",
  async () => {
    const pool = new WorkerPool({ module: work, size: 2, grace: 10 });
    await pool.open(async () => {
      assert.deepEqual(
        await Promise.all([1, 2, 3, 4].map((n) => pool.run("add", [n, n]))),
        [2, 4, 6, 8],
      );
      assert.equal(pool.workers, 2);
      const { port, next, close } = probe();
      try {
        const scope = new CancelScope();
        const call = scope.run(() =>
          pool.run("spin", [60_000, port], { transfer: [port] })
        );
        assert.equal(await next(), "started");
        scope.cancel();
        assert.equal(await call, undefined);
      } finally {
        close();
      }
      assert.equal(pool.workers, 1);
      assert.deepEqual(
        await Promise.all([pool.run("add", [1, 1]), pool.run("add", [2, 2])]),
        [2, 4],
      );
      assert.equal(pool.workers, 2);
    });
    assert.equal(pool.workers, 0);
  },
  slow,
);
