// Copyright the corral authors. MIT license.
// The spawn-join case of tools/bench, on Node or Bun, against the installed
// npm packages: spawn N trivial tasks (one await each) and join them all.
//
//   node --expose-gc bench/spawn_join.mjs [n] [impl] [rounds]
//   bun bench/spawn_join.mjs [n] [impl] [rounds]
//   node --expose-gc bench/spawn_join.mjs [n] interleaved [rounds] <baseline> [subject]
//
// One implementation per process (as tools/bench does), warm-up, then the
// median of `rounds`, gc() before each. `interleaved` instead runs `subject`
// (corral unless named) and `baseline` (one of the impls) in turn in one
// process and prints the median ratio of the round pairs.
import { AsyncLocalStorage } from "node:async_hooks";
import { contextBackend } from "@corral/context";
import { taskGroup } from "@corral/taskgroup";

async function trivial(/** @type {number} */ i) {
  await null;
  return i;
}

const storage = new AsyncLocalStorage();

// The floor: what any task of corral's model must make, written by hand
// with nothing else. A scope with corral's eleven fields, linked into its
// parent's child list while it runs; a task handle with four; a context
// frame entered with one AsyncLocalStorage.run; one `then` on the body's
// promise, its two callbacks shared, finding the scope from the context;
// a count for the join. No checks, no cancellation, no rule 19. Fields
// never read are there for their size: the objects are what is measured.
class FloorScope {
  #name = "";
  #flags = 0;
  #cancelled;
  #parent;
  #children;
  #previous;
  #next;
  #rare;
  #waiters;
  #owner;
  #settle;
  link(parent) {
    this.#parent = parent;
    this.#next = parent.#children;
    if (this.#next !== undefined) this.#next.#previous = this;
    parent.#children = this;
  }
  unlink() {
    const parent = this.#parent;
    if (this.#previous !== undefined) this.#previous.#next = this.#next;
    else parent.#children = this.#next;
    if (this.#next !== undefined) this.#next.#previous = this.#previous;
    this.#parent = this.#previous = this.#next = undefined;
  }
  own(owner, settle) {
    this.#owner = owner;
    this.#settle = settle;
  }
  settle(failed, outcome) {
    this.unlink();
    this.#settle(this.#owner, failed, outcome);
  }
}
class FloorTask {
  #scope;
  #failed;
  #outcome;
  #result;
  constructor(scope) {
    this.#scope = scope;
  }
  settled(failed, outcome) {
    this.#failed = failed;
    this.#outcome = outcome;
  }
}
const scopeOf = () => storage.getStore().value;
const fulfilled = (value) => scopeOf().settle(false, value);
const rejected = (error) => scopeOf().settle(true, error);
function floorBody(scope, fn) {
  fn(scope).then(fulfilled, rejected);
}

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
  /** The floor above: N tasks with the objects the model needs, and no more. */
  async floor(n) {
    const group = new FloorScope();
    let unsettled = 0, release = () => {};
    const joined = new Promise((resolve) => release = resolve);
    const settle = (task, failed, outcome) => {
      task.settled(failed, outcome);
      if (--unsettled === 0) release();
    };
    // Spawned from inside the group's context, as a group's body does.
    const frame = { variable: storage, value: group, rest: undefined };
    storage.run(frame, () => {
      for (let i = 0; i < n; i++) {
        const scope = new FloorScope();
        scope.own(new FloorTask(scope), settle);
        scope.link(group);
        unsettled++;
        const frame = { variable: storage, value: scope, rest: undefined };
        storage.run(frame, floorBody, scope, () => trivial(i));
      }
    });
    await joined;
  },
  /** taskGroup + N × group.spawn(fn). */
  async corral(n) {
    await taskGroup((group) => {
      for (let i = 0; i < n; i++) group.spawn(() => trivial(i));
    });
  },
};

/**
 * `subject` against `baseline` in one process, a round of each in turn, the
 * order alternating: the ratio of each round pair, so neither a process's
 * heap nor the machine's drift between processes weighs on it.
 *
 * @param {number} n
 * @param {number} rounds
 * @param {string} baseline
 * @param {string} subject
 */
async function interleaved(n, rounds, baseline, subject) {
  const pair = [impls[baseline], impls[subject]];
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
const bun =
  /** @type {{ Bun?: { version: string, gc(force: boolean): void } }} */ (
    /** @type {unknown} */ (globalThis)
  ).Bun;
const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc ??
  (bun ? () => bun.gc(true) : () => {});
const runtime = bun ? `Bun ${bun.version}` : `Node ${process.version}`;
if (only === "interleaved") {
  const baseline = process.argv[5] ?? "", subject = process.argv[6] ?? "corral";
  for (
    const [role, name] of [["a baseline", baseline], ["a subject", subject]]
  ) {
    if (!(name in impls)) {
      throw new TypeError(
        `interleaved needs ${role}, one of ${
          Object.keys(impls).join(", ")
        }: current value is "${name}"`,
      );
    }
  }
  if (baseline === subject) {
    throw new TypeError(`interleaved needs two impls: both are "${baseline}"`);
  }
  const { ratio, low, high } = await interleaved(n, rounds, baseline, subject);
  console.log(
    JSON.stringify({
      runtime,
      contextBackend,
      impl: only,
      n,
      baseline,
      subject,
      ratio,
      low,
      high,
    }),
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
    JSON.stringify({
      runtime,
      contextBackend,
      impl: name,
      n,
      median,
      perTask: median * 1e6 / n,
    }),
  );
}
