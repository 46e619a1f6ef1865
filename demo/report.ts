// Copyright the corral authors. MIT license.
/**
 * The end of the demo: a summary table of the requests, and the checks
 * that each behaviour the demo promises really happened, read from the
 * log and from what the clients saw.
 *
 * @module
 */
import { type Outcome, outcomes } from "./client.ts";
import { contextLost, events, logged, ms, type Service } from "./log.ts";
import { streamed } from "./stream.ts";

/** Prints the summary table: how the requests ended, and the time taken. */
export function printSummary(time: number): void {
  const rows: [string, Outcome[]][] = [
    ["successes", ["success"]],
    ["timeouts", ["timeout"]],
    ["cancellations", ["disconnected", "cancelled by shutdown"]],
    ["refused", ["refused"]],
    ["failures", ["failed"]],
  ];
  const all = [...outcomes.entries()];
  console.log("\n  summary");
  console.log(`    ${"requests".padEnd(14)} ${String(all.length).padStart(4)}`);
  for (const [label, kinds] of rows) {
    const ids = all.filter(([, outcome]) => kinds.includes(outcome))
      .map(([id, outcome]) => kinds.length > 1 ? `${id} (${outcome})` : id);
    const count = String(ids.length).padStart(4);
    console.log(
      `    ${label.padEnd(14)} ${count}   ${ids.join(", ")}`.trimEnd(),
    );
  }
  console.log(`    ${"time".padEnd(14)} ${ms(time).padStart(7)}`);
}

/** Each promised behaviour, and whether it happened. */
export function runChecks(tree: string, time: number): [string, boolean][] {
  return [
    [
      "race: upstream-b won req-1; the slow upstream-a was cancelled and ran its finally",
      outcomes.get("req-1") === "success" &&
      logged("req-1", "gateway", /^attempt 1 \(upstream-b\) answered/) &&
      logged("req-1", "gateway", /^attempt 0 .* cancelled: attempt 1 won/) &&
      logged("req-1", "upstream-a", /cancelled: the gateway disconnected/) &&
      logged("req-1", "upstream-a", /^finally: cleaned up/),
    ],
    [
      "stagger: upstream-b failed req-2, so upstream-c started at once and won",
      outcomes.get("req-2") === "success" &&
      logged("req-2", "gateway", /^attempt 1 \(upstream-b\) failed/) &&
      logged("req-2", "gateway", /^attempt 2 \(upstream-c\) answered/),
    ],
    [
      "deadline: req-3's deadline crossed into upstream-a, which stopped; the client got 504",
      logged("req-3", "client", /^got 504/) &&
      logged("req-3", "upstream-a", /^started, deadline \d\d\d? ms/) &&
      logged("req-3", "upstream-a", /^finally: cleaned up/) &&
      logged("req-3", "gateway", /^504: the \d+ ms deadline ran out/),
    ],
    [
      "disconnect: req-4 was cancelled in the gateway and in every upstream it reached",
      outcomes.get("req-4") === "disconnected" &&
      logged("req-4", "gateway", /^cancelled: the client disconnected/) &&
      reached("req-4").length > 0 &&
      reached("req-4").every((upstream) =>
        logged("req-4", upstream, /cancelled: the gateway disconnected/) &&
        logged("req-4", upstream, /^finally: cleaned up/)
      ),
    ],
    [
      "context: every line of every request's tasks, in every service, carried its id",
      contextLost.length === 0 &&
      [...outcomes].filter(([, outcome]) => outcome !== "refused").every(
        ([id]) => logged(id, "gateway", /./) && reached(id).length > 0,
      ),
    ],
    [
      "task tree: printed mid-flight, with a race and its attempts",
      /scope "req-\d \/quote"/.test(tree) && /group "race"/.test(tree) &&
      /task "attempt \d"/.test(tree),
    ],
    [
      "limit: the task tree shows an attempt waiting in line for upstream-a's limiter",
      /task "attempt 0" \(waiting on limiter "upstream-a"\)/.test(tree),
    ],
    [
      "shutdown: req-5 finished in the grace period, req-6 was cancelled, req-7 refused",
      outcomes.get("req-5") === "success" &&
      outcomes.get("req-6") === "cancelled by shutdown" &&
      logged("req-6", "upstream-a", /^finally: cleaned up/) &&
      outcomes.get("req-7") === "refused" &&
      ["gateway", "upstream-a", "upstream-b", "upstream-c"].every((name) =>
        events.some((e) => e.service === name && e.message === "stopped")
      ),
    ],
    [
      "stream: req-8's ticks came from a producer; the client hung up and the producer was cancelled, its finally run",
      streamed.ticks >= 3 && streamed.producerEnded &&
      logged("req-8", "ticker", /^producer started/) &&
      logged("req-8", "ticker", /^producer cancelled after \d+ ticks/) &&
      logged("req-8", "ticker", /^producer finally/) &&
      !logged("req-8", "ticker", /TimeoutError/),
    ],
    ["time: the demo took under 15 s", time < 15_000],
  ];
}

/** The upstreams that started work for request `id`. */
function reached(id: string): Service[] {
  return (["upstream-a", "upstream-b", "upstream-c"] as const).filter((name) =>
    logged(id, name, /^started/)
  );
}
