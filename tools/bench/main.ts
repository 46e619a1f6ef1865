// Copyright the corral authors. MIT license.
/**
 * `deno task bench`: runs every benchmark case in its own fresh process and
 * prints side-by-side tables against the baselines.
 *
 * ```sh
 * deno task bench                      # everything (about 10 minutes)
 * deno task bench --quick              # fewer rounds (about 2-3 minutes)
 * deno task bench --filter spawn-join  # cases whose "benchmark/impl" contains it
 * deno task bench --markdown           # tables as Markdown, for the README
 * ```
 *
 * A case is one benchmark, one implementation, one size. Its process warms
 * up, measures rounds (median reported) and prints one line per round, so a
 * case that stops answering for `--timeout` seconds is killed and the rounds
 * it finished still count. Progress goes to stderr, tables to stdout.
 *
 * @module
 */
import {
  type BenchmarkInfo,
  type ChildMessage,
  EFFORT,
  LINE_PREFIX,
} from "./_harness.ts";
import {
  type BenchmarkResults,
  buildTable,
  type CaseResult,
  formatCount,
  formatMs,
  formatRatio,
  median,
  renderMarkdown,
  renderText,
  type TargetCheck,
} from "./_report.ts";

/** The case files, in the order their tables are printed. */
const CASE_FILES = [
  "cases/context.ts",
  "cases/spawn_join.ts",
  "cases/cancel_blocked.ts",
  "cases/cancel_tree.ts",
  "cases/checkpoint.ts",
  "cases/scope_enter.ts",
  "cases/sync.ts",
  "cases/stream.ts",
];

interface Options {
  filter: string;
  quick: boolean;
  markdown: boolean;
  timeoutSeconds: number;
}

const USAGE =
  `Usage: deno task bench [--quick] [--markdown] [--filter <text>] [--timeout <s>]
  --quick          fewer rounds (about 2-3 minutes instead of 10)
  --markdown       print the tables as Markdown
  --filter <text>  run the cases whose "benchmark/impl" contains <text>
                   (the baseline of a matching benchmark always runs)
  --timeout <s>    kill a case that prints nothing for <s> seconds
                   (default 20, or 15 with --quick)`;

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    filter: "",
    quick: false,
    markdown: false,
    timeoutSeconds: NaN,
  };
  let explicitTimeout = false;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string?];
    const value = () => inline ?? argv[++i] ?? "";
    if (flag === "--quick") options.quick = true;
    else if (flag === "--markdown") options.markdown = true;
    else if (flag === "--filter") options.filter = value();
    else if (flag === "--timeout") {
      options.timeoutSeconds = Number(value());
      explicitTimeout = true;
    } else if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      Deno.exit(0);
    } else {
      console.error(`Cannot run benchmarks: unknown option ${flag}\n${USAGE}`);
      Deno.exit(2);
    }
  }
  if (Number.isNaN(options.timeoutSeconds) && !explicitTimeout) {
    options.timeoutSeconds = options.quick ? 15 : 20;
  }
  if (!(options.timeoutSeconds > 0)) {
    console.error("Cannot run benchmarks: --timeout must be a positive number");
    Deno.exit(2);
  }
  return options;
}

// ---------------------------------------------------------------------------
// Child processes

function caseCommand(file: string, args: readonly string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      // Benchmarks must not write the workspace lockfile as a side effect.
      "--no-lock",
      "--v8-flags=--expose-gc",
      new URL(file, import.meta.url).pathname,
      ...args,
    ],
    stdin: "null",
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
}

/**
 * Runs a case file, calling `onMessage` for each line it prints, and kills
 * it if it prints nothing for `timeoutMs`.
 */
async function runProcess(
  file: string,
  args: readonly string[],
  timeoutMs: number,
  onMessage: (message: ChildMessage) => void,
): Promise<{ timedOut: boolean; code: number; stderr: string }> {
  const child = caseCommand(file, args).spawn();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }, timeoutMs);
  };
  arm();
  const stderr = new Response(child.stderr).text();
  let buffer = "";
  for await (
    const chunk of child.stdout.pipeThrough(new TextDecoderStream())
  ) {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) !== -1) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (!line.startsWith(LINE_PREFIX)) continue;
      arm();
      onMessage(JSON.parse(line.slice(LINE_PREFIX.length)));
    }
  }
  const status = await child.status;
  clearTimeout(timer);
  return { timedOut, code: status.code, stderr: await stderr };
}

async function listBenchmarks(file: string): Promise<BenchmarkInfo[]> {
  let found: BenchmarkInfo[] | undefined;
  const { code, stderr } = await runProcess(file, ["--list"], 120_000, (m) => {
    if (m.type === "list") found = m.benchmarks;
  });
  if (found === undefined) {
    throw new Error(`Cannot list ${file} (exit code ${code}):\n${stderr}`);
  }
  return found;
}

