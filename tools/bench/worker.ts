// Copyright the corral authors. MIT license.
/**
 * Worker benchmark: what `@corral/worker` costs, side by side in one run,
 * on Deno, Node or Bun.
 *
 * - **Round trip.** One trivial call (`echo(i)`), awaited, again and again,
 *   on one warm worker: a raw `postMessage` to a worker that echoes (the
 *   floor: a Web module worker on Deno and Bun, `node:worker_threads` on
 *   Node),
 *   `WorkerPool.run()` (size 1), and Piscina 5 (on Deno from `npm:`,
 *   through `node:worker_threads`). Each round gives each implementation a
 *   fresh warm worker and measures it alone; rounds alternate between the
 *   three, so drift in the machine's speed hits all alike. It prints the
 *   median wall and CPU time per call (CPU of every thread of the process:
 *   both sides of the call) and the median of the paired ratios. Targets:
 *   corral ≤ 1.3× raw, and no slower than Piscina.
 * - **Parallel work.** Counting primes below `--primes`, split into 16
 *   ranges, on a warm pool of size 1 and of size 2 (its queue gives each
 *   range to the next free worker), and the same on one and two raw
 *   workers (what the machine gives with no pool at all). Rounds interleave the four. Target: the
 *   pool of 2 at least 1.8× faster than the pool of 1. The core count and
 *   the load average are printed with it: other programs on the same
 *   cores take from the second worker first.
 * - **Cancelling.** A call busy in a loop with no checkpoint is cancelled:
 *   the time from `cancel()` to the call's return and to the busy
 *   thread's last turn, for two loops: one of plain JavaScript (this
 *   thread watches its count in shared memory) and one that reads
 *   `performance.now()` each turn and writes the time of its last turn
 *   there (Bun is slower to stop a loop that calls out of JavaScript),
 *   less the grace period (target: at most 20 ms), and whether the thread
 *   is still running 1 s later (it is on Deno before 2.9.4, whose `terminate()`
 *   cannot interrupt a busy thread: see the package's README).
 *
 * ```sh
 * deno run -A tools/bench/worker.ts                  # on Deno
 * deno run -A tools/bench/worker.ts --node           # on Node, through tsx
 * deno run -A tools/bench/worker.ts --bun            # on Bun
 * deno run -A tools/bench/worker.ts --rounds 9 --calls 3000 --primes 4000000 --json
 * ```
 *
 * With `--node` this process installs Piscina into a directory of the
 * system's temporary directory (once), then runs this same file on Node
 * through tsx, with the `paths` of `tools/conformance/tsconfig.json` (as
 * the conformance suite runs Node), and relays its output. `--bun` does
 * the same with Bun (the tsconfig's `paths` through `--tsconfig-override`).
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { CancelScope } from "../../packages/scope/mod.ts";
import { WorkerPool } from "../../packages/worker/mod.ts";

/** Pinned here, not in deps.ts: only this benchmark needs it. */
const PISCINA = "piscina@5.3.2";
/** As tools/conformance/main.ts pins them. */
const TSX = "tsx@4.23.15";
const BUN = "bun@1.4.5";

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno === "object";
const bunVersion = (globalThis as { Bun?: { version: string } }).Bun?.version;
const argv = isDeno ? Deno.args : process.argv.slice(2);

const { values } = parseArgs({
  args: argv,
  options: {
    rounds: { type: "string", default: "9" },
    calls: { type: "string", default: "3000" },
    warm: { type: "string", default: "10000" },
    primes: { type: "string", default: "2000000" },
    grace: { type: "string", default: "100" },
    json: { type: "boolean", default: false },
    node: { type: "boolean", default: false },
    bun: { type: "boolean", default: false },
    only: { type: "string", default: "trips,split,cancel" },
  },
});
const ROUNDS = Number(values.rounds);
const CALLS = Number(values.calls);
/**
 * Calls before the clock starts, on each fresh worker: a pool lives long,
 * so what counts is its cost once V8 has optimized both sides, and the
 * pool's path is longer than a bare `postMessage` (at 500 warm calls the
 * rounds measured the JIT, not the pool: 1.7× raw; on Node a fresh
 * worker's side still improves past 3,000).
 */
const WARM = Number(values.warm);
const PRIMES = Number(values.primes);
const GRACE = Number(values.grace);
const ONLY = new Set(values.only.split(","));

const work = new URL("./_worker_work.ts", import.meta.url);
const rawModule = new URL("./_worker_raw.ts", import.meta.url);

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function say(text: string): void {
  process.stderr.write(text + "\n");
}

