// Copyright the corral authors. MIT license.
/**
 * `deno task npm:test`: proves the npm artifacts as a user gets them.
 *
 * 1. `deno task npm` builds every package; `npm pack` packs each one.
 * 2. A fresh project in the system's temporary directory (outside the
 *    workspace, so nothing resolves to the sources) gets the files of
 *    `tools/npm/consumer/` and `npm install`s the tarballs, with
 *    TypeScript and Node's types for step 5.
 * 3. `node --test`: the consumer suite on this machine's Node.
 * 4. `bun test`: the same suite on Bun, from npm (`npx bun`).
 * 5. Deno runs `deno_backend.mjs` on the same installed packages: the
 *    `"deno"` export condition gives `@corral/context` the same backend as
 *    from JSR (`contextBackend` is `"Deno"`).
 * 6. `tsc`: the suite (`checkJs`), `types.ts` and a generated `exports.ts`
 *    (the types of every subpath of every package but `./deno`) type-check
 *    against the packages' `.d.ts` with Node's types only: no DOM lib, no
 *    Deno.
 *
 * The suite has one file per package (`test/<dir>.test.mjs`, copied only
 * when that package exists) and `test/packages.test.mjs`, which checks
 * every installed package's `package.json` and imports every subpath of
 * its `exports`, so a package added later is covered at once.
 *
 * With `--bench` (`deno task npm:bench`), the same installed project runs
 * `bench/spawn_join.mjs` instead of the suite: the spawn-join case of
 * `tools/bench` on Node and on Bun, one implementation per process, three
 * passes in turn (`--passes N` for more), and prints a table of the median
 * per-task times, then corral's ratio to its target's baseline pass by pass
 * against the targets (Node ≤ 1.2× with hooks on, Bun ≤ 2.5× raw), and in
 * one process: corral against the baseline, the floor of the model (what
 * any task makes, by hand) against it, and corral against the floor.
 *
 * ```sh
 * deno run --allow-all tools/npm/consumer_test.ts [--keep] [--bench [--passes N]]
 * ```
 *
 * @module
 */
import { build, pack, type PackageInfo } from "./build.ts";
import { median } from "../bench/_report.ts";

const CONSUMER = new URL("./consumer/", import.meta.url);
/** The Bun release the suite and the benchmarks run on, from npm. */
const BUN = "bun@1.4.5";
/** How `bench/spawn_join.mjs` starts on each runtime (`ab.ts` uses it too). */
export const SPAWN_JOIN: Record<"node" | "bun", [string, string[]]> = {
  node: ["node", ["--expose-gc", "bench/spawn_join.mjs"]],
  bun: ["npx", ["--yes", BUN, "bench/spawn_join.mjs"]],
};

/**
 * Runs `bench/spawn_join.mjs` with `args` in `project` on `runtime` and
 * returns the JSON line it printed; throws if it failed or printed none.
 */
export async function runSpawnJoin<T>(
  project: string,
  runtime: keyof typeof SPAWN_JOIN,
  args: string[],
): Promise<T> {
  const [cmd, base] = SPAWN_JOIN[runtime];
  const output = await new Deno.Command(cmd, {
    args: [...base, ...args],
    cwd: project,
    stderr: "inherit",
  }).output();
  const line = new TextDecoder().decode(output.stdout).split("\n")
    .find((text) => text.startsWith("{"));
  if (!output.success || line === undefined) {
    throw new Error(
      `spawn_join.mjs ${args.join(" ")} failed in ${project} (${runtime})`,
    );
  }
  return JSON.parse(line) as T;
}
const TYPESCRIPT = "typescript@5.9.3";
const NODE_TYPES = "@types/node@20";

/** Runs `cmd` in `cwd`, printing its output; returns whether it passed. */
async function step(
  title: string,
  cmd: string,
  args: string[],
  cwd: string,
): Promise<boolean> {
  console.log(`\n== ${title}: ${cmd} ${args.join(" ")}`);
  const { code } = await new Deno.Command(cmd, {
    args,
    cwd,
    stdout: "inherit",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn().status;
  console.log(`== ${title}: ${code === 0 ? "ok" : `FAILED (exit ${code})`}`);
  return code === 0;
}

async function copyTree(from: URL, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) {
      await copyTree(new URL(`${entry.name}/`, from), `${to}/${entry.name}`);
    } else if (entry.isFile) {
      await Deno.copyFile(new URL(entry.name, from), `${to}/${entry.name}`);
    }
  }
}

