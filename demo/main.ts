// Copyright the corral authors. MIT license.
/**
 * Demo of `@corral/context`: three requests handled at once, each with its
 * own request id in a context Variable. Every log line reads the id from the
 * Variable (never from an argument) and checks it against the id it expects,
 * so the demo exits non-zero if a value ever went to the wrong request.
 *
 * Run with `deno task demo`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { bindGenerator, Snapshot, Variable } from "../packages/context/mod.ts";

const requestId = new Variable<string>({ name: "requestId" });
const start = performance.now();

/** Prints a line tagged with the current request id, and checks that id. */
function log(expected: string | undefined, message: string): void {
  const id = requestId.get();
  const ms = (performance.now() - start).toFixed(0).padStart(3);
  console.log(`${ms} ms [${id ?? "no request"}] ${message}`);
  assert.equal(id, expected, `"${message}" ran in the wrong context`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function loadUser(expected: string, ms: number): Promise<string> {
  log(expected, `loadUser: querying (${ms} ms)`);
  await sleep(ms);
  log(expected, "loadUser: got the row");
  return `user-of-${requestId.get()}`;
}

async function handle(id: string, ms: number): Promise<string> {
  log(id, "handle: start");
  const user = await loadUser(id, ms);
  // A timer callback sees the id of the request that set the timer.
  await new Promise<void>((resolve) =>
    setTimeout(() => {
      log(id, `setTimeout callback for ${user}`);
      resolve();
    }, ms)
  );
  log(id, "handle: done");
  return user;
}

// Three concurrent requests; different delays make their lines interleave.
const users = await Promise.all(
  [["r-1", 12], ["r-2", 4], ["r-3", 8]].map(([id, ms]) =>
    requestId.run(id as string, handle, id as string, ms as number)
  ),
);
assert.deepEqual(users, ["user-of-r-1", "user-of-r-2", "user-of-r-3"]);
log(undefined, `all done: ${users.join(", ")}`);

// A callback wrapped inside r-1 runs in r-1 whoever calls it, and later.
const onFinish = requestId.run(
  "r-1",
  () =>
    Snapshot.wrap(() => log("r-1", "Snapshot.wrap callback called from r-9")),
);
requestId.run("r-9", onFinish);

// A bound generator resumes in the request that created it; a plain one
// sees the context of whoever calls next().
function* report(kind: string, expected: string) {
  log(expected, `${kind} generator created in r-2, resumed from r-3`);
  yield;
}
const bound = requestId.run("r-2", () => bindGenerator(report)("bound", "r-2"));
const plain = requestId.run("r-2", () => report("plain", "r-3"));
requestId.run("r-3", () => {
  bound.next();
  plain.next();
});