const loadNow = () => loadavg().map((x) => x.toFixed(2)).join(" ");

// ------------------------------------------------ Node (via tsx) and Bun

if (isDeno && (values.node || values.bun)) {
  const root = new URL("../../", import.meta.url);
  const dir = `${tmpdir()}/corral-bench-worker-node`;
  const run = async (command: string, args: string[], options = {}) => {
    const status = await new Deno.Command(command, {
      args,
      stdout: "inherit",
      stderr: "inherit",
      ...options,
    }).spawn().status;
    if (!status.success) throw new Error(`${command} ${args.join(" ")} failed`);
  };
  try {
    await Deno.stat(`${dir}/node_modules/piscina/package.json`);
  } catch {
    say(`installing ${PISCINA} into ${dir}...`);
    await Deno.mkdir(dir, { recursive: true });
    await run("npm", [
      "install",
      "--prefix",
      dir,
      "--no-save",
      "--no-audit",
      "--no-fund",
      PISCINA,
    ]);
  }
  const forwarded = argv.filter((arg) => arg !== "--node" && arg !== "--bun");
  const piscina = `${dir}/node_modules/piscina/dist/main.js`;
  if (values.bun) {
    // As tools/conformance runs Bun: `@corral/*` from the tsconfig paths.
    await run("npx", [
      "--yes",
      BUN,
      "run",
      "--tsconfig-override",
      "tools/conformance/tsconfig.json",
      "tools/bench/worker.ts",
      ...forwarded,
    ], { cwd: root.pathname, env: { CORRAL_BENCH_PISCINA: piscina } });
    process.exit(0);
  }
  // Installed first without our NODE_OPTIONS (see tools/conformance).
  await run("npx", ["--yes", TSX, "--version"], { stdout: "null" });
  await run("npx", [
    "--yes",
    TSX,
    "--tsconfig",
    "tools/conformance/tsconfig.json",
    "tools/bench/worker.ts",
    ...forwarded,
  ], {
    cwd: root.pathname,
    env: {
      NODE_OPTIONS: `--import=${
        new URL("tools/conformance/node_esm.mjs", root).href
      }`,
      CORRAL_BENCH_PISCINA: piscina,
    },
  });
  process.exit(0);
}

const runtime = isDeno
  ? `Deno ${Deno.version.deno}`
  : bunVersion !== undefined
  ? `Bun ${bunVersion}`
  : `Node ${process.versions.node} (tsx)`;

interface PiscinaLike {
  run(task: unknown): Promise<unknown>;
  destroy(): Promise<void>;
}
type PiscinaClass = new (options: {
  filename: string;
  minThreads: number;
  maxThreads: number;
}) => PiscinaLike;

async function loadPiscina(): Promise<PiscinaClass> {
  if (isDeno) {
    return ((await import("npm:piscina@5.3.2")) as { Piscina: PiscinaClass })
      .Piscina;
  }
  const path = process.env.CORRAL_BENCH_PISCINA;
  if (path === undefined) {
    throw new Error(
      "on Node or Bun, run: deno run -A tools/bench/worker.ts --node (or --bun; it installs Piscina)",
    );
  }
  // CommonJS: its exports may come as `default` only.
  const module = (await import(path)) as {
    Piscina?: PiscinaClass;
    default?: { Piscina?: PiscinaClass } & PiscinaClass;
  };
  return module.Piscina ?? module.default?.Piscina ?? module.default!;
}

// ---------------------------------------------------------------- raw worker

interface RawWorker {
  /** Posts `message`, resolves with the answer. */
  ask(message: unknown): Promise<number>;
  close(): Promise<unknown> | void;
}

async function rawWorker(): Promise<RawWorker> {
  let wake: (value: number) => void = () => {};
  // The Web API where the runtime has it (Bun's pool uses it too).
  if (isDeno || bunVersion !== undefined) {
    const worker = new Worker(rawModule, { type: "module" });
    worker.onmessage = (event) => wake(event.data);
    return {
      ask: (message) =>
        new Promise<number>((resolve) => {
          wake = resolve;
          worker.postMessage(message);
        }),
      close: () => worker.terminate(),
    };
  }
  const threads = await import("node:worker_threads");
  const worker = new threads.Worker(rawModule);
  worker.on("message", (data: number) => wake(data));
  return {
    ask: (message) =>
      new Promise<number>((resolve) => {
        wake = resolve;
        worker.postMessage(message);
      }),
    close: () => worker.terminate(),
  };
}

// ---------------------------------------------------------------- round trip

/**
 * Wall time per call, and CPU time per call summed over every thread of
 * the process (both sides of the call): the second is what the code
 * costs, and moves less when other programs take the cores.
 */
