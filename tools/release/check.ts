// Copyright the corral authors. MIT license.
/**
 * `deno task release`: the checks a release must pass, one table, package ×
 * check. Exits 1 if any check fails.
 *
 * - publish: `deno publish --dry-run` of the workspace succeeds (so it
 *   found no slow types; `--allow-slow-types` is never passed) and the
 *   package's published files include no test file or test helper.
 * - doc lint: `deno doc --lint` of every entry point in `exports`, with the
 *   main entry points of the package's workspace dependencies beside it
 *   (alone, a `CancelScope` in taskgroup's API reads as a private type,
 *   because the workspace resolves `@corral/scope` to local files; published,
 *   it is a JSR dependency's public type).
 * - examples: every function, class and constant exported by `mod.ts` has a
 *   JSDoc `@example` (types and interfaces need a JSDoc, which doc lint
 *   checks).
 * - readme, license: `README.md` has the install lines for Deno
 *   (`deno add jsr:@corral/<p>`), Node (`npx jsr add @corral/<p>`) and Bun
 *   (`bunx jsr add @corral/<p>`); `LICENSE` is there.
 * - deps: the package declares only workspace packages, each with a version
 *   or range its dependency's version satisfies; one of the same or a later
 *   layer of `context ← scope ← sync ← taskgroup ← stream, interop, http,
 *   worker` (`LAYERS`) is reported as for doc examples only.
 * - graph: `deno info --json` of each entry point, in a fresh process: every
 *   module is the package's own or a declared dependency's (transitively),
 *   every import is relative within the package, `node:`, or a declared
 *   `@corral/*` package of an earlier layer.
 * - imports alone: `deno run --no-prompt packages/<p>/mod.ts` with no
 *   permissions, in a fresh process: loading it has no side effect that
 *   needs one, and does not throw.
 *
 * @module
 */

/**
 * The dependency layers of `docs/README.md` ("The packages"): a package may
 * use only packages of earlier layers.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ["context"],
  ["scope"],
  ["sync"],
  ["taskgroup"],
  ["stream", "interop", "http", "worker"],
];

/** Every package of `LAYERS`, in order. */
export const ORDER: readonly string[] = LAYERS.flat();

/** The layer of package `dir`, or -1. */
function layerOf(dir: string): number {
  return LAYERS.findIndex((layer) => layer.includes(dir));
}

const ROOT = new URL("../../", import.meta.url);
const DENO = Deno.execPath();

interface PackageConfig {
  name: string;
  version: string;
  exports: Record<string, string>;
  imports?: Record<string, string>;
}

/** A check's outcome for one package. */
export interface Outcome {
  ok: boolean;
  /** Shown under the table when not ok; or a short note when ok. */
  detail?: string;
}

async function readConfig(dir: string): Promise<PackageConfig> {
  const json = JSON.parse(
    await Deno.readTextFile(new URL(`packages/${dir}/deno.json`, ROOT)),
  );
  if (typeof json.exports === "string") json.exports = { ".": json.exports };
  return json;
}

