// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";

/** Runs `deno run -A demo/main.ts` and returns its exit code and output. */
async function runDemo(): Promise<{ code: number; stdout: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./main.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  if (output.code !== 0) console.error(stdout, stderr);
  return { code: output.code, stdout };
}

Deno.test("demo/main.ts runs the structured service, exits 0 and shows every behaviour", async () => {
  const startedAt = performance.now();
  const { code, stdout } = await runDemo();
  const took = performance.now() - startedAt;
  assert.equal(code, 0, "the demo's own checks failed (see its output)");
  assert.ok(took < 15_000, `the demo took ${took} ms`);

  const expected: [string, RegExp][] = [
    ["servers on loopback", /\[-\] +gateway +listening on 127\.0\.0\.1:\d+/],
    // Happy Eyeballs: upstream-b wins, the slow upstream-a is cancelled,
    // and the upstream's finally runs.
    [
      "race winner",
      /\[req-1\] gateway +attempt 1 \(upstream-b\) answered/,
    ],
    [
      "race loser cancelled",
      /\[req-1\] gateway +attempt 0 \(upstream-a\) cancelled: attempt 1 won the race/,
    ],
    [
      "loser's upstream cleans up",
      /\[req-1\] upstream-a +cancelled: the gateway disconnected\n.*\[req-1\] upstream-a +finally: cleaned up/,
    ],
    ["client success", /\[req-1\] client +got 200 .*"quote from upstream-b"/],
    [
      "failover",
      /\[req-2\] gateway +attempt 2 \(upstream-c\) started/,
    ],
    // The deadline crosses the gateway into the upstream.
    [
      "deadline header received",
      /\[req-3\] upstream-a +started, deadline \d+ ms \(corral-timeout/,
    ],
    [
      "upstream stops at the deadline",
      /\[req-3\] upstream-a +finally: cleaned up/,
    ],
    ["gateway 504", /\[req-3\] gateway +504: the \d+ ms deadline ran out/],
    ["client sees 504", /\[req-3\] client +got 504/],
    // A client disconnect cancels the work in every service.
    ["client disconnects", /\[req-4\] client +disconnects after/],
    [
      "gateway cancels",
      /\[req-4\] gateway +cancelled: the client disconnected/,
    ],
    [
      "upstream cancels",
      /\[req-4\] upstream-a +cancelled: the gateway disconnected/,
    ],
    // The task tree, mid-flight.
    ["task tree", /the live task tree[^\n]*\n( +[│├└ ─]*group "demo")/],
    ["race in the tree", /group "race" \(\d tasks?\)\n.*task "attempt 0"/],
    // Graceful shutdown.
    ["shutdown", /\[-\] +gateway +shutting down: no new connections/],
    ["finished within the grace period", /\[req-5\] client +got 200/],
    [
      "cancelled after the grace period",
      /\[req-6\] gateway +cancelled: gateway shut down: the grace period is over/,
    ],
    ["503 after the grace period", /\[req-6\] client +got 503/],
    ["refused", /\[req-7\] client +connection refused/],
    ["gateway stopped", /\[-\] +gateway +stopped/],
    ["summary", /summary\n +requests +7\n +successes +3/],
    // A response streamed from a producer; the client hangs up.
    ["stream read", /\[req-8\] client +read "tick 3, read at \d+ ms"/],
    [
      "producer cancelled on hang-up",
      /\[req-8\] ticker +producer cancelled after \d+ ticks/,
    ],
    ["producer finally", /\[req-8\] ticker +producer finally: feed closed/],
    ["checks", /all \d+ checks passed/],
  ];
  for (const [what, pattern] of expected) {
    assert.match(stdout, pattern, `missing: ${what}`);
  }

  // Every log line has the same columns: time, [request id], service.
  const lines = stdout.split("\n").filter((line) =>
    /^ *\d+ ms {2}\[/.test(line)
  );
  assert.ok(lines.length > 50);
  for (const line of lines) {
    assert.match(line, /^ {0,4}\d{1,5} ms {2}\[(req-\d|-)\] +\S+ +\S/);
    assert.equal(line.indexOf(" ms  ["), 5, `time column: ${line}`);
    assert.match(line.slice(17, 30), /^ \S+ +$/, `service column: ${line}`);
  }
  // Request work in every service logs its request's id.
  for (const service of ["client", "gateway", "upstream-a", "upstream-b"]) {
    assert.ok(lines.some((line) => line.includes(`] ${service.padEnd(10)}`)));
  }
  assert.ok(
    !lines.some((line) => /\[-\] +client/.test(line)),
    "a client line lost its request id",
  );
});
