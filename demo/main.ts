// Copyright the corral authors. MIT license.
/**
 * corral demo: a small structured service, run with one command
 * (`deno task demo`).
 *
 * On 127.0.0.1 it starts three upstreams (upstream-a is slow) and a gateway
 * that races them Happy-Eyeballs style, all as tasks of one task group.
 * Then:
 *
 * 1. a burst of requests: a race won by upstream-b (upstream-a cancelled),
 *    a failover to upstream-c, a deadline that runs out in the upstream, a
 *    client that disconnects midway, which waited in line for the slow
 *    upstream (three calls at most in flight to each); the live task tree
 *    is printed once, showing who waits;
 * 2. a graceful shutdown of the gateway with two requests in flight: one
 *    finishes within the grace period, the other is cancelled; a request
 *    that comes after is refused;
 * 3. a response streamed from a producer (`@corral/stream`) with a timeout
 *    around each read; the client hangs up after three ticks and the
 *    producer is cancelled, its `finally` run;
 * 4. a summary, and checks that all of it happened (exit code 1 if not).
 *
 * @module
 */
import { contextBackend } from "@corral/context";
import { now, sleep, sleepUntil } from "@corral/scope";
import { taskGroup, taskTree } from "@corral/taskgroup";
import { WorkerPool } from "@corral/worker";
import { type Plan, sendRequest } from "./client.ts";
import { startGateway } from "./gateway.ts";
import { block, elapsed, say } from "./log.ts";
import { printSummary, runChecks } from "./report.ts";
import type { Server } from "./server.ts";
import { streaming } from "./stream.ts";
import { startUpstream } from "./upstream.ts";

/** How long the gateway's running requests may take once shutdown begins. */
const GRACE_MS = 600;

/** Part 1's requests, sent 50 ms apart. */
const BURST: Plan[] = [
  { id: "req-1" },
  { id: "req-2", fail: ["upstream-b"] },
  { id: "req-3", deadline: 300 }, // too short for any upstream
  { id: "req-4", disconnectAfter: 380 },
];

/** The task tree as printed mid-flight. */
let tree = "";

/** Part 1: the burst, and the task tree while requests are in flight. */
async function burst(url: string): Promise<void> {
  say("part 1: a burst of requests");
  await taskGroup(async function clients(group) {
    const start = now();
    group.spawn(async function showTree() {
      // req-1, req-2, req-3 each hold one of upstream-a's 3 tokens; req-4's
      // first attempt waits in line for one. Shown once it does (a loaded
      // machine can be late to send), 1 s after the start at the latest.
      await sleepUntil(start + 250);
      tree = taskTree();
      while (!tree.includes("(waiting on limiter") && now() < start + 1_000) {
        await sleep(10);
        tree = taskTree();
      }
      block("the live task tree, from taskTree():", tree);
    }, { name: "show tree" });
    for (const [index, plan] of BURST.entries()) {
      await sleepUntil(start + 50 * index);
      sendRequest(group, url, plan);
    }
  }, { name: "clients" });
}

/** Part 2: graceful shutdown of the gateway with two requests in flight. */
async function shutdown(gateway: Server): Promise<void> {
  say("part 2: graceful shutdown");
  await taskGroup(async function clients(group) {
    sendRequest(group, gateway.url, { id: "req-5" });
    // Only the slow upstream-a can answer req-6: it outlasts the grace.
    const fail = ["upstream-b", "upstream-c"];
    sendRequest(group, gateway.url, { id: "req-6", fail });
    await sleep(100);
    say(`shutting down: no new connections, ${GRACE_MS} ms grace`, "gateway");
    group.spawn(() => gateway.stop(), { name: "stop gateway" });
    await sleep(50);
    sendRequest(group, gateway.url, { id: "req-7" });
  }, { name: "clients" });
}

/** The whole demo: servers, both parts, then the upstreams' shutdown. */
async function main(): Promise<void> {
  say(
    `starting three upstreams and a gateway on 127.0.0.1 (context backend: ${contextBackend})`,
  );
  // upstream-a computes its answers in two workers; the pool lives around
  // the servers, and when it closes no worker is left.
  const pool = new WorkerPool({
    module: new URL("./quote_work.ts", import.meta.url),
    size: 2,
    name: "upstream-a",
  });
  await pool.open(() =>
    taskGroup(async function demo(group) {
      const upstreams = [
        // slow (3 s of CPU work in a worker): loses races
        await startUpstream(group, "upstream-a", 3_000, pool),
        await startUpstream(group, "upstream-b", 200),
        await startUpstream(group, "upstream-c", 200),
      ];
      const gateway = await startGateway(group, upstreams, GRACE_MS);
      await burst(gateway.url);
      await shutdown(gateway);
      await streaming(group);
      for (const upstream of upstreams) await upstream.stop();
    }, { name: "demo" })
  );

  const time = elapsed();
  printSummary(time);
  const checks = runChecks(tree, time);
  console.log("\n  checks");
  for (const [what, ok] of checks) {
    console.log(`    ${ok ? "ok  " : "FAIL"}  ${what}`);
  }
  const failed = checks.filter(([, ok]) => !ok).length;
  if (failed > 0) {
    console.log(`\n  ${failed} of ${checks.length} checks FAILED`);
    Deno.exitCode = 1;
  } else {
    console.log(`\n  all ${checks.length} checks passed`);
  }
}

await main();
