// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import {
  Cancelled,
  CancelScope,
  checkpoint,
  moveOnAfter,
  now,
  sleep,
  sleepForever,
  TimeoutError,
} from "@corral/scope";
import { MockClock } from "@corral/scope/testing";
import { taskGroup } from "@corral/taskgroup";
import { iterate, iterateWithTimeout } from "./iterate.ts";
import { deferred } from "./_test_util.ts";

/**
 * Waits, a macrotask turn at a time, until `done()` holds (at most 1,000
 * turns). A fixed real `sleep(1)` here was flaky under `--parallel`: a
 * loaded machine ran the timer before the generator's cleanup.
 */
async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1_000 && !done(); turn++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** A stream that enqueues `items`, then stays open; records its cancel. */
function streamOf<T>(items: T[], log: unknown[]): ReadableStream<T> {
  return new ReadableStream<T>({
    start(controller) {
      for (const item of items) controller.enqueue(item);
    },
    cancel(reason) {
      log.push(["cancelled", reason]);
    },
  });
}

Deno.test("iterate() yields every item of an async iterable and of a stream", async () => {
  async function* three() {
    yield 1;
    yield 2;
    yield 3;
  }
  const seen: number[] = [];
  for await (const item of iterate(three())) seen.push(item);
  assert.deepEqual(seen, [1, 2, 3]);

  const stream = new ReadableStream<string>({
    start(controller) {
      controller.enqueue("a");
      controller.enqueue("b");
      controller.close();
    },
  });
  const chunks: string[] = [];
  for await (const chunk of iterate(stream)) chunks.push(chunk);
  assert.deepEqual(chunks, ["a", "b"]);
  assert.equal(stream.locked, false, "the reader was released");
});

Deno.test("iterate() cancelled during a wait cancels the stream and throws Cancelled", async () => {
  const clock = new MockClock({ autojump: true });
  const log: unknown[] = [];
  const stream = streamOf(["x"], log);
  const scope = new CancelScope({ timeout: 100, name: "reader" });
  const seen: string[] = [];
  let caught: unknown;
  await clock.run(() =>
    scope.run(async () => {
      try {
        for await (const chunk of iterate(stream)) seen.push(chunk);
      } catch (error) {
        caught = error;
        throw error;
      }
    })
  );
  assert.deepEqual(seen, ["x"]);
  assert.ok(caught instanceof Cancelled);
  assert.ok(scope.cancelCaught);
  assert.deepEqual(log, [["cancelled", scope.reason]]);
  assert.equal(stream.locked, false);
});

Deno.test("iterate() closes the source when the loop exits early", async () => {
  let finallyRan = false;
  async function* endless() {
    try {
      for (let i = 0;; i++) yield i;
    } finally {
      finallyRan = true;
    }
  }
  for await (const item of iterate(endless())) if (item === 2) break;
  assert.ok(finallyRan, "return() was called on break");

  const log: unknown[] = [];
  await assert.rejects(async () => {
    for await (const _ of iterate(streamOf([1, 2], log))) {
      throw new Error("consumer failed");
    }
  }, { message: "consumer failed" });
  assert.deepEqual(log, [["cancelled", undefined]]);
});

Deno.test("iterate() is a checkpoint: a cancelled scope throws even when an item is ready", async () => {
  const scope = new CancelScope();
  const seen: number[] = [];
  let finallyRan = false;
  async function* ready() {
    try {
      yield 1;
      yield 2;
      yield 3;
    } finally {
      finallyRan = true;
    }
  }
  await scope.run(async () => {
    for await (const item of iterate(ready())) {
      seen.push(item);
      scope.cancel();
      try {
        await checkpoint();
      } catch {
        // swallowed: level-triggered, the next wait throws again
      }
    }
  });
  assert.deepEqual(seen, [1]);
  assert.ok(finallyRan && scope.cancelCaught);
});

// Semantics case 157 (trio-asyncio `test_calls.py::test_trio_asyncio_generator_with_cancellation`):
// a foreign async generator iterated from structured code whose group is
// cancelled: the iteration stops and the generator is not resumed.
Deno.test("semantics 157: a group cancelled while iterating a foreign generator stops it; the generator is not resumed", async () => {
  const gate = deferred<void>();
  const silent = deferred<void>();
  const steps: string[] = [];
  async function* foreign() {
    try {
      yield "first";
      silent.resolve();
      await gate.promise; // silent, as foreign code can be
      yield "second";
      steps.push("resumed after second (must not happen)");
    } finally {
      steps.push("generator finally");
    }
  }
  await taskGroup(async (group) => {
    group.spawn(async () => {
      for await (const item of iterate(foreign())) steps.push(item);
    });
    await silent.promise; // the consumer waits on the silent generator
    group.cancel("stop reading");
  });
  assert.deepEqual(steps, ["first"], "cancelled promptly, while silent");
  gate.resolve(); // the generator yields "second"; its queued return() runs
  await until(() => steps.length === 2);
  assert.deepEqual(steps, ["first", "generator finally"]);
});

Deno.test("iterate() lets a source's error through", async () => {
  async function* failing() {
    yield 1;
    throw new Error("source broke");
  }
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const item of iterate(failing())) seen.push(item);
  }, { message: "source broke" });
  assert.deepEqual(seen, [1]);
});

