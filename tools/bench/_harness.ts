// Copyright the corral authors. MIT license.
/**
 * The benchmark model and the child side of the harness.
 *
 * A case file (`cases/*.ts`) defines a list of {@linkcode Benchmark}s, each with
 * one function per implementation (`raw`, `effection`, `effect`, `corral`, …),
 * and ends with `if (import.meta.main) await runChild(benchmarks)`. `main.ts`
 * starts the case file once per (benchmark, implementation, size) in a fresh
 * process, so no case inherits another one's heap, JIT state or GC debt, and
 * reads the lines this module prints on stdout.
 *
 * An implementation that is `undefined` is skipped: that is how the corral
 * entries wait for their package to land.
 *
 * @module
 */

/**
 * A micro-benchmark: does the operation `iterations` times and returns
 * something derived from every result, so V8 cannot drop the work.
 * `size` is the benchmark's parameter (for example the number of variables
 * set); benchmarks without sizes pass 0.
 */
export type OpsFn = (iterations: number, size: number) => unknown;

/** Spawns `n` tasks and returns when every one of them has finished. */
export type ScalingFn = (n: number) => Promise<unknown>;

/** `n` tasks (or scopes) that are all blocked, waiting to be cancelled. */
export interface Blocked {
  /** Cancels every task and resolves once all of them have exited. */
  cancelAll(): Promise<unknown>;
}

/**
 * Starts `n` tasks that wait forever, and resolves once every one of them is
 * blocked (has run up to its wait), with a handle that cancels them all.
 */
export type BlockedFn = (n: number) => Promise<Blocked>;

/** One implementation per key; `undefined` means "not written yet, skip". */
export type Implementations<F> = Readonly<Record<string, F | undefined>>;

interface BenchmarkCommon {
  /** Unique, kebab-case, grouped with a slash: `context/get`. */
  name: string;
  /** One line saying what is measured. */
  title: string;
  /** The implementation every ratio is taken against. */
  baseline: string;
  /** What each implementation does, printed under the table. */
  legend?: Readonly<Record<string, string>>;
}

/** Time per operation, calibrated so that a round takes long enough. */
export interface OpsBenchmark extends BenchmarkCommon {
  kind: "ops";
  /** Parameter values, each its own case; omit for a benchmark without one. */
  sizes?: readonly number[];
  /** What `size` means, for the column header (`vars`). */
  sizeLabel?: string;
  /** Upper bounds of `impl / baseline`, printed as PASS/FAIL. */
  targets?: Readonly<Record<string, number>>;
  implementations: Implementations<OpsFn>;
}

/** Total time for N tasks, at several N, to show whether cost stays linear. */
export interface ScalingBenchmark extends BenchmarkCommon {
  kind: "scaling";
  sizes: readonly number[];
  implementations: Implementations<ScalingFn>;
}

/** Start N blocked tasks, cancel them all, wait until all have exited. */
export interface BlockedBenchmark extends BenchmarkCommon {
  kind: "blocked";
  sizes: readonly number[];
  implementations: Implementations<BlockedFn>;
}

/** Heap bytes per blocked task (after `gc()`), at N tasks. */
export interface MemoryBenchmark extends BenchmarkCommon {
  kind: "memory";
  sizes: readonly number[];
  implementations: Implementations<BlockedFn>;
}

/** Any benchmark a case file can define. */
export type Benchmark =
  | OpsBenchmark
  | ScalingBenchmark
  | BlockedBenchmark
  | MemoryBenchmark;

/** What `--list` prints for each benchmark: everything but the functions. */
export interface BenchmarkInfo {
  name: string;
  title: string;
  kind: Benchmark["kind"];
  baseline: string;
  sizes: number[];
  sizeLabel?: string;
  targets?: Record<string, number>;
  legend?: Record<string, string>;
  /** The implementations that exist, baseline first. */
  implementations: string[];
}

/** One line of child output (after {@linkcode LINE_PREFIX}). */
export type ChildMessage =
  | { type: "list"; benchmarks: BenchmarkInfo[] }
  | { type: "warm"; ms: number; iterations?: number }
  | {
    type: "round";
    /** Wall time of the whole round (ms). */
    ms: number;
    /** For ops: time per operation (ns). */
    nsPerOp?: number;
    /** For blocked: the cancel-and-join phase alone (ms). */
    cancelMs?: number;
    /** For memory: heap bytes per blocked task. */
    bytesPerTask?: number;
  }
  | { type: "done" }
  | { type: "error"; message: string };

/** Marks our lines on stdout, so a library that logs cannot confuse us. */
export const LINE_PREFIX = "@@bench ";