async function roundTrips(): Promise<
  { times: Record<string, number[]>; cpu: Record<string, number[]> }
> {
  const Piscina = await loadPiscina();
  // Each implementation gets a fresh worker per round, warmed up before
  // the clock starts, and nothing else is alive while it is measured: an
  // idle Piscina thread kept alive beside the others tripled their CPU
  // time per call (it waits on Atomics, and wakes).
  const impls: Record<string, (calls: number) => Promise<number>> = {
    async raw(calls) {
      const raw = await rawWorker();
      const run = async (n: number) => {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += await raw.ask(i);
        return sum;
      };
      try {
        await run(WARM);
        return await measure(() => run(calls));
      } finally {
        await raw.close();
      }
    },
    async corral(calls) {
      const pool = new WorkerPool({ module: work, size: 1 });
      const run = async (n: number) => {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += await pool.run<number>("echo", [i]);
        return sum;
      };
      return await pool.open(async () => {
        await run(WARM);
        return await measure(() => run(calls));
      });
    },
    async piscina(calls) {
      const piscina = new Piscina({
        filename: new URL("./_worker_piscina_task.mjs", import.meta.url).href,
        minThreads: 1,
        maxThreads: 1,
      });
      const run = async (n: number) => {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += (await piscina.run(i)) as number;
        return sum;
      };
      try {
        await run(WARM);
        return await measure(() => run(calls));
      } finally {
        await piscina.destroy();
      }
    },
  };
  const times: Record<string, number[]> = { raw: [], corral: [], piscina: [] };
  const cpu: Record<string, number[]> = { raw: [], corral: [], piscina: [] };
  let cpuPerCall = 0;
  async function measure(run: () => Promise<number>): Promise<number> {
    const used = process.cpuUsage();
    const started = performance.now();
    await run();
    const { user, system } = process.cpuUsage(used);
    cpuPerCall = (user + system) / CALLS;
    return (performance.now() - started) / CALLS * 1000;
  }
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order too: the first of a round follows a pause.
    const order = Object.entries(impls);
    if (round % 2 === 1) order.reverse();
    for (const [name, run] of order) {
      times[name]!.push(await run(CALLS));
      cpu[name]!.push(cpuPerCall);
    }
  }
  return { times, cpu };
}

// ------------------------------------------------------------- parallel work

/**
 * The work, as 16 equal ranges of numbers. Not two halves: trial division
 * costs about √n per prime, so the upper half of [0, N) is ~1.8× the work
 * of the lower one, and two halves could never run more than ~1.55×
 * faster on two workers (the 1.67× measured before was that ceiling, not
 * the pool). Sixteen ranges taken in turn by whichever worker is free
 * share the work evenly.
 */
const CHUNKS = 16;
const chunks = () =>
  Array.from({ length: CHUNKS }, (_, k) => [
    Math.floor(PRIMES * k / CHUNKS),
    Math.floor(PRIMES * (k + 1) / CHUNKS),
  ]);

/** One round of the split on a warm pool of `size`, in ms. */
async function splitPool(size: number): Promise<number> {
  const pool = new WorkerPool({ module: work, size });
  return await pool.open(async () => {
    // Warm: every worker started and the function optimized.
    await Promise.all(
      Array.from({ length: size }, () => pool.run("countPrimes", [0, 50_000])),
    );
    const started = performance.now();
    // The pool's queue hands each range to the next free worker.
    await Promise.all(chunks().map((chunk) => pool.run("countPrimes", chunk)));
    return performance.now() - started;
  });
}

/** The same on `size` raw workers, each taking the next range when free. */
async function splitRaw(size: number): Promise<number> {
  const workers = await Promise.all(
    Array.from({ length: size }, () => rawWorker()),
  );
  try {
    await Promise.all(workers.map((worker) => worker.ask([0, 50_000])));
    const started = performance.now();
    const queue = chunks();
    await Promise.all(workers.map(async (worker) => {
      for (let chunk = queue.shift(); chunk; chunk = queue.shift()) {
        await worker.ask(chunk);
      }
    }));
    return performance.now() - started;
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
  }
}

async function split(): Promise<
  { times: Record<string, number[]>; loads: string[] }