Deno.test("iterate() refuses a second next() while one is pending", async () => {
  const gate = deferred<void>();
  async function* slow() {
    await gate.promise;
    yield 1;
  }
  const iterator = iterate(slow());
  const first = iterator.next();
  await assert.rejects(iterator.next(), {
    message:
      "Cannot call next(): the previous next() has not settled; iterate with for await",
  });
  gate.resolve();
  assert.deepEqual(await first, { done: false, value: 1 });
  assert.deepEqual(await iterator.next(), { done: true, value: undefined });
});

// The PEP 789 bug (seeds/001): `with timeout(): yield await anext(it)` times
// the consumer's work too, since the generator is suspended inside the
// timeout's scope. Here only the wait for the next item is timed.
Deno.test("iterateWithTimeout() times only the wait: a slow consumer never trips it", async () => {
  const clock = new MockClock({ autojump: true });
  async function* quick() {
    for (let i = 0; i < 5; i++) {
      await sleep(50); // each item within the 100 ms budget
      yield i;
    }
  }
  const seen = await clock.run(async () => {
    const seen: number[] = [];
    for await (const item of iterateWithTimeout(quick(), 100)) {
      seen.push(item);
      await sleep(10_000); // far longer than the timeout, between items
    }
    return seen;
  });
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
  assert.equal(clock.now(), 5 * 50 + 5 * 10_000);
});

Deno.test("iterateWithTimeout() with moveOn ends the loop when a wait outlasts the timeout", async () => {
  const clock = new MockClock({ autojump: true });
  const gate = deferred<void>();
  let finallyRan = false;
  async function* stalls() {
    try {
      yield "a";
      await gate.promise; // foreign and silent: no checkpoint inside
      yield "late";
    } finally {
      finallyRan = true;
    }
  }
  const seen = await clock.run(async () => {
    const seen: string[] = [];
    const items = iterateWithTimeout(stalls(), 100, { onTimeout: "moveOn" });
    for await (const item of items) seen.push(item);
    seen.push(`after the loop at ${now()}`);
    return seen;
  });
  assert.deepEqual(seen, ["a", "after the loop at 100"]);
  assert.equal(finallyRan, false, "still stuck in its await");
  gate.resolve(); // it yields "late" (dropped), then its queued return() runs
  await until(() => finallyRan);
  assert.ok(finallyRan);
});

Deno.test("iterateWithTimeout() with fail throws TimeoutError and cancels the stream", async () => {
  const clock = new MockClock({ autojump: true });
  const log: unknown[] = [];
  const error = await clock.run(async () => {
    try {
      for await (const _ of iterateWithTimeout(streamOf([1], log), 20)) {
        // consume
      }
    } catch (error) {
      return error;
    }
  });
  assert.ok(error instanceof TimeoutError);
  assert.equal(error.name, "TimeoutError");
  assert.equal(error.message, "No item within 20 ms");
  assert.ok(error.cause instanceof Cancelled);
  assert.equal((error.cause as Cancelled).source, "deadline");
  assert.equal(log.length, 1);
});

Deno.test("iterateWithTimeout() lets an enclosing cancellation through as itself (rule 9)", async () => {
  const clock = new MockClock({ autojump: true });
  const outer = new CancelScope({ timeout: 50, name: "outer" });
  let caught: unknown;
  await clock.run(() =>
    outer.run(async () => {
      try {
        for await (
          const _ of iterateWithTimeout(iterate(sleepingSource()), 1_000)
        ) {
          // never
        }
      } catch (error) {
        caught = error;
        throw error;
      }
    })
  );
  assert.ok(caught instanceof Cancelled, "not a TimeoutError");
  assert.ok(outer.cancelCaught);
  assert.equal(clock.now(), 50);
});

async function* sleepingSource(): AsyncGenerator<never> {
  yield await sleepForever();
}

Deno.test("iterate() and iterateWithTimeout() throw for bad input", () => {
  for (const bad of [42, null, "abc", {}, [1, 2]]) {
    assert.throws(
      () => iterate(bad as unknown as AsyncIterable<unknown>),
      {
        name: "TypeError",
        message:
          `Cannot iterate: 'source' must be an async iterable or a ReadableStream: current value is ${
            typeof bad === "string" ? JSON.stringify(bad) : String(bad)
          }`,
      },
    );
  }
  const locked = new ReadableStream();
  const reader = locked.getReader();
  assert.throws(() => iterate(locked), {
    name: "TypeError",
    message: /locked/,
  });
  reader.releaseLock();
  for (const ms of [NaN, -1]) {
    assert.throws(() => iterateWithTimeout(sleepingSource(), ms), {
      name: "RangeError",
      message:
        `Cannot call iterateWithTimeout(): 'ms' must be a non-negative number: current value is ${ms}`,
    });
  }
  assert.throws(
    () =>
      iterateWithTimeout(sleepingSource(), 1, {
        onTimeout: "skip" as "fail",
      }),
    {
      name: "TypeError",
      message:
        `Cannot call iterateWithTimeout(): 'onTimeout' must be "moveOn" or "fail": current value is "skip"`,
    },
  );
});

Deno.test("iterate() under moveOnAfter: the timeout of the whole loop includes the consumer", async () => {
  // The contrast with iterateWithTimeout: a scope around the loop times
  // everything inside it, by design.
  const clock = new MockClock({ autojump: true });
  async function* quick() {
    for (let i = 0;; i++) yield i;
  }
  const seen: number[] = [];
  await clock.run(() =>
    moveOnAfter(25, async () => {
      for await (const item of iterate(quick())) {
        seen.push(item);
        await sleep(10);
      }
    })
  );
  assert.deepEqual(seen, [0, 1, 2]);
});
