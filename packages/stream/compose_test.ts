// Copyright the corral authors. MIT license.
// produce() and friends composed with @corral/interop's iterateWithTimeout:
// a timeout per item that never covers the consumer's own work (the seed's
// PEP 789 example, made safe).
import assert from "node:assert/strict";
import { sleep, TimeoutError } from "@corral/scope";
import { iterateWithTimeout } from "jsr:@corral/interop@0.1.0";
import { mapStream, produce } from "./mod.ts";
import { idle, onClock, rejection } from "./_test_helpers.ts";

/** A producer whose i-th item takes `delays[i]` ms; logs its end. */
function slowFeed(delays: number[], log: string[]) {
  return produce<number>(async (send) => {
    try {
      for (const [i, delay] of delays.entries()) {
        await sleep(delay);
        await send(i);
      }
    } catch (error) {
      log.push((error as Error).name);
      throw error;
    } finally {
      log.push("producer ended");
    }
  });
}

Deno.test("iterateWithTimeout over produce(): the timeout covers each read, never the consumer's work", async () => {
  await onClock(async (clock) => {
    const log: string[] = [];
    const seen: number[] = [];
    const error = await rejection((async () => {
      for await (
        const i of iterateWithTimeout(slowFeed([10, 90, 500], log), 100)
      ) {
        seen.push(i);
        await sleep(1_000); // slow consumer: not timed
      }
    })());
    assert.ok(error instanceof TimeoutError);
    assert.deepEqual(seen, [0, 1]);
    // 10 + 1000 + 90 + 1000, then the third read times out after 100 ms
    // (lock-step: the producer starts item 2 when the consumer asks).
    assert.equal(clock.now(), 2_200);
    await idle(); // iterateWithTimeout does not await return() mid-read
    assert.deepEqual(log, ["Cancelled", "producer ended"]);
  });
});

Deno.test("iterateWithTimeout over produce() with onTimeout moveOn ends the loop and the producer", async () => {
  await onClock(async () => {
    const log: string[] = [];
    const seen: number[] = [];
    for await (
      const i of iterateWithTimeout(slowFeed([10, 20, 500, 10], log), 100, {
        onTimeout: "moveOn",
      })
    ) seen.push(i);
    assert.deepEqual(seen, [0, 1]);
    await idle();
    assert.deepEqual(log, ["Cancelled", "producer ended"]);
  });
});

Deno.test("iterateWithTimeout over produce(): break waits for the producer's end", async () => {
  await onClock(async () => {
    const log: string[] = [];
    for await (
      const i of iterateWithTimeout(slowFeed([10, 10, 10], log), 100)
    ) {
      if (i === 1) break;
    }
    assert.deepEqual(log, ["Cancelled", "producer ended"]);
  });
});

Deno.test("iterateWithTimeout over mapStream(): a per-result timeout", async () => {
  await onClock(async () => {
    const results = mapStream(
      [5, 10, 400, 5],
      async (ms) => (await sleep(ms), ms),
      {
        limit: 2,
      },
    );
    const seen: number[] = [];
    for await (
      const ms of iterateWithTimeout(results, 100, { onTimeout: "moveOn" })
    ) seen.push(ms);
    assert.deepEqual(seen, [5, 10]);
  });
});