/** How hard to try; `main.ts` passes `--quick` through. */
export interface Effort {
  /** Minimum and maximum number of measured rounds. */
  minRounds: number;
  maxRounds: number;
  /** Stop after `minRounds` once the rounds took this long in total (ms). */
  budgetMs: number;
  /** Start no round that would end after this much time in total (ms). */
  capMs: number;
  /** Warm-up time for scaling and blocked cases (ms). */
  warmMs: number;
  /** Target length of one round of an ops benchmark (ms). */
  opsRoundMs: number;
  /** Rounds of an ops benchmark. */
  opsRounds: number;
}

/** Rounds and budgets of a full run and of `--quick`. */
export const EFFORT: Readonly<Record<"full" | "quick", Effort>> = {
  full: {
    minRounds: 5,
    maxRounds: 30,
    budgetMs: 1_500,
    capMs: 25_000,
    warmMs: 300,
    opsRoundMs: 60,
    opsRounds: 11,
  },
  quick: {
    minRounds: 3,
    maxRounds: 10,
    budgetMs: 400,
    capMs: 10_000,
    warmMs: 120,
    opsRoundMs: 25,
    opsRounds: 5,
  },
};

/** Describes a benchmark for `--list`. */
export function describeBenchmark(benchmark: Benchmark): BenchmarkInfo {
  const present = Object.keys(benchmark.implementations)
    .filter((name) => benchmark.implementations[name] !== undefined);
  present.sort((a, b) =>
    Number(b === benchmark.baseline) - Number(a === benchmark.baseline)
  );
  return {
    name: benchmark.name,
    title: benchmark.title,
    kind: benchmark.kind,
    baseline: benchmark.baseline,
    sizes: [...(benchmark.sizes ?? [0])],
    ...(benchmark.kind === "ops" && benchmark.sizeLabel !== undefined
      ? { sizeLabel: benchmark.sizeLabel }
      : {}),
    ...(benchmark.kind === "ops" && benchmark.targets !== undefined
      ? { targets: { ...benchmark.targets } }
      : {}),
    ...(benchmark.legend !== undefined
      ? { legend: { ...benchmark.legend } }
      : {}),
    implementations: present,
  };
}

// ---------------------------------------------------------------------------
// Child side

/** Keeps every result alive, so the work that produced it cannot be dropped. */
let sink: unknown;

function emit(message: ChildMessage): void {
  console.log(LINE_PREFIX + JSON.stringify(message));
}

const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** Runs `fn(…)` once and returns the elapsed milliseconds. */
async function timeOnce(fn: () => unknown): Promise<number> {
  const start = performance.now();
  const result = fn();
  sink = result instanceof Promise ? await result : result;
  return performance.now() - start;
}

/**
 * The entry point of a case file run as a child process. Arguments:
 * `--list`, or `--bench <name> --impl <name> --size <n> [--quick]`.
 *
 * @param benchmarks The benchmarks the case file defines.
 */