> {
  const times: Record<string, number[]> = {
    pool1: [],
    pool2: [],
    raw1: [],
    raw2: [],
  };
  const loads: string[] = [];
  const impls: [string, () => Promise<number>][] = [
    ["pool1", () => splitPool(1)],
    ["pool2", () => splitPool(2)],
    ["raw1", () => splitRaw(1)],
    ["raw2", () => splitRaw(2)],
  ];
  for (let round = 0; round < Math.max(3, ROUNDS >> 1); round++) {
    const order = round % 2 === 0 ? impls : [...impls].reverse();
    for (const [name, run] of order) times[name]!.push(await run());
    loads.push(loadNow());
  }
  return { times, loads };
}

// ---------------------------------------------------------------- cancelling

/**
 * `loop` "clock" is `spin`, which writes the time of each turn itself;
 * "plain" is `spinPlain`, which calls nothing: its last turn is the last
 * time this thread, sampling the count every millisecond, saw it move (so
 * late by up to a sample).
 */
async function cancelLatency(loop: "clock" | "plain"): Promise<
  { past: number[]; gone: number[]; stillRunning: number }
> {
  const pool = new WorkerPool({ module: work, size: 1, grace: GRACE });
  const past: number[] = [], gone: number[] = [];
  let stillRunning = 0;
  await pool.open(async () => {
    for (let round = 0; round < 5; round++) {
      const shared = new SharedArrayBuffer(16);
      const counter = new Int32Array(shared, 0, 1);
      const last = new Float64Array(shared, 8, 1);
      const { port1, port2 } = new MessageChannel();
      const started = new Promise((resolve) => (port1.onmessage = resolve));
      const scope = new CancelScope();
      const call = scope.run(() =>
        loop === "clock"
          ? pool.run("spin", [port2, counter, 3_000, last], {
            transfer: [port2],
          })
          : pool.run("spinPlain", [port2, counter, 2 ** 31 - 2], {
            transfer: [port2],
          })
      );
      await started;
      port1.close();
      const at = performance.now();
      let seen = Atomics.load(counter, 0), moved = at;
      const sampler = setInterval(() => {
        const now = Atomics.load(counter, 0);
        if (now !== seen) [seen, moved] = [now, performance.now()];
      }, 1);
      scope.cancel();
      await call;
      const returned = performance.now();
      past.push(returned - at - GRACE);
      if (pool.workers !== 0) throw new Error("the busy worker was kept");
      // Watched until its count has not moved for 100 ms (on a loaded
      // machine a live thread can go unscheduled for 20 ms and look
      // stopped), for up to 1 s; past that it counts as still running.
      let count = Atomics.load(counter, 0), quiet = 0;
      for (let waited = 0; quiet < 100 && waited < 1_000; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        const now = Atomics.load(counter, 0);
        quiet = now === count ? quiet + 10 : 0;
        count = now;
      }
      clearInterval(sampler);
      // When it stopped: the plain loop, when the sampler last saw its
      // count move; the clock loop, the time of its last turn, which it
      // wrote itself (both clocks as performance.timeOrigin +
      // performance.now()).
      if (quiet < 100) stillRunning++;
      else if (loop === "plain") gone.push(moved - at - GRACE);
      else gone.push(last[0]! - (performance.timeOrigin + at) - GRACE);
    }
  });
  return { past, gone, stillRunning };
}

// -------------------------------------------------------------------- report

const load = loadNow();
say(`${runtime}, cores: ${availableParallelism()}, load average: ${load}`);
let trips: Record<string, number[]> = {};
let tripsCpu: Record<string, number[]> = {};
if (ONLY.has("trips")) {
  say("round trips...");
  ({ times: trips, cpu: tripsCpu } = await roundTrips());
}
let splits: Record<string, number[]> = {};
let splitLoads: string[] = [];
if (ONLY.has("split")) {
  say(`parallel work... (load ${loadNow()})`);
  ({ times: splits, loads: splitLoads } = await split());
}
const cancels: Record<
  string,
  { past: number[]; gone: number[]; stillRunning: number }
> = {};
if (ONLY.has("cancel")) {
  say(`cancelling... (load ${loadNow()})`);
  cancels.plain = await cancelLatency("plain");
  cancels.clock = await cancelLatency("clock");
}
const loadAfter = loadNow();