/**
 * Writes `exports.ts`, which imports the types of every subpath of every
 * package, so that `tsc` checks every `.d.ts` a user can reach, not only
 * those the suite happens to import. A subpath named `./deno` is Deno's
 * alone (`@corral/http/deno` wraps `Deno.serve`) and is left out.
 */
async function writeExportsCheck(
  packages: PackageInfo[],
  project: string,
): Promise<void> {
  const lines = [
    "// Written by tools/npm/consumer_test.ts: the types of every export.",
  ];
  const names: string[] = [];
  for (const info of packages) {
    for (const subpath of Object.keys(info.exports)) {
      if (subpath === "./deno") continue;
      const name = `m${names.length}`;
      names.push(name);
      lines.push(
        `import type * as ${name} from "${info.name}${subpath.slice(1)}";`,
      );
    }
  }
  lines.push(
    `export type Everything = [${names.map((n) => `typeof ${n}`).join(", ")}];`,
  );
  await Deno.writeTextFile(`${project}/exports.ts`, lines.join("\n") + "\n");
}

/** One line of `bench/spawn_join.mjs`. */
interface BenchLine {
  runtime: string;
  impl: string;
  n: number;
  perTask: number;
}

/**
 * The targets of the spawn-join case on each runtime: corral against the
 * baseline that pays what any corral program pays, Node's promise hooks
 * included.
 */
const TARGETS: Record<
  keyof typeof SPAWN_JOIN,
  { baseline: string; within: number }
> = {
  node: { baseline: "rawHooksOn", within: 1.2 },
  bun: { baseline: "raw", within: 2.5 },
};

/** The target of a runtime named as the bench prints it ("Node v20..."). */
function targetOf(runtime: string) {
  const id = runtime.split(" ")[0]!.toLowerCase();
  return id === "node" || id === "bun" ? TARGETS[id] : undefined;
}

/**
 * Runs the spawn-join bench on Node and Bun, `passes` times in turn, and
 * prints a table of the medians and, for corral, the ratio to its target's
 * baseline pass by pass (the two ran seconds apart, which cancels the
 * machine's drift better than a ratio of medians). Then the same ratio
 * measured within one process per runtime, corral and the baseline in
 * turn: less spread than separate processes, whose heaps and timing
 * differ (on the EPYC VM, 2026-12-06: Node 1.20–1.23× in three runs of 15
 * round pairs where passes ranged 1.03–1.42×). Last, in one process too,
 * the floor (`floor` in `bench/spawn_join.mjs`: the objects any task of the
 * model makes, written by hand with nothing else) against the baseline,
 * and corral against the floor.
 */