export async function runChild(
  benchmarks: readonly Benchmark[],
): Promise<void> {
  const args = parseChildArgs(Deno.args);
  if (args.list) {
    emit({ type: "list", benchmarks: benchmarks.map(describeBenchmark) });
    return;
  }
  try {
    const benchmark = benchmarks.find((b) => b.name === args.bench);
    if (benchmark === undefined) {
      throw new Error(`Cannot run benchmark: unknown name ${args.bench}`);
    }
    const fn = benchmark.implementations[args.impl];
    if (fn === undefined) {
      throw new Error(
        `Cannot run ${args.bench}: no implementation ${args.impl}`,
      );
    }
    const effort = EFFORT[args.quick ? "quick" : "full"];
    switch (benchmark.kind) {
      case "ops":
        await measureOps(fn as OpsFn, args.size, effort);
        break;
      case "scaling":
        await measureScaling(fn as ScalingFn, args.size, effort);
        break;
      case "blocked":
        await measureBlocked(fn as BlockedFn, args.size, effort);
        break;
      case "memory":
        await measureMemory(fn as BlockedFn, args.size, effort);
        break;
    }
    emit({ type: "done" });
  } catch (error) {
    emit({ type: "error", message: describeError(error) });
  }
  // Some libraries keep timers; the measurement is over, so do not wait.
  if (sink === performance) console.error("unreachable");
  Deno.exit(0);
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

interface ChildArgs {
  list: boolean;
  bench: string;
  impl: string;
  size: number;
  quick: boolean;
}

function parseChildArgs(argv: readonly string[]): ChildArgs {
  const args: ChildArgs = {
    list: false,
    bench: "",
    impl: "",
    size: 0,
    quick: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--list") args.list = true;
    else if (arg === "--quick") args.quick = true;
    else if (arg === "--bench") args.bench = argv[++i] ?? "";
    else if (arg === "--impl") args.impl = argv[++i] ?? "";
    else if (arg === "--size") args.size = Number(argv[++i]);
    else throw new TypeError(`Cannot parse case arguments: unknown ${arg}`);
  }
  return args;
}

/**
 * Whether to measure one more round: at least `minRounds`, at most
 * `maxRounds`, and stop once the budget is spent or the next round (guessed
 * to last as long as the last one) would end after the cap.
 */
function wantAnotherRound(
  rounds: number,
  spentMs: number,
  lastMs: number,
  effort: Effort,
): boolean {
  if (rounds >= effort.maxRounds) return false;
  if (rounds > 0 && spentMs + lastMs > effort.capMs) return false;
  if (rounds < effort.minRounds) return true;
  return spentMs < effort.budgetMs;
}

/** Runs `fn(small)` until the warm-up time is spent, to let the JIT settle. */
async function warmUp(
  fn: () => Promise<unknown>,
  effort: Effort,
): Promise<void> {
  const start = performance.now();
  let runs = 0;
  while (
    runs < 3 ||
    (performance.now() - start < effort.warmMs && runs < 10_000)
  ) {
    sink = await fn();
    runs++;
    // A slow implementation stops after 3 runs or the cap, whichever first.
    if (performance.now() - start > 4 * effort.warmMs) break;
  }
  emit({ type: "warm", ms: performance.now() - start });
}

async function measureOps(
  fn: OpsFn,
  size: number,
  effort: Effort,
): Promise<void> {
  // Calibrate: grow the iteration count until one round takes opsRoundMs.
  // This also warms the JIT up.
  let iterations = 1;
  const calibrationStart = performance.now();
  for (;;) {
    const ms = await timeOnce(() => fn(iterations, size));
    if (ms >= effort.opsRoundMs) break;
    const factor = ms <= 0.5 ? 10 : Math.min(10, effort.opsRoundMs * 1.2 / ms);
    iterations = Math.ceil(iterations * Math.max(factor, 1.1));
  }
  for (let i = 0; i < 2; i++) await timeOnce(() => fn(iterations, size));
  emit({
    type: "warm",
    ms: performance.now() - calibrationStart,
    iterations,
  });
  for (let round = 0; round < effort.opsRounds; round++) {
    gc();
    const ms = await timeOnce(() => fn(iterations, size));
    emit({ type: "round", ms, nsPerOp: ms * 1e6 / iterations });
  }
}

async function measureScaling(
  fn: ScalingFn,
  n: number,
  effort: Effort,
): Promise<void> {
  const small = Math.min(n, 1_000);
  await warmUp(() => fn(small), effort);
  let rounds = 0, spent = 0, last = 0;
  while (wantAnotherRound(rounds, spent, last, effort)) {
    gc();
    last = await timeOnce(() => fn(n));
    spent += last;
    rounds++;
    emit({ type: "round", ms: last });
  }
}

async function runBlocked(fn: BlockedFn, n: number): Promise<[number, number]> {
  const start = performance.now();
  const blocked = await fn(n);
  const cancelStart = performance.now();
  sink = await blocked.cancelAll();
  const end = performance.now();
  return [end - start, end - cancelStart];
}

async function measureBlocked(
  fn: BlockedFn,
  n: number,
  effort: Effort,
): Promise<void> {
  const small = Math.min(n, 1_000);
  await warmUp(() => runBlocked(fn, small), effort);
  let rounds = 0, spent = 0, last = 0;
  while (wantAnotherRound(rounds, spent, last, effort)) {
    gc();
    const [ms, cancelMs] = await runBlocked(fn, n);
    last = ms;
    spent += ms;
    rounds++;
    emit({ type: "round", ms, cancelMs });
  }
}

async function measureMemory(
  fn: BlockedFn,
  n: number,
  effort: Effort,
): Promise<void> {
  // Warm up so that code, inline caches and lazily built library state are
  // already on the heap before the first measurement.
  await warmUp(() => runBlocked(fn, Math.min(n, 1_000)), effort);
  // Heap use barely varies between rounds: one round, more only if cheap.
  let rounds = 0, spent = 0;
  while (rounds === 0 || (rounds < 3 && spent < effort.budgetMs)) {
    const start = performance.now();
    gc();
    gc();
    const before = Deno.memoryUsage().heapUsed;
    const blocked = await fn(n);
    gc();
    gc();
    const after = Deno.memoryUsage().heapUsed;
    // Report before cancelling: the number is known, and the parent's
    // silence timer should not have to cover the cancellation too.
    emit({
      type: "round",
      ms: performance.now() - start,
      bytesPerTask: (after - before) / n,
    });
    sink = await blocked.cancelAll();
    spent += performance.now() - start;
    rounds++;
  }
}

/** Counts tasks in; resolves `all` when the `n`th arrives. */
export function startLine(n: number): { arrive(): void; all: Promise<void> } {
  const { promise, resolve } = Promise.withResolvers<void>();
  let arrived = 0;
  if (n === 0) resolve();
  return {
    arrive() {
      if (++arrived === n) resolve();
    },
    all: promise,
  };
}
