// Copyright the corral authors. MIT license.
/**
 * HTTP benchmark: what `@corral/http` costs a server. Side by side in one
 * run, on `Deno.serve` and on `Bun.serve`:
 *
 * - `handler()` against the bare handler (`hello world`), and against that
 *   handler reading the three deadline headers `handler()` reads (the least
 *   any deadline-aware wrapper does);
 * - a Hono app with the `corral()` middleware against the same bare app,
 *   against it with an empty middleware (the least any middleware costs)
 *   and with one that reads the three deadline headers.
 *
 * ```sh
 * deno run -A tools/bench/http.ts                       # table
 * deno run -A tools/bench/http.ts --json                # JSON
 * deno run -A tools/bench/http.ts --in-process          # the wrappers alone
 * deno run -A tools/bench/http.ts --runtimes deno --load fetch
 * deno run -A tools/bench/http.ts --rounds 7 --duration 3000 --concurrency 64
 * deno run -A tools/bench/http.ts --pin 0:1                # servers on CPU 0, load on 1
 * ```
 *
 * Each runtime's servers live in a process of their own
 * (`_http_server.ts`; Bun from npm through npx), so the load generator and
 * the other runtime never share their event loop, and the server's CPU
 * time is read per round from `/proc`. The load comes from `wrk` when it is
 * installed (a C load generator, the lightest on the shared cores), else
 * from a small concurrent `fetch` loop in a separate Deno process; nothing
 * else is needed. Rounds alternate (Deno bare, Deno `handler()`, ..., Bun
 * bare, ...), so drift in the machine's speed hits all alike; each round
 * warms up for `--warmup` ms, then measures for `--duration` ms (whole
 * seconds with `wrk`). The table gives the median of the rounds' requests
 * per second and latencies; each verdict takes the ratio to the baseline
 * round by round (the two ran seconds apart) and gives the median of those
 * ratios. The target: corral within 5% of bare on requests/s and p99. On a
 * two-core machine, `--pin 0:1` keeps the servers on CPU 0 and the load on
 * CPU 1 (`taskset`), so neither is moved mid-round.
 *
 * Deno runs with the workspace's `deno.json`, which turns the legacy abort
 * off (`"unstable": ["no-legacy-abort"]`); `handler()` reads
 * `request.signal` only for a request that outlives its first macrotask,
 * which none of these does.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url);
const SERVER = "tools/bench/_http_server.ts";
const TSCONFIG = "tools/conformance/tsconfig.json";
/** Pinned as in tools/conformance/main.ts. */
const BUN = "bun@1.4.5";
const HONO = "hono@4.13.23";

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
 * The CPU time process `pid` has used, in microseconds, from
 * `/proc/<pid>/stat` (Linux; 10 ms ticks), or NaN elsewhere. Less sensitive
 * than requests/s to other programs sharing the machine.
 */
function processCpuMicros(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
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
  runtimes: string[];
  load: "wrk" | "fetch";
  /** CPUs for the servers and for the load, with `taskset` (`--pin 0:1`). */
  pin?: [string, string];
}