async function run(
  args: string[],
): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command(DENO, {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

/**
 * The first few lines of a tool's complaint, for the notes: from the first
 * line that says "error", if any, and without progress or backtrace lines.
 */
function excerpt(output: string, lines = 6): string {
  const all = output.split("\n");
  const first = all.findIndex((line) => /error/i.test(line));
  return all.slice(Math.max(first, 0))
    .filter((line) =>
      line.trim() !== "" && !/^\s*\d+: <unknown>$/.test(line) &&
      !line.startsWith("Stack backtrace")
    )
    .slice(0, lines).join("\n      ");
}

/** `deno publish --dry-run` once for the workspace; per package: its files. */
async function publishDryRun(): Promise<
  { ok: boolean; output: string; files: Map<string, string[]> }
> {
  const { code, output } = await run(["publish", "--dry-run", "--allow-dirty"]);
  const files = new Map<string, string[]>();
  for (const match of output.matchAll(/packages\/([^/\s]+)\/(\S+) \(/g)) {
    const list = files.get(match[1]!) ?? [];
    list.push(match[2]!);
    files.set(match[1]!, list);
  }
  const ok = code === 0 && !/slow type/i.test(output.replace(
    "Checking for slow types in the public API...",
    "",
  ));
  return { ok, output, files };
}

/**
 * Files that are tests or test helpers, by the workspace's naming:
 * `*_test.ts`, `*_bench.ts`, `_test_*.ts`.
 *
 * @param files Paths inside the package.
 */
export function testFiles(files: string[]): string[] {
  return files.filter((file) =>
    /(^|\/)(_test_[^/]*|[^/]*_test\.[mc]?[jt]sx?|[^/]*_bench\.[mc]?[jt]sx?)$/
      .test(file)
  );
}

async function docLint(dir: string, config: PackageConfig): Promise<Outcome> {
  const own = Object.values(config.exports).map((file) =>
    `packages/${dir}/${file.replace(/^\.\//, "")}`
  );
  // Every package's main entry, not only the direct dependencies: a
  // dependency's public types can name a type of its own dependency (taskgroup's
  // options name sync's CapacityLimiter).
  const deps = [];
  for (const entry of Deno.readDirSync("packages")) {
    if (entry.isDirectory && entry.name !== dir) {
      deps.push(`packages/${entry.name}/mod.ts`);
    }
  }
  const { code, output } = await run(["doc", "--lint", ...own, ...deps]);
  return code === 0 ? { ok: true } : { ok: false, detail: excerpt(output, 12) };
}

/** Checks `@example` on every function, class and variable `mod.ts` exports. */
async function examples(dir: string): Promise<Outcome> {
  const { code, output } = await run([
    "doc",
    "--json",
    `packages/${dir}/mod.ts`,
  ]);
  if (code !== 0) return { ok: false, detail: excerpt(output) };
  const doc = JSON.parse(output.slice(output.indexOf("{")));
  const missing: string[] = [];
  let checked = 0;
  for (const node of Object.values(doc.nodes) as DocNode[]) {
    for (const symbol of node.symbols ?? []) {
      const declaration = symbol.declarations.find((each) =>
        ["function", "class", "variable"].includes(each.kind)
      );
      if (declaration === undefined) continue;
      checked++;
      const tags = declaration.jsDoc?.tags ?? [];
      if (!tags.some((tag) => tag.kind === "example")) {
        missing.push(symbol.name);
      }
    }
  }
  return missing.length === 0
    ? { ok: true, detail: `${checked} exports` }
    : { ok: false, detail: `no @example on: ${missing.join(", ")}` };
}

interface DocNode {
  symbols?: {
    name: string;
    declarations: {
      kind: string;
      jsDoc?: { tags?: { kind: string }[] };
    }[];
  }[];
}

async function readme(dir: string, config: PackageConfig): Promise<Outcome> {
  let text: string;
  try {
    text = await Deno.readTextFile(
      new URL(`packages/${dir}/README.md`, ROOT),
    );
  } catch {
    return { ok: false, detail: "no README.md" };
  }
  const lines = [
    `deno add jsr:${config.name}`,
    `npx jsr add ${config.name}`,
    `bunx jsr add ${config.name}`,
  ];
  const missing = lines.filter((line) => !text.includes(line));
  return missing.length === 0
    ? { ok: true }
    : { ok: false, detail: `README.md lacks: ${missing.join("; ")}` };
}

async function license(dir: string): Promise<Outcome> {
  try {
    const text = await Deno.readTextFile(
      new URL(`packages/${dir}/LICENSE`, ROOT),
    );
    return text.trim() === ""
      ? { ok: false, detail: "LICENSE is empty" }
      : { ok: true };
  } catch {
    return { ok: false, detail: "no LICENSE" };
  }
}

/** The workspace packages (directory names) a package declares. */
function workspaceDeps(config: PackageConfig): string[] {
  return Object.keys(config.imports ?? {})
    .filter((key) => key.startsWith("@corral/"))
    .map((key) => key.slice("@corral/".length));
}

/**
 * Whether `version` satisfies a caret or exact range, as in
 * `jsr:@corral/scope@^0.1.0`. Enough for our own ranges; anything else is
 * reported as not understood.
 *
 * @param range The range after the `@`.
 * @param version The dependency's version.
 */
export function satisfies(range: string, version: string): boolean {
  const parse = (text: string) => text.split(".").map(Number);
  const caret = range.startsWith("^");
  const want = parse(caret ? range.slice(1) : range);
  const have = parse(version);
  if (want.length !== 3 || have.length !== 3) return false;
  if ([...want, ...have].some(Number.isNaN)) return false;
  if (!caret) return want.every((part, i) => part === have[i]);
  // Caret: the first non-zero part is fixed; the rest may only grow.
  const fixed = want.findIndex((part) => part !== 0);
  const keep = fixed < 0 ? 3 : fixed + 1;
  for (let i = 0; i < keep; i++) if (have[i] !== want[i]) return false;
  for (let i = keep; i < 3; i++) {
    if (have[i]! !== want[i]!) return have[i]! > want[i]!;
  }
  return true;
}

function declaredDeps(
  dir: string,
  config: PackageConfig,
  configs: Map<string, PackageConfig>,
): Outcome {
  const problems: string[] = [];
  const examplesOnly: string[] = [];
  const position = layerOf(dir);
  if (position < 0) {
    problems.push(`${dir} is not in the layers of docs/README.md`);
  }
  for (const [key, value] of Object.entries(config.imports ?? {})) {
    if (!key.startsWith("@corral/")) {
      problems.push(`declares a dependency outside the workspace: ${key}`);
      continue;
    }
    const dep = key.slice("@corral/".length);
    if (layerOf(dep) < 0) {
      problems.push(`declares ${key}, which is in no layer of docs/README.md`);
    } else if (layerOf(dep) >= position) {
      // Allowed for doc examples (a channel's example opens a task group);
      // `graph` fails the package if its code imports it.
      examplesOnly.push(dep);
    }
    const match = /^jsr:(@corral\/[^@]+)@(.+)$/.exec(value);
    const target = configs.get(dep);
    if (!match || match[1] !== key) {
      problems.push(`${key} should be "jsr:${key}@<version>", not ${value}`);
    } else if (target && !satisfies(match[2]!, target.version)) {
      problems.push(`${value} does not match ${key}@${target.version}`);
    }
  }
  const deps = workspaceDeps(config).filter((dep) =>
    !examplesOnly.includes(dep)
  );
  const detail = (deps.length > 0 ? deps.join(", ") : "none") +
    (examplesOnly.length > 0
      ? ` (and ${examplesOnly.join(", ")} for doc examples only)`
      : "");
  return problems.length === 0
    ? { ok: true, detail }
    : { ok: false, detail: problems.join("; ") };
}

/** The declared dependencies, followed transitively, and the package. */
function allowedPackages(
  dir: string,
  configs: Map<string, PackageConfig>,
): Set<string> {
  const allowed = new Set<string>();
  const todo = [dir];
  while (todo.length > 0) {
    const next = todo.pop()!;
    if (allowed.has(next)) continue;
    allowed.add(next);
    const config = configs.get(next);
    if (config) todo.push(...workspaceDeps(config));
  }
  return allowed;
}

interface InfoModule {
  specifier: string;
  kind?: string;
  error?: string;
  dependencies?: { specifier: string; code?: { specifier?: string } }[];
}

async function graph(
  dir: string,
  config: PackageConfig,
  configs: Map<string, PackageConfig>,
): Promise<Outcome> {
  const allowed = allowedPackages(dir, configs);
  const packagesUrl = new URL("packages/", ROOT).href;
  const owner = (specifier: string) =>
    specifier.startsWith(packagesUrl)
      ? specifier.slice(packagesUrl.length).split("/")[0]
      : undefined;
  const problems = new Set<string>();
  const modules = new Set<string>();
  for (const file of Object.values(config.exports)) {
    const entry = `packages/${dir}/${file.replace(/^\.\//, "")}`;
    const { code, output } = await run(["info", "--json", entry]);
    if (code !== 0) {
      problems.add(`${entry}: deno info failed: ${excerpt(output, 2)}`);
      continue;
    }
    const info = JSON.parse(output.slice(output.indexOf("{")));
    for (const module of info.modules as InfoModule[]) {
      modules.add(module.specifier);
      if (module.error) problems.add(`${module.specifier}: ${module.error}`);
      const from = owner(module.specifier);
      if (module.specifier.startsWith("node:") || module.kind === "node") {
        continue;
      }
      if (from === undefined || !allowed.has(from)) {
        problems.add(`pulls in ${module.specifier}`);
        continue;
      }
      const declared = workspaceDeps(configs.get(from)!);
      for (const dependency of module.dependencies ?? []) {
        const raw = dependency.specifier;
        const where = module.specifier.slice(packagesUrl.length);
        if (raw.startsWith("node:")) continue;
        if (raw.startsWith("./") || raw.startsWith("../")) {
          const target = dependency.code?.specifier;
          if (target !== undefined && owner(target) !== from) {
            problems.add(`${where} reaches into ${target} by a relative path`);
          }
          continue;
        }
        const name = /^@corral\/([^/]+)/.exec(raw)?.[1];
        if (name === undefined) {
          problems.add(`${where} imports ${raw}`);
        } else if (!declared.includes(name)) {
          problems.add(
            `${where} imports ${raw}, which ${from} does not declare`,
          );
        } else if (layerOf(name) >= layerOf(from!)) {
          const order = LAYERS.map((layer) => layer.join(", ")).join(" ← ");
          problems.add(
            `${where} imports ${raw}, which is not below ${from} (${order})`,
          );
        }
      }
    }
  }
  return problems.size === 0
    ? { ok: true, detail: `${modules.size} modules` }
    : { ok: false, detail: [...problems].join("\n      ") };
}

async function importAlone(dir: string): Promise<Outcome> {
  const { code, output } = await run([
    "run",
    "--no-prompt",
    `packages/${dir}/mod.ts`,
  ]);
  return code === 0 ? { ok: true } : { ok: false, detail: excerpt(output) };
}

const CHECKS = [
  "publish",
  "doc lint",
  "examples",
  "readme",
  "license",
  "deps",
  "graph",
  "imports alone",
] as const;

async function main(): Promise<number> {
  const started = performance.now();
  const say = (text: string) =>
    Deno.stderr.writeSync(new TextEncoder().encode(`${text}\n`));
  const dirs: string[] = [];
  for await (const entry of Deno.readDir(new URL("packages/", ROOT))) {
    try {
      await Deno.stat(new URL(`packages/${entry.name}/deno.json`, ROOT));
      dirs.push(entry.name);
    } catch {
      // not a package
    }
  }
  dirs.sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  const configs = new Map<string, PackageConfig>();
  for (const dir of dirs) configs.set(dir, await readConfig(dir));

  say("release: deno publish --dry-run --allow-dirty");
  const publish = await publishDryRun();
  const results = new Map<string, Map<string, Outcome>>();
  for (const dir of dirs) {
    const config = configs.get(dir)!;
    say(`release: checking ${config.name}`);
    const published = publish.files.get(dir) ?? [];
    const leaked = testFiles(published);
    const row = new Map<string, Outcome>();
    row.set(
      "publish",
      !publish.ok
        ? { ok: false, detail: excerpt(publish.output, 12) }
        : leaked.length > 0
        ? {
          ok: false,
          detail: `publishes test files: ${
            leaked.join(", ")
          } (add them to "publish.exclude" in packages/${dir}/deno.json)`,
        }
        : { ok: true, detail: `${published.length} files` },
    );
    row.set("doc lint", await docLint(dir, config));
    row.set("examples", await examples(dir));
    row.set("readme", await readme(dir, config));
    row.set("license", await license(dir));
    row.set("deps", declaredDeps(dir, config, configs));
    row.set("graph", await graph(dir, config, configs));
    row.set("imports alone", await importAlone(dir));
    results.set(config.name, row);
  }

  const header = ["package", ...CHECKS];
  const rows = [...results].map(([name, row]) => [
    name,
    ...CHECKS.map((check) => row.get(check)!.ok ? "ok" : "FAIL"),
  ]);
  const widths = header.map((_, i) =>
    Math.max(...[header, ...rows].map((row) => row[i]!.length))
  );
  const line = (row: string[]) =>
    row.map((text, i) => text.padEnd(widths[i]!)).join("  ").trimEnd();
  console.log(line(header));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const row of rows) console.log(line(row));
  let failed = 0;
  const notes: string[] = [];
  for (const [name, row] of results) {
    for (const [check, outcome] of row) {
      if (!outcome.ok) {
        failed++;
        notes.push(`  FAIL ${name} ${check}:\n      ${outcome.detail ?? ""}`);
      }
    }
  }
  if (notes.length > 0) console.log(`\nfailures:\n${notes.join("\n")}`);
  console.log(`\nnotes:`);
  for (const [name, row] of results) {
    console.log(
      `  ${name}: deps ${row.get("deps")!.detail ?? "-"}; ${
        row.get("graph")!.ok ? row.get("graph")!.detail : "graph FAIL"
      }; ${
        row.get("examples")!.ok
          ? `@example on ${row.get("examples")!.detail}`
          : "examples FAIL"
      }; ${
        row.get("publish")!.ok ? row.get("publish")!.detail : "publish FAIL"
      }`,
    );
  }
  console.log(
    `\n${
      failed === 0 ? "ok" : `${failed} FAILED`
    }: release checks of ${results.size} packages in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s`,
  );
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