/** The median of the rounds' ratios: each round's pair ran back to back. */
const paired = (a: number[], b: number[]) => median(a.map((x, i) => x / b[i]!));
const spread = (xs: number[]) =>
  `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
const result: Record<string, unknown> = {
  runtime,
  cores: availableParallelism(),
  loadBefore: load,
  loadAfter,
};
const rows: string[] = [];
const pass = (ok: boolean) => (ok ? "PASS" : "FAIL");
if (trips.raw !== undefined) {
  const raw = median(trips.raw), corral = median(trips.corral!);
  const piscina = median(trips.piscina!);
  const overRaw = paired(trips.corral!, trips.raw);
  const overPiscina = paired(trips.corral!, trips.piscina!);
  const ratiosRaw = trips.corral!.map((x, i) => x / trips.raw![i]!);
  Object.assign(result, {
    roundTripMicros: { raw, corral, piscina },
    roundTripRounds: trips,
    roundTripCpuMicros: {
      raw: median(tripsCpu.raw!),
      corral: median(tripsCpu.corral!),
      piscina: median(tripsCpu.piscina!),
    },
    corralOverRaw: overRaw,
    corralOverRawSpread: spread(ratiosRaw),
    corralOverPiscina: overPiscina,
  });
  const cpuOf = (name: string) => median(tripsCpu[name]!).toFixed(1);
  rows.push(
    `| round trip, raw postMessage | ${raw.toFixed(1)} µs (${
      spread(trips.raw)
    }; CPU ${cpuOf("raw")} µs) | | |`,
    `| round trip, WorkerPool.run() | ${corral.toFixed(1)} µs (${
      spread(trips.corral!)
    }; CPU ${cpuOf("corral")} µs); ${overRaw.toFixed(2)}× raw (rounds ${
      spread(ratiosRaw)
    }) | ≤ 1.3× raw | ${pass(overRaw <= 1.3)} |`,
    `| round trip, ${PISCINA} | ${piscina.toFixed(1)} µs (${
      spread(trips.piscina!)
    }; CPU ${cpuOf("piscina")} µs); corral ${
      overPiscina.toFixed(2)
    }× Piscina | ≤ 1× | ${pass(overPiscina <= 1)} |`,
  );
}
if (splits.pool1 !== undefined) {
  const speedup = paired(splits.pool1, splits.pool2!);
  const rawSpeedup = paired(splits.raw1!, splits.raw2!);
  Object.assign(result, {
    splitMillis: Object.fromEntries(
      Object.entries(splits).map(([name, xs]) => [name, median(xs)]),
    ),
    splitRounds: splits,
    splitLoads,
    speedup,
    rawSpeedup,
  });
  rows.push(
    `| primes < ${PRIMES}, pool of 1 / raw 1 | ${
      median(splits.pool1).toFixed(0)
    } ms / ${median(splits.raw1!).toFixed(0)} ms | | |`,
    `| primes < ${PRIMES}, pool of 2 / raw 2 | ${
      median(splits.pool2!).toFixed(0)
    } ms (${speedup.toFixed(2)}× faster) / ${
      median(splits.raw2!).toFixed(0)
    } ms (raw ${rawSpeedup.toFixed(2)}×); load ${
      splitLoads.map((l) => l.split(" ")[0]).join(", ")
    } | ≥ 1.8× | ${pass(speedup >= 1.8)} |`,
  );
}
for (const [loop, { past, gone, stillRunning }] of Object.entries(cancels)) {
  const worst = (xs: number[]) => xs.length === 0 ? NaN : Math.max(...xs);
  const what = loop === "plain"
    ? "a busy loop of plain JavaScript"
    : "a busy loop reading `performance.now()`";
  Object.assign(result, {
    [`cancel_${loop}`]: {
      pastGraceMillis: { median: median(past), max: worst(past) },
      gonePastGraceMillis: { median: median(gone), max: worst(gone) },
      threadStillRunning: `${stillRunning}/${past.length}`,
    },
  });
  rows.push(
    `| ${what}: the call returns after cancel, past the ${GRACE} ms grace | median ${
      median(past).toFixed(1)
    } ms, max ${worst(past).toFixed(1)} ms | ≤ 20 ms | ${
      pass(worst(past) <= 20)
    } |`,
    `| ${what}: its thread stopped, past the grace (its last turn) | ${
      gone.length === 0
        ? "never"
        : `median ${median(gone).toFixed(1)} ms, max ${
          worst(gone).toFixed(1)
        } ms`
    } | ≤ 20 ms | ${pass(stillRunning === 0 && worst(gone) <= 20)} |`,
    `| ${what}: its thread still running 1 s later | ${stillRunning} of ${past.length} | 0 | ${
      pass(stillRunning === 0)
    } |`,
  );
}
if (values.json) {
  console.log(JSON.stringify(result));
} else {
  console.log(
    `${runtime}, ${result.cores} cores, load ${load} → ${loadAfter}\n`,
  );
  console.log("| measure | value | target | |");
  console.log("| --- | --- | --- | --- |");
  for (const row of rows) console.log(row);
}
// The threads a terminate() left running (Deno before 2.9.4) must not keep
// the process alive.
process.exit(0);