function parseOptions(args: string[]): Options {
  const options: Options = {
    rounds: 5,
    duration: 2_000,
    warmup: 1_000,
    concurrency: 32,
    json: false,
    runtimes: ["deno", "bun"],
    load: hasWrk() ? "wrk" : "fetch",
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--json") options.json = true;
    else if (arg === "--rounds") options.rounds = Number(args[++i]);
    else if (arg === "--duration") options.duration = Number(args[++i]);
    else if (arg === "--warmup") options.warmup = Number(args[++i]);
    else if (arg === "--concurrency") options.concurrency = Number(args[++i]);
    else if (arg === "--runtimes") options.runtimes = args[++i]!.split(",");
    else if (arg === "--pin") {
      const [server, load] = (args[++i] ?? "").split(":");
      if (!server || !load) {
        throw new TypeError(
          "Cannot run benchmark: --pin takes <server cpus>:<load cpus>, e.g. 0:1",
        );
      }
      options.pin = [server, load];
    } else if (arg === "--load") {
      const load = args[++i];
      if (load !== "wrk" && load !== "fetch") {
        throw new TypeError(`Cannot run benchmark: --load is wrk or fetch`);
      }
      options.load = load;
    } else throw new TypeError(`Cannot run benchmark: unknown argument ${arg}`);
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

function hasWrk(): boolean {
  try {
    new Deno.Command("wrk", { args: ["-v"], stdout: "null", stderr: "null" })
      .outputSync(); // runs: wrk is installed (it exits 1 after -v)
    return true;
  } catch {
    return false;
  }
}

/** `wrk`'s latency, `1.23ms` / `456.00us` / `1.02s`, in milliseconds. */
function wrkMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (match === null) return NaN;
  const value = Number(match[1]);
  return match[2] === "us"
    ? value / 1_000
    : match[2] === "s"
    ? value * 1_000
    : value;
}

/** Whole seconds, at least one: what `wrk -d` accepts. */
function seconds(ms: number): number {
  return Math.max(1, Math.round(ms / 1_000));
}

/** One round of `wrk`, after a warm-up run whose figures are dropped. */
async function runWrk(url: string, options: Options): Promise<LoadResult> {
  const run = (ms: number) =>
    new Deno.Command(options.pin ? "taskset" : "wrk", {
      args: [
        ...(options.pin ? ["-c", options.pin[1], "wrk"] : []),
        "-t1",
        `-c${options.concurrency}`,
        `-d${seconds(ms)}s`, // wrk takes whole seconds
        "--latency",
        url,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
  const warm = await run(options.warmup);
  const { code, stdout } = await run(options.duration);
  if (code !== 0 || warm.code !== 0) {
    throw new Error(`wrk failed with code ${code || warm.code}`);
  }
  const text = new TextDecoder().decode(stdout);
  const line = (label: string) =>
    new RegExp(`^\\s*${label}\\s+(\\S+)`, "m").exec(text)?.[1] ?? "";
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? NaN);
  const errors =
    Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0) +
    [...text.matchAll(/(connect|read|write|timeout) (\d+)/g)]
      .reduce((sum, match) => sum + Number(match[2]), 0);
  return {
    requests,
    seconds: seconds(options.duration),
    rps: Number(line("Requests/sec:")),
    p50: wrkMs(line("50%")),
    p99: wrkMs(line("99%")),
    errors,
  };
}

async function runFetchLoad(
  url: string,
  options: Options,
): Promise<LoadResult> {
  const command = new Deno.Command(options.pin ? "taskset" : Deno.execPath(), {
    args: [
      ...(options.pin ? ["-c", options.pin[1], Deno.execPath()] : []),
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

/** A runtime's server process and the ports of its variants. */
interface Servers {
  runtime: string;
  pid: number;
  ports: Record<string, number>;
  process: Deno.ChildProcess;
  drained: Promise<void>;
}

async function startServers(
  runtime: string,
  options: Options,
): Promise<Servers> {
  const [command, ...args] = runtime === "deno"
    ? [Deno.execPath(), "run", "--allow-all", SERVER]
    : [
      "npx",
      "--yes",
      "-p",
      BUN,
      "-p",
      HONO,
      "bun",
      "run",
      "--tsconfig-override",
      TSCONFIG,
      SERVER,
    ];
  const pinned = options.pin ? ["-c", options.pin[0], command!] : [];
  const child = new Deno.Command(options.pin ? "taskset" : command!, {
    args: [...pinned, ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${runtime}: the servers did not start`);
    text += value;
  }
  // Keep reading (and dropping) what it prints, so that it never blocks.
  const drained = (async () => {
    while (!(await reader.read()).done);
  })();
  const { ports, pid } = JSON.parse(text.slice(text.indexOf(" ") + 1)) as {
    ports: Record<string, number>;
    pid: number;
  };
  return { runtime, pid, ports, process: child, drained };
}

async function stopServers(servers: Servers): Promise<void> {
  try {
    Deno.kill(servers.pid, "SIGTERM");
  } catch {
    // Gone already.
  }
  await servers.process.status;
  await servers.drained;
}

/** Each comparison: the variant, and the baseline it is measured against. */
const COMPARISONS = [
  ["handler()", "bare"],
  ["handler()", "bare + url, header"],
  ["handler()", "bare + deadline headers"],
  ["hono + corral()", "hono"],
  ["hono + empty middleware", "hono"],
  ["hono + corral()", "hono + middleware"],
  ["hono + corral()", "hono + deadline headers"],
] as const;
const VARIANTS = [
  "bare",
  "bare + url, header",
  "bare + deadline headers",
  "handler()",
  "hono",
  "hono + empty middleware",
  "hono + middleware",
  "hono + deadline headers",
  "hono + corral()",
];
const TARGET = 0.05;

async function main(options: Options): Promise<void> {
  const running: Servers[] = [];
  const results: Record<string, LoadResult[]> = {};
  try {
    for (const runtime of options.runtimes) {
      running.push(await startServers(runtime, options));
    }
    for (let round = 0; round < options.rounds; round++) {
      for (const servers of running) {
        for (const variant of VARIANTS) {
          const key = `${servers.runtime} ${variant}`;
          const url = `http://127.0.0.1:${servers.ports[variant]}/hello`;
          const cpuBefore = processCpuMicros(servers.pid);
          const result = options.load === "wrk"
            ? await runWrk(url, options)
            : await runFetchLoad(url, options);
          // The whole round (warm-up included) over every request answered.
          const [warmup, duration] = options.load === "wrk"
            ? [seconds(options.warmup), seconds(options.duration)]
            : [options.warmup, options.duration];
          const answered = result.requests * (warmup + duration) / duration;
          result.cpuPerRequest = (processCpuMicros(servers.pid) - cpuBefore) /
            answered;
          (results[key] ??= []).push(result);
          console.error(
            `round ${round + 1}/${options.rounds} ${key.padEnd(28)} ${
              result.rps.toFixed(0)
            } req/s, p99 ${result.p99.toFixed(2)} ms, server CPU ${
              result.cpuPerRequest.toFixed(1)
            } µs/req, errors ${result.errors}`,
          );
        }
      }
    }
  } finally {
    await Promise.all(running.map(stopServers));
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
  const verdicts = options.runtimes.flatMap((runtime) =>
    COMPARISONS.map(([variant, baseline]) => {
      const ours = summary[`${runtime} ${variant}`]!;
      const theirs = summary[`${runtime} ${baseline}`]!;
      // Paired: each round's ratio, from runs a few seconds apart, then
      // the median; drift in the machine's speed between rounds cancels.
      const paired = (measure: (r: LoadResult) => number) => {
        const a = results[`${runtime} ${variant}`]!;
        const b = results[`${runtime} ${baseline}`]!;
        return median(a.map((r, i) => measure(r) / measure(b[i]!)));
      };
      const rpsRatio = paired((r) => r.rps), p99Ratio = paired((r) => r.p99);
      return {
        runtime,
        variant,
        baseline,
        rpsRatio,
        p99Ratio,
        cpuRatio: paired((r) => r.cpuPerRequest!),
        cpuExtra: ours.cpuPerRequest - theirs.cpuPerRequest,
        withinTarget: rpsRatio >= 1 - TARGET && p99Ratio <= 1 + TARGET,
      };
    })
  );
  if (options.json) {
    console.log(JSON.stringify({ options, summary, verdicts }, null, 2));
    return;
  }
  console.log(
    `\n@corral/http vs bare servers, loopback, load from ${options.load}, ` +
      `${options.concurrency} connections, median of ${options.rounds} rounds of ${options.duration} ms\n`,
  );
  const width = Math.max(6, ...Object.keys(summary).map((name) => name.length));
  console.log(
    `| ${
      "server".padEnd(width)
    } |   req/s |  p50 ms |  p99 ms | server CPU µs/req | errors |`,
  );
  console.log(
    `| ${
      "-".repeat(width)
    } | ------: | ------: | ------: | ----------------: | -----: |`,
  );
  for (const [name, s] of Object.entries(summary)) {
    console.log(
      `| ${name.padEnd(width)} | ${s.rps.toFixed(0).padStart(7)} | ${
        s.p50.toFixed(2).padStart(7)
      } | ${s.p99.toFixed(2).padStart(7)} | ${
        s.cpuPerRequest.toFixed(1).padStart(17)
      } | ${String(s.errors).padStart(6)} |`,
    );
  }
  console.log("");
  for (const v of verdicts) {
    console.log(
      `${v.runtime} ${v.variant} vs ${v.baseline}: ${
        (v.rpsRatio * 100).toFixed(1)
      }% of the requests/s, ` +
        `${(v.p99Ratio * 100).toFixed(1)}% of the p99, ` +
        `${(v.cpuRatio * 100).toFixed(1)}% of the server CPU per request (${
          v.cpuExtra >= 0 ? "+" : ""
        }${v.cpuExtra.toFixed(1)} µs): ${
          v.withinTarget ? "within" : "OUTSIDE"
        } the 5% target`,
    );
  }
}

/**
 * `--in-process`: the wrappers' own cost, without a network or a server:
 * each variant called with the same `Request`, 32 at a time, interleaved
 * round by round, in microseconds per request (median of the rounds). Far
 * less noisy than a load test on a shared machine, and it leaves out what
 * the server pays for the URL and headers a wrapper reads.
 */
async function inProcess(rounds: number): Promise<void> {
  const { handler } = await import("@corral/http");
  const { corral } = await import("@corral/http/hono");
  const { Hono } = await import("npm:hono@4.13.23");
  const hello = () => new Response("hello world");
  const withMiddleware = new Hono();
  withMiddleware.use(async (c, next) => {
    if (c.req.header("authorization") === "") throw new Error("unreachable");
    await next();
  });
  withMiddleware.get("/hello", (c) => c.text("hello world"));
  const withCorral = new Hono();
  withCorral.use(corral());
  withCorral.get("/hello", (c) => c.text("hello world"));
  const app = handler(hello);
  type Fetch = (request: Request) => Response | Promise<Response>;
  const variants: Record<string, Fetch> = {
    "async bare": async () => await hello(),
    "handler()": (request) => app(request),
    "hono + middleware": (request) => withMiddleware.fetch(request),
    "hono + corral()": (request) => withCorral.fetch(request),
  };
  const request = new Request("http://127.0.0.1/hello");
  const times: Record<string, number[]> = {};
  for (let round = 0; round < rounds + 1; round++) { // round 0 warms up
    for (const [name, fn] of Object.entries(variants)) {
      const batches = 5_000, width = 32;
      const started = performance.now();
      for (let i = 0; i < batches; i++) {
        const batch: (Response | Promise<Response>)[] = [];
        for (let j = 0; j < width; j++) batch.push(fn(request));
        await Promise.all(batch);
      }
      const micros = (performance.now() - started) * 1_000 /
        (batches * width);
      if (round > 0) (times[name] ??= []).push(micros);
    }
  }
  console.log("| in process (Deno)  | µs per request |");
  console.log("| ------------------ | -------------: |");
  for (const [name, values] of Object.entries(times)) {
    console.log(
      `| ${name.padEnd(18)} | ${median(values).toFixed(2).padStart(14)} |`,
    );
  }
}

if (import.meta.main) {
  if (Deno.args[0] === "--in-process") {
    await inProcess(Number(Deno.args[1] ?? 7));
  } else if (Deno.args[0] === "--load") {
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