/** The last meaningful line a dying child wrote, for the footnote. */
function lastError(stderr: string): string {
  const lines = stderr
    // deno-lint-ignore no-control-regex
    .replace(/\x1b\[[0-9;]*m/g, "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("at "));
  const error = lines.find((line) =>
    /^(error: )?(Uncaught )?\w*Error\b/.test(line)
  );
  return (error ?? lines.at(-1) ?? "no output").replace(
    /^(error: )?(Uncaught )?/,
    "",
  );
}

async function runCase(
  file: string,
  info: BenchmarkInfo,
  impl: string,
  size: number,
  options: Options,
): Promise<CaseResult> {
  const rounds: Extract<ChildMessage, { type: "round" }>[] = [];
  let error: string | undefined;
  let done = false;
  const args = ["--bench", info.name, "--impl", impl, "--size", String(size)];
  if (options.quick) args.push("--quick");
  const { timedOut, code, stderr } = await runProcess(
    file,
    args,
    options.timeoutSeconds * 1000,
    (message) => {
      if (message.type === "round") rounds.push(message);
      else if (message.type === "error") error = message.message;
      else if (message.type === "done") done = true;
    },
  );
  const pick = (key: "ms" | "nsPerOp" | "cancelMs" | "bytesPerTask") => {
    const values = rounds.map((r) => r[key]).filter((v) => v !== undefined);
    return values.length === 0 ? undefined : median(values);
  };
  const result: CaseResult = {
    status: "ok",
    rounds: rounds.length,
    ...(timedOut && rounds.length > 0 ? { cutShort: true } : {}),
  };
  for (const key of ["ms", "nsPerOp", "cancelMs", "bytesPerTask"] as const) {
    const value = pick(key);
    if (value !== undefined) result[key] = value;
  }
  if (error !== undefined) {
    return { status: "error", rounds: 0, message: error };
  }
  if (done || (timedOut && rounds.length > 0)) return result;
  if (timedOut) return { status: "timeout", rounds: 0 };
  const message = `crashed (exit code ${code}): ${lastError(stderr)}`;
  return { status: "error", rounds: 0, message };
}

// ---------------------------------------------------------------------------
// The machine

/** The 1-minute load average, where the OS tells it. */
async function loadAverage(): Promise<string> {
  try {
    return (await Deno.readTextFile("/proc/loadavg")).split(" ")[0]!;
  } catch {
    return "unknown";
  }
}

async function machineLines(options: Options): Promise<string[]> {
  let cpu = "unknown CPU";
  try {
    const cpuinfo = await Deno.readTextFile("/proc/cpuinfo");
    cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux.
  }
  let memory = "";
  try {
    memory = `, ${Math.round(Deno.systemMemoryInfo().total / 2 ** 30)} GiB RAM`;
  } catch {
    // Not available.
  }
  const deps = await Deno.readTextFile(new URL("./deps.ts", import.meta.url));
  const peers = [...deps.matchAll(/"npm:((?:@[^/"]+\/)?[^@"]+)@([^"]+)"/g)]
    .map(([, name, version]) => `${name} ${version}`);
  const { deno, v8, typescript } = Deno.version;
  const effort = EFFORT[options.quick ? "quick" : "full"];
  return [
    `Machine: ${cpu}, ${navigator.hardwareConcurrency} cores${memory}`,
    `OS: ${Deno.build.os} ${Deno.osRelease()} (${Deno.build.arch})`,
    `Runtime: Deno ${deno}, V8 ${v8}, TypeScript ${typescript}`,
    `Compared: ${peers.join(", ")}; AsyncLocalStorage from node:async_hooks`,
    `Method: each case in a fresh process (--expose-gc); warm-up, then the median of ` +
    `${effort.minRounds}-${effort.maxRounds} rounds${
      options.quick ? " (--quick)" : ""
    }, ` +
    `gc() before each; ops cases: ${effort.opsRounds} rounds, calibrated; ` +
    `a case silent for ${options.timeoutSeconds} s is killed ("timeout")`,
  ];
}

// ---------------------------------------------------------------------------
// Main

interface PlannedCase {
  file: string;
  info: BenchmarkInfo;
  impl: string;
  sizeIndex: number;
}

function plan(
  file: string,
  benchmarks: readonly BenchmarkInfo[],
  filter: string,
): PlannedCase[] {
  const planned: PlannedCase[] = [];
  for (const info of benchmarks) {
    const matching = info.implementations.filter((impl) =>
      `${info.name}/${impl}`.includes(filter)
    );
    if (matching.length === 0) continue;
    const impls = info.implementations.filter((impl) =>
      impl === info.baseline || matching.includes(impl)
    );
    for (const impl of impls) {
      info.sizes.forEach((_, sizeIndex) =>
        planned.push({ file, info, impl, sizeIndex })
      );
    }
  }
  return planned;
}

function describeCase(c: PlannedCase): string {
  const size = c.info.sizes[c.sizeIndex]!;
  const sizeText = c.info.kind === "ops"
    ? (size === 0 ? "" : ` ${c.info.sizeLabel ?? "n"}=${formatCount(size)}`)
    : ` N=${formatCount(size)}`;
  return `${c.info.name} · ${c.impl}${sizeText}`;
}

function describeResult(c: PlannedCase, r: CaseResult): string {
  if (r.status !== "ok") return r.status + (r.message ? `: ${r.message}` : "");
  const size = c.info.sizes[c.sizeIndex]!;
  const value = r.nsPerOp !== undefined
    ? `${formatMs(r.nsPerOp / 1e6)}/op`
    : r.bytesPerTask !== undefined
    ? `${Math.round(r.bytesPerTask)} B/task`
    : `${formatMs(r.ms!)} (${formatMs(r.ms! / size)}/task)`;
  return `${value}, ${r.rounds} rounds${r.cutShort ? ", cut short" : ""}`;
}

const interactive = Deno.stderr.isTerminal();
const encoder = new TextEncoder();
async function write(text: string): Promise<void> {
  const bytes = encoder.encode(text);
  for (let done = 0; done < bytes.length;) {
    done += await Deno.stderr.write(bytes.subarray(done));
  }
}

const SKIPPED_AFTER_TIMEOUT = "not run: a smaller N already hit the time limit";

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  const started = performance.now();
  const header = await machineLines(options);
  const loadAtStart = await loadAverage();
  console.error("Listing benchmarks…");
  const listed = await Promise.all(CASE_FILES.map(listBenchmarks));
  const cases = CASE_FILES.flatMap((file, i) =>
    plan(file, listed[i]!, options.filter)
  );
  if (cases.length === 0) {
    console.error(`No benchmark matches --filter ${options.filter}`);
    Deno.exit(1);
  }

  const byName = new Map<string, BenchmarkResults>();
  // A case that timed out at some N would time out at every larger N too.
  const timedOut = new Set<string>();
  for (const [i, c] of cases.entries()) {
    let bench = byName.get(c.info.name);
    if (bench === undefined) {
      bench = { info: c.info, results: {} };
      byName.set(c.info.name, bench);
    }
    const row = bench.results[c.impl] ??= c.info.sizes.map(() => undefined);
    const counter = `[${
      String(i + 1).padStart(String(cases.length).length)
    }/${cases.length}]`;
    const caseStart = performance.now();
    if (interactive) await write(`${counter} ${describeCase(c)} …`);
    const key = `${c.info.name}/${c.impl}`;
    const result: CaseResult = timedOut.has(key)
      ? { status: "timeout", rounds: 0, message: SKIPPED_AFTER_TIMEOUT }
      : await runCase(
        c.file,
        c.info,
        c.impl,
        c.info.sizes[c.sizeIndex]!,
        options,
      );
    if (result.status === "timeout" || result.cutShort) timedOut.add(key);
    row[c.sizeIndex] = result;
    const seconds = ((performance.now() - caseStart) / 1000).toFixed(1);
    console.error(
      `${counter} ${describeCase(c)}: ${
        describeResult(c, result)
      } (${seconds} s)`,
    );
  }

  const targets: TargetCheck[] = [];
  const tables = [...byName.values()].map((b) => buildTable(b, targets));
  const minutes = ((performance.now() - started) / 60_000).toFixed(1);
  header.push(
    `Load average (1 min): ${loadAtStart} at start, ${await loadAverage()} at end ` +
      `(above ${navigator.hardwareConcurrency}, other processes competed for the CPU)`,
  );
  if (options.markdown) {
    console.log(header.map((line) => `- ${line}`).join("\n") + "\n");
    for (const table of tables) console.log(renderMarkdown(table));
  } else {
    console.log(header.join("\n") + "\n");
    for (const table of tables) console.log(renderText(table));
  }
  if (targets.length > 0) {
    console.log(options.markdown ? "### Targets\n" : "== Targets");
    for (const t of targets) {
      const pass = t.ratio !== undefined && t.ratio <= t.limit;
      const line =
        `${t.benchmark}: ${t.impl} ${formatRatio(t.ratio)} of baseline, ` +
        `target ≤ ${t.limit}× — ${pass ? "PASS" : "FAIL"}`;
      console.log(options.markdown ? `- ${line}` : `   ${line}`);
    }
    console.log("");
  }
  console.error(`Done: ${cases.length} cases in ${minutes} min`);
}

if (import.meta.main) await main();
