// Copyright the corral authors. MIT license.
/**
 * HTTP benchmark: one request through `handler()` against the same handler
 * on bare `Deno.serve`, over loopback, with a load generator in a separate
 * process (a small concurrent `fetch` loop; no `wrk` needed, so it runs
 * wherever Deno does).
 *
 * ```sh
 * deno run -A packages/interop/serve_bench.ts                 # table
 * deno run -A packages/interop/serve_bench.ts --json          # JSON
 * deno run -A packages/interop/serve_bench.ts --rounds 7 --duration 3000 --concurrency 64
 * ```
 *
 * The servers live in this process and are loaded in turn, alternating
 * round by round (bare, bare + signal, corral, bare, ...) so drift in the
 * machine's speed hits all alike. "+ signal" is the bare handler plus an
 * `abort` listener on `request.signal`, the part of `handler()`'s cost that
 * is Deno's, not corral's. Each round runs a fresh load process that warms up
 * for `--warmup` ms, then measures for `--duration` ms; the report gives
 * the median of the rounds' requests per second and p99 latency. The
 * target: corral within 10% of bare on both.
 *
 * Deno's legacy abort mode changes the "+ signal" row a lot (about 13 µs
 * of server CPU per request, against 2 to 4 µs without it). The workspace's
 * `deno.json` turns it off (`"unstable": ["no-legacy-abort"]`); to measure
 * Deno's default, run with `--no-config` and an import map for `@corral/*`.
 *
 * @module
 */
import { handler } from "./handler.ts";

/** What one round of load measured. */
interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Server CPU time (user + system, all threads) per request, in µs. */
  cpuPerRequest?: number;
}

/**
 * The CPU time this process has used, in microseconds, from
 * `/proc/self/stat` (Linux; 10 ms ticks), or NaN elsewhere. Less sensitive
 * than requests/s to other programs sharing the machine.
 */
function processCpuMicros(): number {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of proc(5), utime and stime, after pid and comm.
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return NaN;
  }
}

interface Options {
  rounds: number;
  duration: number;
  warmup: number;
  concurrency: number;
  json: boolean;
}

function parseOptions(args: string[]): Options {
  const options: Options = {
    rounds: 5,
    duration: 2_000,
    warmup: 500,
    concurrency: 32,
    json: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--json") options.json = true;
    else if (arg === "--rounds") options.rounds = Number(args[++i]);
    else if (arg === "--duration") options.duration = Number(args[++i]);
    else if (arg === "--warmup") options.warmup = Number(args[++i]);
    else if (arg === "--concurrency") options.concurrency = Number(args[++i]);
    else throw new TypeError(`Cannot run benchmark: unknown argument ${arg}`);
  }
  return options;
}

