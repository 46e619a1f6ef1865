// Copyright the corral authors. MIT license.
/**
 * Worker benchmark: what `@corral/worker` costs, side by side in one run.
 *
 * - **Round trip.** One trivial call (`echo(i)`), awaited, again and again,
 *   on one warm worker: a raw `postMessage` to a module worker that echoes
 *   (the floor), `WorkerPool.run()` (size 1), and Piscina 5 (`npm:`, run
 *   by Deno through `node:worker_threads`, one thread). Rounds alternate
 *   between the three, so drift in the machine's speed hits all alike; the
 *   table gives the median time per call. Targets: corral ≤ 1.3× raw, and
 *   no slower than Piscina.
 * - **Parallel work.** Counting primes below `--primes` split in two
 *   halves, on a warm pool of size 1 (the halves in turn) and of size 2
 *   (at once). Target: size 2 at least 1.8× faster. The machine's core
 *   count and load average are printed with it: other programs on the
 *   same cores take from the second worker first.
 * - **Cancelling.** A call busy in a loop with no checkpoint is cancelled;
 *   the time from `cancel()` to the call's return (its worker terminated)
 *   less the grace period. Target: at most 20 ms past the grace period.
 *
 * ```sh
 * deno run -A tools/bench/worker.ts
 * deno run -A tools/bench/worker.ts --rounds 9 --calls 2000 --primes 3000000
 * ```
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { availableParallelism, loadavg } from "node:os";
import { CancelScope } from "../../packages/scope/mod.ts";
import { WorkerPool } from "../../packages/worker/mod.ts";
// Pinned here, not in deps.ts: only this benchmark needs it.
import { Piscina } from "npm:piscina@5.3.2";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "7" },
    calls: { type: "string", default: "2000" },
    primes: { type: "string", default: "2000000" },
    grace: { type: "string", default: "100" },
    json: { type: "boolean", default: false },
  },
});
const ROUNDS = Number(values.rounds);
const CALLS = Number(values.calls);
const PRIMES = Number(values.primes);
const GRACE = Number(values.grace);

const work = new URL("./_worker_work.ts", import.meta.url);

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function say(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));
}

// ---------------------------------------------------------------- round trip

type RoundTrip = (calls: number) => Promise<number>;

function rawWorker(): { run: RoundTrip; close: () => void } {
  const worker = new Worker(new URL("./_worker_raw.ts", import.meta.url), {
    type: "module",
  });
  let wake: (value: number) => void = () => {};
  worker.onmessage = (event) => wake(event.data);
  return {
    async run(calls) {
      let sum = 0;
      for (let i = 0; i < calls; i++) {
        sum += await new Promise<number>((resolve) => {
          wake = resolve;
          worker.postMessage(i);
        });
      }
      return sum;
    },
    close: () => worker.terminate(),
  };
}

/**
 * Wall time per call, and CPU time per call summed over every thread of
 * the process (both sides of the call): the second is what the code
 * costs, and moves less when other programs take the cores.
 */
async function roundTrips(): Promise<
  { times: Record<string, number[]>; cpu: Record<string, number[]> }