async function bench(project: string, passes: number): Promise<void> {
  const impls = ["raw", "rawHooksOn", "rawAls", "floor", "corral"];
  const runtimes = Object.keys(SPAWN_JOIN) as (keyof typeof SPAWN_JOIN)[];
  /** Per-task times by runtime and impl, one per pass. */
  const seen = new Map<string, number[]>();
  for (let pass = 0; pass < passes; pass++) {
    for (const runtime of runtimes) {
      for (const impl of impls) {
        const line = await runSpawnJoin<BenchLine>(project, runtime, [
          "100000",
          impl,
          "11",
        ]);
        const key = `${line.runtime}\t${line.impl}`;
        seen.set(key, [...(seen.get(key) ?? []), line.perTask]);
      }
    }
  }
  const label = `load average ${
    Deno.loadavg().map((x) => x.toFixed(2)).join(" ")
  }`;
  console.log(
    `\nspawn-join, N=100k, median of ${passes} passes (${label})\n`,
  );
  console.log("| runtime | impl | /task | × raw | × rawHooksOn |");
  console.log("| --- | --- | ---: | ---: | ---: |");
  const runtimesSeen = [
    ...new Set([...seen.keys()].map((k) => k.split("\t")[0]!)),
  ];
  const verdicts: string[] = [];
  for (const runtime of runtimesSeen) {
    const times = (impl: string) => seen.get(`${runtime}\t${impl}`) ?? [NaN];
    const raw = median(times("raw"));
    const hooks = median(times("rawHooksOn"));
    for (const impl of impls) {
      const value = median(times(impl));
      console.log(
        `| ${runtime} | ${impl} | ${value.toFixed(0)} ns | ${
          (value / raw).toFixed(2)
        }× | ${(value / hooks).toFixed(2)}× |`,
      );
    }
    const target = targetOf(runtime);
    if (target === undefined) continue;
    const base = times(target.baseline), corral = times("corral");
    const ratios = corral.map((value, pass) => value / base[pass]!);
    const sorted = [...ratios].sort((a, b) => a - b);
    const mid = median(ratios);
    verdicts.push(
      `${runtime}: corral ${mid.toFixed(3)}× ${target.baseline} (passes ${
        sorted[0]!.toFixed(2)
      }–${sorted.at(-1)!.toFixed(2)}), target ≤ ${target.within}× — ${
        mid <= target.within ? "PASS" : "OUTSIDE"
      }`,
    );
  }
  // The same target once more, measured in one process per runtime: a
  // round of corral and one of the baseline in turn (see `interleaved` in
  // bench/spawn_join.mjs). Then how much of that ratio is the model's
  // (the floor against the baseline) and how much corral's own code
  // (corral against the floor).
  for (const runtime of runtimes) {
    const target = TARGETS[runtime];
    const inOne = (baseline: string, subject: string) =>
      runSpawnJoin<InterleavedLine>(project, runtime, [
        "100000",
        "interleaved",
        String(INTERLEAVED_ROUNDS),
        baseline,
        subject,
      ]);
    const spread = (line: InterleavedLine) =>
      `${
        line.ratio.toFixed(3)
      }× ${line.baseline} (${INTERLEAVED_ROUNDS} round pairs ${
        line.low.toFixed(2)
      }–${line.high.toFixed(2)})`;
    const line = await inOne(target.baseline, "corral");
    verdicts.push(
      `${line.runtime}: corral ${
        spread(line)
      } in one process, target ≤ ${target.within}× — ${
        line.ratio <= target.within ? "PASS" : "OUTSIDE"
      }`,
    );
    const floor = await inOne(target.baseline, "floor");
    const above = await inOne("floor", "corral");
    verdicts.push(
      `${line.runtime}: the floor ${spread(floor)}; corral ${spread(above)}`,
    );
  }
  console.log(`\n${verdicts.join("\n")}`);
}

/** Round pairs of the one-process measurement. */
const INTERLEAVED_ROUNDS = 15;

/** What `spawn_join.mjs ... interleaved` prints. */
interface InterleavedLine {
  runtime: string;
  baseline: string;
  ratio: number;
  low: number;
  high: number;
}

if (import.meta.main) {
  const keep = Deno.args.includes("--keep");
  const packages = await build();
  const project = await Deno.makeTempDir({ prefix: "corral-npm-consumer-" });
  let passed = false;
  try {
    const tarballs = await pack(packages, `${project}/tarballs`);
    await copyTree(CONSUMER, project);
    // A package's own test file only when that package exists.
    const built = new Set(packages.map((p) => p.dir));
    for await (const entry of Deno.readDir(`${project}/test`)) {
      const dir = /^(.*)\.test\.mjs$/.exec(entry.name)?.[1];
      if (dir !== undefined && dir !== "packages" && !built.has(dir)) {
        await Deno.remove(`${project}/test/${entry.name}`);
      }
    }
    await writeExportsCheck(packages, project);
    passed = await step("install the tarballs", "npm", [
      "install",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      ...tarballs,
      TYPESCRIPT,
      NODE_TYPES,
    ], project);
    if (passed && Deno.args.includes("--bench")) {
      const at = Deno.args.indexOf("--passes");
      const passes = at === -1 ? 3 : Number(Deno.args[at + 1]);
      if (!Number.isInteger(passes) || passes < 1) {
        throw new TypeError(
          `--passes must be a positive integer: current value is ${
            Deno.args[at + 1]
          }`,
        );
      }
      await bench(project, passes);
    } else if (passed) {
      const results = [
        await step("Node", "node", ["--test"], project),
        await step("Bun", "npx", ["--yes", BUN, "test"], project),
        await step("Deno, on the npm build", Deno.execPath(), [
          "run",
          "--allow-all",
          "--node-modules-dir=manual",
          "deno_backend.mjs",
        ], project),
        await step("tsc, Node types only", "npx", ["tsc", "-p", "."], project),
      ];
      passed = results.every(Boolean);
    }
  } finally {
    if (keep) console.log(`\nkept ${project}`);
    else await Deno.remove(project, { recursive: true });
  }
  console.log(passed ? "\nnpm consumer: ok" : "\nnpm consumer: FAILED");
  if (!passed) Deno.exit(1);
}
