// Copyright the corral authors. MIT license.
// Profiling aid for `worker.ts`: `n` trivial calls in a row through the
// pool (or, with `raw`, a bare postMessage), nothing else, so a CPU profile
// (`node --cpu-prof` through tsx) shows the pool's own hot path.
//
//   deno run -A tools/bench/_worker_profile.ts 50000 [raw]
import process from "node:process";
import { readdirSync, readFileSync } from "node:fs";
import { WorkerPool } from "../../packages/worker/mod.ts";

const args = typeof Deno === "object" ? Deno.args : process.argv.slice(2);
const n = Number(args[0] ?? 50_000);
const work = new URL("./_worker_work.ts", import.meta.url);

/** CPU ticks (1/100 s) of each thread of this process, by thread id and name (Linux). */
function threads(): Map<string, [string, number]> {
  const found = new Map<string, [string, number]>();
  try {
    for (const id of readdirSync("/proc/self/task")) {
      const stat = readFileSync(`/proc/self/task/${id}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      found.set(id, [name, Number(fields[11]) + Number(fields[12])]);
    }
  } catch {
    // not Linux
  }
  return found;
}

async function loop(call: (i: number) => Promise<number>): Promise<void> {
  let sum = 0;
  for (let i = 0; i < 5_000; i++) sum += await call(i);
  const before = threads();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < n; i++) sum += await call(i);
  const took = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  const perThread: string[] = [];
  for (const [id, [name, ticks]] of threads()) {
    const spent = ticks - (before.get(id)?.[1] ?? 0);
    if (spent > 0) perThread.push(`${name} ${(spent * 1e4 / n).toFixed(1)}`);
  }
  if (perThread.length > 0) {
    console.log(`  CPU µs per call by thread: ${perThread.join(", ")}`);
  }
  console.log(
    `${args[1] ?? "pool"}: ${(took / n * 1000).toFixed(1)} µs per call, user ${
      (user / n).toFixed(1)
    } sys ${(system / n).toFixed(1)}, CPU ${
      ((user + system) / n).toFixed(1)
    } µs (${sum})`,
  );
}

if (args[1] === "raw") {
  const raw = new URL("./_worker_raw.ts", import.meta.url);
  let wake: (value: number) => void = () => {};
  if (typeof Deno === "object") {
    const worker = new Worker(raw, { type: "module" });
    worker.onmessage = (event) => wake(event.data);
    await loop((i) =>
      new Promise((resolve) => {
        wake = resolve;
        worker.postMessage(i);
      })
    );
    worker.terminate();
  } else {
    const threads = await import("node:worker_threads");
    const worker = new threads.Worker(raw);
    worker.on("message", (data: number) => wake(data));
    await loop((i) =>
      new Promise((resolve) => {
        wake = resolve;
        worker.postMessage(i);
      })
    );
    await worker.terminate();
  }
} else {
  const pool = new WorkerPool({ module: work, size: 1 });
  await pool.open(() => loop((i) => pool.run<number>("echo", [i])));
}