> {
  // Each implementation gets a fresh worker per round, warmed up before
  // the clock starts, and nothing else is alive while it is measured: an
  // idle Piscina thread kept alive beside the others tripled their CPU
  // time per call (it waits on Atomics, and wakes).
  const impls: Record<string, (calls: number) => Promise<number>> = {
    async raw(calls) {
      const raw = rawWorker();
      try {
        await raw.run(calls >> 2);
        return await measure(() => raw.run(calls));
      } finally {
        raw.close();
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
        await run(calls >> 2);
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
        for (let i = 0; i < n; i++) sum += await piscina.run(i);
        return sum;
      };
      try {
        await run(calls >> 2);
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
    for (const [name, run] of Object.entries(impls)) {
      times[name]!.push(await run(CALLS));
      cpu[name]!.push(cpuPerCall);
    }
  }
  return { times, cpu };
}

// ------------------------------------------------------------- parallel work

async function split(size: number): Promise<number[]> {
  const pool = new WorkerPool({ module: work, size });
  const halves = [[0, PRIMES / 2], [PRIMES / 2, PRIMES]];
  const times: number[] = [];
  await pool.open(async () => {
    // Warm: both workers started and the function optimized.
    await Promise.all(halves.map(() => pool.run("countPrimes", [0, 50_000])));
    for (let round = 0; round < Math.max(3, ROUNDS >> 1); round++) {
      const started = performance.now();
      await Promise.all(halves.map((half) => pool.run("countPrimes", half)));
      times.push(performance.now() - started);
    }
  });
  return times;
}

// ---------------------------------------------------------------- cancelling

async function cancelLatency(): Promise<number[]> {
  const pool = new WorkerPool({ module: work, size: 1, grace: GRACE });
  const past: number[] = [];
  await pool.open(async () => {
    for (let round = 0; round < 5; round++) {
      const { port1, port2 } = new MessageChannel();
      const started = new Promise((resolve) => (port1.onmessage = resolve));
      const scope = new CancelScope();
      const call = scope.run(() =>
        pool.run("spin", [port2], { transfer: [port2] })
      );
      await started;
      port1.close();
      const at = performance.now();
      scope.cancel();
      await call;
      past.push(performance.now() - at - GRACE);
      if (pool.workers !== 0) throw new Error("the busy worker survived");
    }
  });
  return past;
}

// -------------------------------------------------------------------- report

const load = loadavg().map((x) => x.toFixed(2)).join(" ");
say(`cores: ${availableParallelism()}, load average: ${load}`);
say("round trips...");
const { times: trips, cpu: tripsCpu } = await roundTrips();
say("parallel work...");
const one = await split(1);
const two = await split(2);
say("cancelling...");
const cancel = await cancelLatency();
const loadAfter = loadavg().map((x) => x.toFixed(2)).join(" ");

const raw = median(trips.raw!),
  corral = median(trips.corral!),
  piscina = median(trips.piscina!);
const speedup = median(one) / median(two);
const cpuOf = (name: string) => median(tripsCpu[name]!).toFixed(1);
/** The median of the rounds' ratios: each round's pair ran back to back. */
const paired = (a: number[], b: number[]) => median(a.map((x, i) => x / b[i]!));
const overRaw = paired(trips.corral!, trips.raw!);
const overPiscina = paired(trips.corral!, trips.piscina!);
const result = {
  deno: Deno.version.deno,
  cores: availableParallelism(),
  loadBefore: load,
  loadAfter,
  roundTripMicros: { raw, corral, piscina },
  roundTripCpuMicros: {
    raw: median(tripsCpu.raw!),
    corral: median(tripsCpu.corral!),
    piscina: median(tripsCpu.piscina!),
  },
  corralOverRaw: overRaw,
  corralOverPiscina: overPiscina,
  splitMillis: { size1: median(one), size2: median(two) },
  speedup,
  cancelPastGraceMillis: { median: median(cancel), max: Math.max(...cancel) },
};
if (values.json) {
  console.log(JSON.stringify(result));
} else {
  const pass = (ok: boolean) => (ok ? "PASS" : "FAIL");
  console.log(
    `Deno ${Deno.version.deno}, ${result.cores} cores, load ${load} → ${loadAfter}\n`,
  );
  console.log("| measure | value | target | |");
  console.log("| --- | --- | --- | --- |");
  console.log(
    `| round trip, raw postMessage | ${raw.toFixed(1)} µs (CPU ${
      cpuOf("raw")
    } µs) | | |`,
  );
  console.log(
    `| round trip, WorkerPool.run() | ${corral.toFixed(1)} µs (CPU ${
      cpuOf("corral")
    } µs); ${overRaw.toFixed(2)}× raw | ≤ 1.3× raw | ${pass(overRaw <= 1.3)} |`,
  );
  console.log(
    `| round trip, Piscina 5.3.2 (Deno, node:worker_threads) | ${
      piscina.toFixed(1)
    } µs (CPU ${cpuOf("piscina")} µs); corral ${
      overPiscina.toFixed(2)
    }× Piscina | ≤ 1× | ${pass(overPiscina <= 1)} |`,
  );
  console.log(
    `| primes < ${PRIMES}, pool of 1 | ${median(one).toFixed(0)} ms | | |`,
  );
  console.log(
    `| primes < ${PRIMES}, pool of 2 | ${median(two).toFixed(0)} ms (${
      speedup.toFixed(2)
    }× faster) | ≥ 1.8× | ${pass(speedup >= 1.8)} |`,
  );
  console.log(
    `| busy worker gone after cancel, past the ${GRACE} ms grace | median ${
      median(cancel).toFixed(1)
    } ms, max ${Math.max(...cancel).toFixed(1)} ms | ≤ 20 ms | ${
      pass(Math.max(...cancel) <= 20)
    } |`,
  );
}
