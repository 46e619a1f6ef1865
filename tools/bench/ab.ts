// Copyright the corral authors. MIT license.
/**
 * A/B of a change to the task machinery: spawn-join speed and memory per live
 * task of the working tree against a git revision, in one process.
 *
 * ```sh
 * deno run -A tools/bench/ab.ts HEAD~1            # 10,000 tasks per round
 * deno run -A tools/bench/ab.ts main --n 100000
 * ```
 *
 * Separate processes differ by ±20% on a busy machine, more than most changes
 * gain, so both versions run interleaved in one process. Each is bundled
 * (`deno bundle`) first: importing the other tree's modules directly would
 * resolve their `@corral/*` imports through this workspace and mix versions.
 * The import order matters: the bundle imported second reserves higher
 * indices in Deno's context (a higher `AsyncLocalStorage` id on that
 * backend), so its contexts are larger, and its speed has been seen 30%
 * off either way at 10,000 tasks. The comparison therefore runs twice, once
 * in each import order, and reports both; trust a change that wins in both.
 * Memory compares each version imported first.
 *
 * @module
 */
import { median } from "./_report.ts";

interface Result {
  /** Median ns per task of the bundle imported first, then the second. */
  ns: [number, number];
  /** Median of the per-round ratios, second over first. */
  ratio: number;
  /** Retained bytes per live (blocked) task, first then second. */
  bytes: [number, number];
}

async function trivial(i: number): Promise<number> {
  await null;
  return i;
}

type TaskGroupFn = (
  body: (group: { spawn(fn: () => unknown): unknown }) => unknown,
) => Promise<unknown>;

/** Child: imports the two bundles in the given order and measures. */
async function measure(first: string, second: string, n: number) {
  const groups: TaskGroupFn[] = [
    (await import(first)).taskGroup,
    (await import(second)).taskGroup,
  ];
  const gc = (globalThis as { gc?: () => void }).gc!;
  const rounds = Math.max(3, Math.floor(300_000 / n));
  const times: [number[], number[]] = [[], []];
  for (let round = 0; round < 14; round++) {
    for (const which of round % 2 === 0 ? [0, 1] as const : [1, 0] as const) {
      gc();
      const start = performance.now();
      for (let r = 0; r < rounds; r++) {
        await groups[which]!((group) => {
          for (let i = 0; i < n; i++) group.spawn(() => trivial(i));
        });
      }
      const ns = (performance.now() - start) * 1e6 / (rounds * n);
      if (round >= 2) times[which].push(ns);
    }
  }
  const bytes = [0, 0] as [number, number];
  for (const which of [0, 1] as const) {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    await groups[which]!(async (group) => {
      gc();
      const before = Deno.memoryUsage().heapUsed;
      for (let i = 0; i < n; i++) group.spawn(() => gate);
      await null;
      gc();
      bytes[which] = (Deno.memoryUsage().heapUsed - before) / n;
      release();
    });
  }
  const ratios = times[1].map((ns, i) => ns / times[0][i]!);
  const result: Result = {
    ns: [median(times[0]), median(times[1])],
    ratio: median(ratios),
    bytes,
  };
  console.log(JSON.stringify(result));
}

/** Runs a program to its end and returns its output; throws if it failed. */
async function run(
  program: string,
  args: string[],
  cwd?: string,
): Promise<string> {
  const output = await new Deno.Command(program, { args, cwd }).output();
  if (!output.success) {
    throw new Error(
      `${program} ${args.join(" ")} failed:\n${
        new TextDecoder().decode(output.stderr)
      }`,
    );
  }
  return new TextDecoder().decode(output.stdout);
}

const deno = Deno.execPath();

/** Parent: bundles both versions and runs a child per import order. */
async function main(revision: string, n: number) {
  const root = new URL("../../", import.meta.url).pathname;
  const temp = await Deno.makeTempDir({ prefix: "corral-ab-" });
  const tree = `${temp}/tree`;
  try {
    await run("git", [
      "-C",
      root,
      "worktree",
      "add",
      "--detach",
      tree,
      revision,
    ]);
    const entry = "packages/taskgroup/mod.ts";
    const base = `${temp}/base.js`, head = `${temp}/head.js`;
    await run(deno, ["bundle", "--quiet", entry, "-o", base], tree);
    await run(deno, ["bundle", "--quiet", entry, "-o", head], root);
    const self = new URL(import.meta.url).pathname;
    const child = (first: string, second: string) =>
      run(deno, [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        self,
        "--child",
        first,
        second,
        String(n),
      ]).then((text) => JSON.parse(text) as Result);
    console.log(`spawn-join, ${n} tasks per round: ${revision} → working tree`);
    const baseFirst = await child(base, head);
    const headFirst = await child(head, base);
    const show = (ns: number) => `${(ns / 1000).toFixed(2)} µs`;
    console.log(
      `  ${revision} imported first: ${show(baseFirst.ns[0])} → ${
        show(baseFirst.ns[1])
      } per task (${baseFirst.ratio.toFixed(3)}×)`,
    );
    console.log(
      `  working tree imported first: ${show(headFirst.ns[1])} → ${
        show(headFirst.ns[0])
      } per task (${(1 / headFirst.ratio).toFixed(3)}×)`,
    );
    console.log(
      `  memory per live task, each imported first: ${
        baseFirst.bytes[0].toFixed(0)
      } B → ${headFirst.bytes[0].toFixed(0)} B`,
    );
  } finally {
    await run("git", ["-C", root, "worktree", "remove", "--force", tree]).catch(
      () => {},
    );
    await Deno.remove(temp, { recursive: true });
  }
}

if (import.meta.main) {
  const [command, ...rest] = Deno.args;
  if (command === "--child") {
    await measure(rest[0]!, rest[1]!, Number(rest[2]));
  } else if (command === undefined || command.startsWith("-")) {
    console.error("Usage: deno run -A tools/bench/ab.ts <revision> [--n N]");
    Deno.exit(2);
  } else {
    const at = rest.indexOf("--n");
    const n = at >= 0 ? Number(rest[at + 1]) : 10_000;
    if (!Number.isInteger(n) || n < 1) {
      console.error(`--n must be a positive integer; got ${rest[at + 1]}`);
      Deno.exit(2);
    }
    await main(command, n);
  }
}
