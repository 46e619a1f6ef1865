// Copyright the corral authors. MIT license.
/**
 * `deno task conformance`: runs the conformance suite (`run.ts`) in a fresh
 * process on each runtime, Deno, Node (TypeScript through tsx) and Bun (both
 * from npm through npx), and in headless Chromium when Debian's `chromium`
 * is installed (`run_browser.ts`; "n.a." otherwise), and prints one table,
 * test × runtime, with totals. Exits 1 if any case failed on any runtime, or
 * a runtime did not run.
 *
 * ```sh
 * deno task conformance            # every runtime
 * deno task conformance node bun   # only these (deno, node, bun, chromium)
 * ```
 *
 * How Node and Bun find `@corral/*`: both read the `paths` of
 * `tools/conformance/tsconfig.json` (tsx through `--tsconfig`, Bun through
 * `--tsconfig-override`), which maps each specifier to the file the
 * package's `deno.json` exports; a row of the table checks that the two
 * agree. On Node, `node_esm.mjs` also makes tsx load the packages' `.ts`
 * files as ES modules (there is no `package.json` with `"type": "module"`
 * above them, so tsx would compile them to CommonJS). Deno resolves the
 * names through the workspace.
 *
 * Progress goes to stderr, the table to stdout.
 *
 * @module
 */
import { RESULT_MARKER, type RuntimeReport } from "./protocol.ts";
import type { TestResult } from "./harness.ts";
import { type Column, renderTable } from "./_table.ts";

/** Pinned like Deno in `.ci/run`: bump here and nowhere else. */
export const TSX = "tsx@4.23.15";
/** The Bun release, from the `bun` npm package (it ships the binary). */
export const BUN = "bun@1.4.5";

const ROOT = new URL("../../", import.meta.url);
const RUN = "tools/conformance/run.ts";
const TSCONFIG = "tools/conformance/tsconfig.json";
/** Generous: the first `npx` on a fresh machine downloads Bun (~40 MB). */
const RUNTIME_TIMEOUT_MS = 300_000;

interface Runtime {
  name: string;
  /**
   * Run first, without `env`: installs the runtime into npx's cache. On a
   * fresh machine, `npx` installing tsx under our NODE_OPTIONS runs
   * esbuild's install script with our hook too, and the install fails.
   */
  prepare?: string[];
  command: string[];
  env?: Record<string, string>;
  /** Whether the column gets the tsconfig `paths` row. */
  usesTsconfig: boolean;
}

const runtimes: Runtime[] = [
  {
    name: "deno",
    command: [Deno.execPath(), "run", "--allow-all", RUN],
    usesTsconfig: false,
  },
  {
    name: "node",
    prepare: ["npx", "--yes", TSX, "--version"],
    command: ["npx", "--yes", TSX, "--tsconfig", TSCONFIG, RUN],
    // Through NODE_OPTIONS, not tsx's own arguments: then our hook is
    // registered before tsx's, and tsx keeps the format it returns.
    env: {
      NODE_OPTIONS: [
        Deno.env.get("NODE_OPTIONS") ?? "",
        `--import=${new URL("tools/conformance/node_esm.mjs", ROOT)}`,
      ].join(" ").trim(),
    },
    usesTsconfig: true,
  },
  {
    name: "bun",
    prepare: ["npx", "--yes", BUN, "--version"],
    command: [
      "npx",
      "--yes",
      BUN,
      "run",
      "--tsconfig-override",
      TSCONFIG,
      RUN,
    ],
    usesTsconfig: true,
  },
];

