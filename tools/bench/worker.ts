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

async function roundTrips(): Promise<Record<string, number[]>> {
  const raw = rawWorker();
  const piscina = new Piscina({
    filename: new URL("./_worker_piscina_task.mjs", import.meta.url).href,
    minThreads: 1,
    maxThreads: 1,
    idleTimeout: 60_000,
  });
  const pool = new WorkerPool({ module: work, size: 1 });
  const times: Record<string, number[]> = { raw: [], corral: [], piscina: [] };
  try {
    await pool.open(async () => {
      const impls: Record<string, RoundTrip> = {
        raw: raw.run,
        corral: async (calls) => {
          let sum = 0;
          for (let i = 0; i < calls; i++) {
            sum += await pool.run<number>("echo", [i]);
          }
          return sum;
        },
        piscina: async (calls) => {
          let sum = 0;
          for (let i = 0; i < calls; i++) sum += await piscina.run(i);
          return sum;
        },
      };
      // Warm up: workers started, modules loaded, code optimized.
      for (const run of Object.values(impls)) await run(CALLS);
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, run] of Object.entries(impls)) {
          const started = performance.now();
          await run(CALLS);
          times[name]!.push((performance.now() - started) / CALLS * 1000);
        }
      }
    });
  } finally {
    raw.close();
    await piscina.destroy();
  }
  return times;
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
const trips = await roundTrips();
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
const result = {
  deno: Deno.version.deno,
  cores: availableParallelism(),
  loadBefore: load,
  loadAfter,
  roundTripMicros: { raw, corral, piscina },
  corralOverRaw: corral / raw,
  corralOverPiscina: corral / piscina,
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
  console.log(`| round trip, raw postMessage | ${raw.toFixed(1)} µs | | |`);
  console.log(
    `| round trip, WorkerPool.run() | ${corral.toFixed(1)} µs (${
      (corral / raw).toFixed(2)
    }× raw) | ≤ 1.3× raw | ${pass(corral / raw <= 1.3)} |`,
  );
  console.log(
    `| round trip, Piscina 5.3.2 (Deno, node:worker_threads) | ${
      piscina.toFixed(1)
    } µs | corral ≤ Piscina | ${pass(corral <= piscina)} |`,
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