/** The load process: `--load <url> <warmup ms> <duration ms> <concurrency>`. */
async function generateLoad(
  url: string,
  warmup: number,
  duration: number,
  concurrency: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const measureFrom = start + warmup;
  const end = measureFrom + duration;
  async function worker(): Promise<void> {
    for (;;) {
      const sent = performance.now();
      if (sent >= end) return;
      try {
        const response = await fetch(url);
        await response.arrayBuffer();
        if (response.status !== 200) errors++;
      } catch {
        errors++;
      }
      const received = performance.now();
      if (sent >= measureFrom && received <= end) {
        latencies.push(received - sent);
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  latencies.sort((a, b) => a - b);
  const seconds = duration / 1_000;
  return {
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    errors,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[middle]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function runLoad(url: string, options: Options): Promise<LoadResult> {
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      import.meta.filename ?? new URL(import.meta.url).pathname,
      "--load",
      url,
      String(options.warmup),
      String(options.duration),
      String(options.concurrency),
    ],
    stdout: "piped",
    stderr: "inherit",
  });
  const { code, stdout } = await command.output();
  if (code !== 0) throw new Error(`The load process failed with code ${code}`);
  return JSON.parse(new TextDecoder().decode(stdout)) as LoadResult;
}

/** The handler both servers run: as small as a real one gets. */
function hello(): Response {
  return new Response("hello world");
}

/** The bare handler as an async function, which is what real handlers are. */
async function helloAsync(): Promise<Response> {
  return await hello();
}

/**
 * The bare handler plus the two reads `handler()` makes of every request:
 * the URL (the scope's name) and the timeout header. Deno materializes
 * both lazily, so a handler that never looks at them does not pay for them;
 * one that routes on its URL does, with or without corral.
 */
function helloReadingUrlAndHeader(request: Request): Response {
  if (request.url === "" || request.headers.get("corral-timeout") === "") {
    throw new Error("unreachable");
  }
  return hello();
}

/**
 * The bare handler plus what `handler()` must do to see a disconnect:
 * listen on `request.signal` while it runs. It shows how much of the
 * difference is Deno's signal (made on first access, and aborted after
 * every response in legacy mode) rather than corral's scope.
 */
function helloWatchingSignal(request: Request): Response {
  const onAbort = () => {};
  request.signal.addEventListener("abort", onAbort, { once: true });
  try {
    return hello();
  } finally {
    request.signal.removeEventListener("abort", onAbort);
  }
}

async function main(options: Options): Promise<void> {
  const listen = { hostname: "127.0.0.1", port: 0, onListen() {} };
  const servers = {
    "Deno.serve": Deno.serve(listen, hello),
    "async fn": Deno.serve(listen, helloAsync),
    "+ url, hdr": Deno.serve(listen, helloReadingUrlAndHeader),
    "+ signal": Deno.serve(listen, helloWatchingSignal),
    "handler()": Deno.serve(listen, handler(hello)),
  };
  const results: Record<string, LoadResult[]> = Object.fromEntries(
    Object.keys(servers).map((name) => [name, []]),
  );
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const [name, server] of Object.entries(servers)) {
        const url = `http://127.0.0.1:${server.addr.port}/hello`;
        const cpuBefore = processCpuMicros();
        const result = await runLoad(url, options);
        // The whole round (warm-up included) over every request answered.
        const answered = result.requests *
          (options.warmup + options.duration) / options.duration;
        result.cpuPerRequest = (processCpuMicros() - cpuBefore) / answered;
        results[name]!.push(result);
        console.error(
          `round ${round + 1}/${options.rounds} ${name.padEnd(10)} ${
            result.rps.toFixed(0)
          } req/s, p99 ${result.p99.toFixed(2)} ms, server CPU ${
            result.cpuPerRequest.toFixed(1)
          } µs/req, errors ${result.errors}`,
        );
      }
    }
  } finally {
    await Promise.all(
      Object.values(servers).map((server) => server.shutdown()),
    );
  }
  const summary = Object.fromEntries(
    Object.entries(results).map(([name, rounds]) => [name, {
      rps: median(rounds.map((r) => r.rps)),
      p50: median(rounds.map((r) => r.p50)),
      p99: median(rounds.map((r) => r.p99)),
      cpuPerRequest: median(rounds.map((r) => r.cpuPerRequest!)),
      errors: rounds.reduce((sum, r) => sum + r.errors, 0),
      rounds: rounds.length,
    }]),
  );
  const bare = summary["Deno.serve"]!, corral = summary["handler()"]!;
  const verdict = {
    rpsRatio: corral.rps / bare.rps,
    p99Ratio: corral.p99 / bare.p99,
    cpuRatio: corral.cpuPerRequest / bare.cpuPerRequest,
    withinTarget: corral.rps >= 0.9 * bare.rps && corral.p99 <= 1.1 * bare.p99,
  };
  if (options.json) {
    console.log(JSON.stringify({ options, summary, verdict }, null, 2));
    return;
  }
  console.log(
    `\nhandler() vs bare Deno.serve, loopback, ${options.concurrency} connections, ` +
      `median of ${options.rounds} rounds of ${options.duration} ms\n`,
  );
  console.log(
    "| server     |   req/s |  p50 ms |  p99 ms | server CPU µs/req | errors |",
  );
  console.log(
    "| ---------- | ------: | ------: | ------: | ----------------: | -----: |",
  );
  for (const [name, s] of Object.entries(summary)) {
    console.log(
      `| ${name.padEnd(10)} | ${s.rps.toFixed(0).padStart(7)} | ${
        s.p50.toFixed(2).padStart(7)
      } | ${s.p99.toFixed(2).padStart(7)} | ${
        s.cpuPerRequest.toFixed(1).padStart(17)
      } | ${String(s.errors).padStart(6)} |`,
    );
  }
  console.log(
    `\nhandler(): ${(verdict.rpsRatio * 100).toFixed(1)}% of the requests/s, ` +
      `${(verdict.p99Ratio * 100).toFixed(1)}% of the p99, ` +
      `${(verdict.cpuRatio * 100).toFixed(1)}% of the server CPU per request: ${
        verdict.withinTarget ? "within" : "OUTSIDE"
      } the 10% target`,
  );
}

if (import.meta.main) {
  if (Deno.args[0] === "--load") {
    const [, url, warmup, duration, concurrency] = Deno.args;
    const result = await generateLoad(
      url!,
      Number(warmup),
      Number(duration),
      Number(concurrency),
    );
    console.log(JSON.stringify(result));
  } else {
    await main(parseOptions(Deno.args));
  }
}
