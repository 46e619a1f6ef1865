// Copyright the corral authors. MIT license.
/**
 * Runs the `@corral/context` tests on the oldest Deno 2 release the package
 * supports, fetched from npm through `npx` (CI runs every test on the
 * newest, pinned in `.ci/run`):
 *
 * ```sh
 * deno run --allow-all tools/release/deno_range.ts [version] [package...]
 * ```
 *
 * Other packages can be named too (`... 2.1.0 context scope taskgroup`):
 * their tests run through `deno_range_entry.ts`, with the resource
 * sanitizer off (before Deno 2.8 it counts the `MessageChannel` that
 * `@corral/scope` keeps for `checkpoint()` as a leak).
 *
 * Deno 2.0 and 2.1 cannot read a workspace whose members are a glob, nor
 * this lockfile's version, so the tests run with `--no-config` and an import
 * map made here from each `packages/<name>/deno.json` (every `exports`
 * entry of every package). Deno before 2.1 also lacks
 * `process.getBuiltinModule`, which the `AsyncLocalStorage` fallback needs:
 * 2.1.0 is the oldest release supported. Old releases use only their own
 * CA list; `DENO_TLS_CA_STORE=mozilla,system` adds the system's, as newer
 * releases do.
 *
 * @module
 */

/** The oldest Deno release `@corral/context` supports. */
export const OLDEST_DENO = "2.1.0";

const ROOT = new URL("../../", import.meta.url);

/** An import map of every export of every workspace package, to files. */
export async function workspaceImportMap(): Promise<
  { imports: Record<string, string> }
> {
  const imports: Record<string, string> = {};
  for await (const entry of Deno.readDir(new URL("packages/", ROOT))) {
    if (!entry.isDirectory) continue;
    const dir = new URL(`packages/${entry.name}/`, ROOT);
    let config: {
      name?: string;
      version?: string;
      exports?: Record<string, string> | string;
    };
    try {
      config = JSON.parse(await Deno.readTextFile(new URL("deno.json", dir)));
    } catch {
      continue;
    }
    if (config.name === undefined) continue;
    const exports = typeof config.exports === "string"
      ? { ".": config.exports }
      : config.exports ?? {};
    for (const [subpath, file] of Object.entries(exports)) {
      const href = new URL(file, dir).href;
      imports[config.name + subpath.slice(1)] = href;
      // A test may name a sibling as published (`jsr:@corral/x@0.1.0`).
      if (config.version !== undefined) {
        imports[`jsr:${config.name}@${config.version}${subpath.slice(1)}`] =
          href;
      }
    }
  }
  return { imports };
}

/** The path of Deno `version`'s binary, fetched from npm through npx. */
async function realBinary(version: string, cwd: string): Promise<string> {
  const { code, stdout } = await new Deno.Command("npx", {
    args: ["--yes", `deno@${version}`, "eval", "console.log(Deno.execPath())"],
    cwd, // not the workspace: this release cannot read its lockfile
    stderr: "inherit",
  }).output();
  const path = new TextDecoder().decode(stdout).trim();
  if (code !== 0 || path === "") {
    throw new Error(`Cannot find the binary of deno@${version} (exit ${code})`);
  }
  return path;
}

/** The `*_test.ts` files of package `name`, as file URLs. */
async function testFiles(name: string): Promise<string[]> {
  const dir = new URL(`packages/${name}/`, ROOT);
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith("_test.ts")) {
      files.push(new URL(entry.name, dir).href);
    }
  }
  return files.sort();
}

if (import.meta.main) {
  const [version = OLDEST_DENO, ...packages] = Deno.args;
  const tested = packages.length > 0 ? packages : ["context"];
  const dir = await Deno.makeTempDir({ prefix: "corral-deno-range-" });
  try {
    const map = `${dir}/import_map.json`;
    await Deno.writeTextFile(map, JSON.stringify(await workspaceImportMap()));
    // The real binary, not npx: older `deno` npm packages start it from a
    // Node shim that exits 0 when the binary dies of a signal, so a test
    // that killed its own process (Deno 2.0 to 2.4 sometimes take a
    // signal's default action although a listener is registered: see
    // serve_test.ts) once ended the run early, and CI went on as if it
    // passed.
    const deno = await realBinary(version, dir);
    const args = [
      "test",
      "--allow-all",
      "--no-config",
      "--no-lock",
      "--import-map",
      map,
    ];
    // @corral/context as it is; the others through deno_range_entry.ts,
    // which turns the resource sanitizer off (see its module doc).
    const direct = tested.filter((name) => name === "context");
    const others = tested.filter((name) => name !== "context");
    // Tests that start Deno again (main() on real processes) pass the same
    // flags: this release cannot read the workspace either.
    const env = {
      DENO_TLS_CA_STORE: "mozilla,system",
      CORRAL_DENO_RUN_FLAGS: `--no-config --no-lock --import-map=${map}`,
    };
    const runs: { args: string[]; env: Record<string, string> }[] = [];
    if (direct.length > 0) {
      runs.push({
        args: [
          ...args,
          ...direct.map((name) => new URL(`packages/${name}/`, ROOT).pathname),
        ],
        env,
      });
    }
    if (others.length > 0) {
      const files = (await Promise.all(others.map(testFiles))).flat();
      runs.push({
        args: [
          ...args,
          new URL("tools/release/deno_range_entry.ts", ROOT).pathname,
        ],
        env: { ...env, CORRAL_TEST_FILES: files.join(",") },
      });
    }
    for (const run of runs) {
      const { code, signal } = await new Deno.Command(deno, {
        args: run.args,
        env: run.env,
        cwd: new URL(".", ROOT).pathname,
      }).spawn().status;
      if (signal !== null) {
        console.error(`deno ${version} test died of ${signal}`);
        Deno.exit(1);
      }
      if (code !== 0) Deno.exit(code);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