/** Runs one runtime; returns its report or why there is none. */
async function runOn(
  runtime: Runtime,
): Promise<{ report?: RuntimeReport; error?: string; ms: number }> {
  const started = performance.now();
  const say = (text: string) =>
    Deno.stderr.writeSync(new TextEncoder().encode(text));
  if (runtime.prepare) {
    say(`${runtime.name}: ${runtime.prepare.join(" ")}\n`);
    try {
      const { code, stdout, stderr } = await new Deno.Command(
        runtime.prepare[0]!,
        { args: runtime.prepare.slice(1), cwd: ROOT, stdin: "null" },
      ).output();
      const text = new TextDecoder().decode(stdout).trim();
      if (code !== 0) {
        return {
          error: `${runtime.prepare.join(" ")} failed (exit code ${code}): ${
            new TextDecoder().decode(stderr).trim().split("\n").slice(-3)
              .join(" | ")
          }`,
          ms: performance.now() - started,
        };
      }
      say(`[${runtime.name}] ${text.replaceAll("\n", " ")}\n`);
    } catch (error) {
      return { error: `cannot start: ${error}`, ms: 0 };
    }
  }
  say(`${runtime.name}: ${runtime.command.join(" ")}\n`);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(runtime.command[0]!, {
      args: runtime.command.slice(1),
      cwd: ROOT,
      env: runtime.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    return { error: `cannot start: ${error}`, ms: 0 };
  }
  const timer = setTimeout(() => {
    say(`${runtime.name}: no result after ${RUNTIME_TIMEOUT_MS} ms, killing\n`);
    child.kill("SIGKILL");
  }, RUNTIME_TIMEOUT_MS);
  const tail: string[] = [];
  const forward = (async () => {
    const lines = child.stderr.pipeThrough(new TextDecoderStream());
    let pending = "";
    for await (const chunk of lines) {
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop()!;
      for (const part of parts) {
        say(`[${runtime.name}] ${part}\n`);
        tail.push(part);
        if (tail.length > 8) tail.shift();
      }
    }
    if (pending) say(`[${runtime.name}] ${pending}\n`);
  })();
  const [output, status] = await Promise.all([
    new Response(child.stdout).text(),
    child.status,
    forward,
  ]).then(([output, status]) => [output, status] as const);
  clearTimeout(timer);
  const ms = performance.now() - started;
  const line = output.split("\n").find((each) =>
    each.startsWith(RESULT_MARKER)
  );
  if (line === undefined) {
    return {
      error: `exit code ${status.code}, no result line; stderr ends: ${
        tail.join(" | ")
      }`,
      ms,
    };
  }
  return { report: JSON.parse(line.slice(RESULT_MARKER.length)), ms };
}

/** Debian's package; CI machines do not have it, and CI stays green. */
const CHROMIUM = "/usr/bin/chromium";

/**
 * Runs `run_browser.ts` in headless Chromium: bundles it for the browser,
 * serves it on 127.0.0.1 with an import map for `node:assert/strict`, and
 * waits for the report the page posts back.
 */
async function runChromium(): Promise<
  { report?: RuntimeReport; error?: string; missing?: boolean; ms: number }
> {
  const started = performance.now();
  const say = (text: string) =>
    Deno.stderr.writeSync(new TextEncoder().encode(`${text}\n`));
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    say(`chromium: ${CHROMIUM} not found, n.a.`);
    return { missing: true, ms: 0 };
  }
  const dir = await Deno.makeTempDir({ prefix: "corral-conformance-" });
  const ms = () => performance.now() - started;
  try {
    for (
      const [entry, out, external] of [
        ["tools/conformance/run_browser.ts", "suite.js", true],
        ["tools/conformance/browser_assert.ts", "assert.js", false],
      ] as const
    ) {
      say(`chromium: deno bundle --platform browser ${entry}`);
      const { code, stderr } = await new Deno.Command(Deno.execPath(), {
        args: [
          "bundle",
          "--platform",
          "browser",
          ...(external ? ["--external", "node:assert/strict"] : []),
          "-o",
          `${dir}/${out}`,
          entry,
        ],
        cwd: ROOT,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      if (code !== 0) {
        return {
          error: `deno bundle ${entry} failed: ${
            new TextDecoder().decode(stderr).trim().split("\n").slice(-3)
              .join(" | ")
          }`,
          ms: ms(),
        };
      }
    }
    // A module that throws while loading never reaches `main()`: the
    // classic script reports it, so the column says why, not "no result".
    const page = `<!doctype html><meta charset="utf-8">
<script>addEventListener("error", (event) => fetch("/result", {
  method: "POST", body: "crashed while loading: " + (event.error?.stack ?? event.message),
}));</script>
<script type="importmap">{"imports": {"node:assert/strict": "/assert.js"}}</script>
<script type="module" src="/suite.js"></script>`;
    let deliver!: (text: string) => void;
    const received = new Promise<string>((resolve) => deliver = resolve);
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      async (request) => {
        const { pathname } = new URL(request.url);
        if (request.method === "POST" && pathname === "/result") {
          deliver(await request.text());
          return new Response("ok");
        }
        if (pathname === "/") {
          return new Response(page, {
            headers: { "content-type": "text/html" },
          });
        }
        if (pathname === "/suite.js" || pathname === "/assert.js") {
          return new Response(await Deno.readFile(`${dir}${pathname}`), {
            headers: { "content-type": "text/javascript" },
          });
        }
        return new Response("not found", { status: 404 });
      },
    );
    const url = `http://127.0.0.1:${server.addr.port}/`;
    say(`chromium: ${CHROMIUM} --headless ${url}`);
    const browser = new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        `--user-data-dir=${dir}/profile`,
        url,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const text = await Promise.race([
      received,
      new Promise<undefined>((resolve) =>
        timer = setTimeout(() => resolve(undefined), RUNTIME_TIMEOUT_MS / 5)
      ),
    ]);
    clearTimeout(timer);
    browser.kill("SIGKILL");
    await browser.status;
    await server.shutdown();
    if (text === undefined) {
      return { error: "the page posted no result in time", ms: ms() };
    }
    if (!text.startsWith("{")) return { error: text, ms: ms() };
    const report: RuntimeReport = JSON.parse(text);
    say(
      `[chromium]   chromium: ${report.results.length} cases, ${
        report.results.filter((result) => result.status === "fail").length
      } failed`,
    );
    return { report, ms: ms() };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * The row that checks Node's and Bun's resolution: each `paths` entry of
 * `tsconfig.json` names the file its package's `deno.json` exports under
 * that name, and each package's main entry is mapped. A subpath export with
 * no entry is not a failure (nothing here imports it); it is listed under
 * the table, with the line to add.
 */
export async function checkTsconfigPaths(): Promise<
  { row: TestResult; unmapped: string[] }
> {
  const name =
    "resolution: tools/conformance/tsconfig.json maps @corral/* to the exported files";
  const problems: string[] = [];
  const unmapped: string[] = [];
  const tsconfig = JSON.parse(
    await Deno.readTextFile(new URL(TSCONFIG, ROOT)),
  );
  const paths: Record<string, string[]> = tsconfig.compilerOptions.paths;
  const expected = new Map<string, string>();
  const packages = new Set<string>();
  for await (const entry of Deno.readDir(new URL("packages/", ROOT))) {
    const config = new URL(`packages/${entry.name}/deno.json`, ROOT);
    let json: { name: string; exports: Record<string, string> | string };
    try {
      json = JSON.parse(await Deno.readTextFile(config));
    } catch {
      continue; // not a package (yet)
    }
    packages.add(json.name);
    const exports = typeof json.exports === "string"
      ? { ".": json.exports }
      : json.exports;
    for (const [key, target] of Object.entries(exports)) {
      expected.set(
        key === "." ? json.name : `${json.name}/${key.slice(2)}`,
        `packages/${entry.name}/${target.replace(/^\.\//, "")}`,
      );
    }
  }
  for (const [specifier, file] of expected) {
    const mapped = paths[specifier];
    if (mapped === undefined) {
      const line = `"${specifier}": ["${file}"]`;
      if (packages.has(specifier)) problems.push(`add ${line}`);
      else unmapped.push(line);
    } else if (mapped.length !== 1 || mapped[0] !== file) {
      problems.push(`"${specifier}" should map to "${file}", not ${mapped}`);
    }
  }
  for (const specifier of Object.keys(paths)) {
    const owner = specifier.split("/").slice(0, 2).join("/");
    if (packages.has(owner) && !expected.has(specifier)) {
      problems.push(`"${specifier}" is not exported by ${owner}`);
    }
  }
  const row: TestResult = problems.length === 0
    ? { name, status: "pass", ms: 0 }
    : {
      name,
      status: "fail",
      detail: `${
        problems.join("; ")
      } (deno run -A tools/conformance/write_paths.ts rewrites them)`,
      ms: 0,
    };
  return { row, unmapped };
}

async function main(): Promise<number> {
  const wanted = Deno.args.length > 0 ? Deno.args : undefined;
  const started = performance.now();
  const { row: pathsRow, unmapped } = await checkTsconfigPaths();
  const columns: Column[] = [];
  for (const runtime of runtimes) {
    if (wanted && !wanted.includes(runtime.name)) continue;
    const { report, error, ms } = await runOn(runtime);
    const seconds = `${(ms / 1000).toFixed(1)} s`;
    if (report === undefined) {
      columns.push({
        title: runtime.name,
        results: [],
        notRun: { status: "fail", reason: error! },
        facts: [`did not run (${seconds})`],
      });
      continue;
    }
    const row: TestResult = runtime.usesTsconfig ? pathsRow : {
      name: pathsRow.name,
      status: "na",
      detail: "Deno resolves @corral/* through the workspace",
      ms: 0,
    };
    columns.push({
      title: `${report.runtime} ${report.version}`,
      results: [row, ...report.results],
      facts: [
        `context backend ${report.contextBackend}`,
        `lacks ${
          report.lacks.length > 0 ? report.lacks.join(", ") : "nothing we check"
        }`,
        `${seconds} including start-up`,
      ],
    });
  }
  if (!wanted || wanted.includes("chromium")) {
    const { report, error, missing, ms } = await runChromium();
    const seconds = `${(ms / 1000).toFixed(1)} s`;
    if (missing) {
      columns.push({
        title: "chromium",
        results: [],
        notRun: {
          status: "na",
          reason: `chromium not installed (${CHROMIUM})`,
        },
        facts: ["not installed (Debian: apt-get install chromium)"],
      });
    } else if (report === undefined) {
      columns.push({
        title: "chromium",
        results: [],
        notRun: { status: "fail", reason: error! },
        facts: [`did not run (${seconds})`],
      });
    } else {
      columns.push({
        title: `${report.runtime} ${report.version}`,
        results: [{
          name: pathsRow.name,
          status: "na",
          detail: "the browser bundle resolves @corral/* through the workspace",
          ms: 0,
        }, ...report.results],
        facts: [
          `context backend ${report.contextBackend}`,
          `lacks ${report.lacks.join(", ")}`,
          `${seconds} including the bundle and start-up`,
        ],
      });
    }
  }
  const { text, failed } = renderTable(columns);
  console.log(text);
  if (unmapped.length > 0) {
    console.log(
      `\nnot in tsconfig.json paths (no case imports them; add to use them on Node and Bun):\n  ${
        unmapped.join("\n  ")
      }`,
    );
  }
  console.log(
    `\n${
      failed === 0 ? "ok" : `${failed} FAILED`
    }: conformance on ${columns.length} runtimes in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s`,
  );
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
