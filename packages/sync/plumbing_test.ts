// Copyright the corral authors. MIT license.
// Tests of @corral/sync/plumbing: waitForToken.
import assert from "node:assert/strict";
import { CapacityLimiter } from "./mod.ts";
import { waitForToken } from "./plumbing.ts";
import { onClock } from "./_test_helpers.ts";

Deno.test("waitForToken(): queued FIFO with promise waiters; a withdrawn wait holds nothing; a granted one cannot be withdrawn", async () => {
  await onClock(async () => {
    const limiter = new CapacityLimiter(1);
    const log: string[] = [];
    assert.equal(waitForToken(limiter, "a", () => log.push("a"))(), false);
    const b = limiter.acquire("b").then(() => log.push("b"));
    const withdrawC = waitForToken(limiter, "c", () => log.push("c"));
    const withdrawD = waitForToken(limiter, "d", () => log.push("d"));
    assert.equal(limiter.statistics().tasksWaiting, 3);
    limiter.release("a");
    await b;
    assert.equal(withdrawC(), true);
    limiter.release("b");
    assert.deepEqual(log, ["a", "b", "d"]);
    assert.equal(withdrawD(), false);
    assert.deepEqual(limiter.statistics().borrowers, ["d"]);
    assert.throws(() => waitForToken(limiter, "d", () => {}), /already holds/);
    limiter.release("d");
    assert.equal(limiter.borrowed, 0);
  });
});
