// Copyright the corral authors. MIT license.
// The spawn-join case of tools/bench, on Node or Bun, against the installed
// npm packages: spawn N trivial tasks (one await each) and join them all.
//
//   node --expose-gc bench/spawn_join.mjs [n] [impl] [rounds]
//   bun bench/spawn_join.mjs [n] [impl] [rounds]
//   node --expose-gc bench/spawn_join.mjs [n] interleaved [rounds] <baseline>
//
// One implementation per process (as tools/bench does), warm-up, then the
// median of `rounds`, gc() before each. `interleaved` instead runs corral
// and `baseline` (one of the impls) in turn in one process and prints the
// median ratio of the round pairs.
import { AsyncLocalStorage } from "node:async_hooks";
import { contextBackend } from "@corral/context";
import { taskGroup } from "@corral/taskgroup";

async function trivial(/** @type {number} */ i) {
  await null;
  return i;
}

const storage = new AsyncLocalStorage();

function sum(/** @type {number[]} */ values) {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** @type {Record<string, (n: number) => Promise<unknown>>} */
const impls = {
  /** `Promise.all` over N async functions. */
  async raw(n) {
    const tasks = [];
    for (let i = 0; i < n; i++) tasks.push(trivial(i));
    return sum(await Promise.all(tasks));
  },
  /** The same, once an AsyncLocalStorage has been entered: Node 20 then runs its promise hooks on every promise, as in any program using corral. */
  async rawHooksOn(n) {
    storage.enterWith(0);
    const tasks = [];
    for (let i = 0; i < n; i++) tasks.push(trivial(i));
    return sum(await Promise.all(tasks));
  },
  /** Each task started inside its own AsyncLocalStorage.run. */
  async rawAls(n) {
    const tasks = [];
    for (let i = 0; i < n; i++) tasks.push(storage.run(i, trivial, i));
    return sum(await Promise.all(tasks));
  },
  /** taskGroup + N × group.spawn(fn). */
  async corral(n) {
    await taskGroup((group) => {
      for (let i = 0; i < n; i++) group.spawn(() => trivial(i));
    });
  },
};

/**
 * corral against `baseline` in one process, a round of each in turn, the
 * order alternating: the ratio of each round pair, so neither a process's
 * heap nor the machine's drift between processes weighs on it.
 *
 * @param {number} n
 * @param {number} rounds
 * @param {string} baseline
 */
async function interleaved(n, rounds, baseline) {
  const pair = [impls[baseline], impls.corral];
  for (let i = 0; i < 3; i++) for (const fn of pair) await fn(n);
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    const times = [0, 0];
    for (const which of r % 2 === 0 ? [0, 1] : [1, 0]) {
      gc();
      const started = performance.now();
      await pair[which](n);
      times[which] = performance.now() - started;
    }
    ratios.push(times[1] / times[0]);
  }
  ratios.sort((a, b) => a - b);
  return {
    ratio: ratios[Math.floor(ratios.length / 2)] ?? NaN,
    low: ratios[0] ?? NaN,
    high: ratios.at(-1) ?? NaN,
  };
}

const n = Number(process.argv[2] ?? 100_000);
const only = process.argv[3];
const rounds = Number(process.argv[4] ?? 11);
const bun = /** @type {{ Bun?: { version: string, gc(force: boolean): void } }} */ (
  /** @type {unknown} */ (globalThis)
).Bun;
const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc ??
  (bun ? () => bun.gc(true) : () => {});
const runtime = bun ? `Bun ${bun.version}` : `Node ${process.version}`;
if (only === "interleaved") {
  const baseline = process.argv[5] ?? "";
  if (!(baseline in impls) || baseline === "corral") {
    throw new TypeError(
      `interleaved needs a baseline, one of ${Object.keys(impls).join(", ")}: current value is "${baseline}"`,
    );
  }
  const { ratio, low, high } = await interleaved(n, rounds, baseline);
  console.log(
    JSON.stringify({ runtime, contextBackend, impl: only, n, baseline, ratio, low, high }),
  );
  process.exit(0);
}
for (const [name, fn] of Object.entries(impls)) {
  if (only !== undefined && only !== name) continue;
  for (let i = 0; i < 3; i++) await fn(n);
  const times = [];
  for (let r = 0; r < rounds; r++) {
    gc();
    const started = performance.now();
    await fn(n);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? NaN;
  console.log(
    JSON.stringify({ runtime, contextBackend, impl: name, n, median, perTask: median * 1e6 / n }),
  );
}
