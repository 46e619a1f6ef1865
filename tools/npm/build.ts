// Copyright the corral authors. MIT license.
/**
 * `deno task npm`: builds every package under `packages/` into an npm
 * package in `build/npm/<dir>/`: ES modules and `.d.ts` files compiled by
 * TypeScript's own compiler (`tsc` from npm, through `npx`), and a
 * `package.json` made from the package's `deno.json`.
 *
 * The packages are found from `packages/<dir>/deno.json`, so a package added
 * later is built too. One `tsc` run compiles them all: `paths` points each
 * `@corral/<name>[/<subpath>]` at its source, and the emitted files keep the
 * bare specifier, which npm resolves to the sibling package (its `exports`
 * have the same subpaths as `deno.json`). `rewriteRelativeImportExtensions`
 * turns each relative `./x.ts` into `./x.js`. JSR stays the primary
 * registry; both are built from the same sources.
 *
 * Each `package.json` has `"type": "module"`, an `exports` entry (types and
 * code) for every subpath of `deno.json`, `sideEffects: false`, `engines`
 * (Node 20.16, the first with `process.getBuiltinModule`), the sibling
 * packages it imports pinned to their exact versions, and no other
 * dependency. The package's `README.md` and `LICENSE` go with it.
 *
 * One module is swapped per runtime, through the `imports` field of
 * `@corral/context`: `_deno_slot.js` (Deno's context slot, chosen after an
 * asynchronous probe, so it has a top-level `await`) is what Deno loads
 * (the `"deno"` condition); every other runtime loads a one-line stand-in
 * without it, so the package has no top-level `await` there and a
 * CommonJS program can `require()` it.
 *
 * ```sh
 * deno task npm              # build every package into build/npm/
 * deno task npm --pack DIR   # then `npm pack` each into DIR
 * ```
 *
 * @module
 */

/** Where the npm packages are written. */
export const OUT = new URL("../../build/npm/", import.meta.url);

const ROOT = new URL("../../", import.meta.url);
const TYPESCRIPT = "typescript@5.9.3";
const NODE_TYPES = "@types/node@20";

/** The oldest Node the packages support: `process.getBuiltinModule`. */
export const NODE_ENGINE = ">=20.16";

/** What the build reads of a package's `deno.json`. */
export interface PackageInfo {
  /** The directory under `packages/`. */
  dir: string;
  name: string;
  version: string;
  /** Subpath (`"."`, `"./race"`) → source file (`"./race.ts"`). */
  exports: Record<string, string>;
  /**
   * The workspace packages its published code imports (`@corral/scope`),
   * read from the compiled files by `build`; `deno.json` may declare more
   * (a package for doc examples only).
   */
  siblings: string[];
  /** Globs of files left out of the published package. */
  exclude: string[];
}

/** Every package under `packages/`, by name. */
export async function readPackages(): Promise<PackageInfo[]> {
  const found: PackageInfo[] = [];
  for await (const entry of Deno.readDir(new URL("packages/", ROOT))) {
    if (!entry.isDirectory) continue;
    let config: {
      name?: string;
      version?: string;
      exports?: string | Record<string, string>;
      imports?: Record<string, string>;
      publish?: { exclude?: string[] };
    };
    try {
      config = JSON.parse(
        await Deno.readTextFile(
          new URL(`packages/${entry.name}/deno.json`, ROOT),
        ),
      );
    } catch {
      continue;
    }
    if (config.name === undefined || config.version === undefined) continue;
    found.push({
      dir: entry.name,
      name: config.name,
      version: config.version,
      exports: typeof config.exports === "string"
        ? { ".": config.exports }
        : config.exports ?? {},
      siblings: [],
      exclude: config.publish?.exclude ?? [],
    });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The `@corral/*` packages that the compiled code of `dir` imports (its
 * `.js` and `.d.ts` files, code lines only), without itself.
 */
async function importedSiblings(dir: URL, self: string): Promise<string[]> {
  const found = new Set<string>();
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !/\.(js|d\.ts)$/.test(entry.name)) continue;
    const text = await Deno.readTextFile(new URL(entry.name, dir));
    for (const line of text.split("\n")) {
      if (/^\s*(?:\/\/|\/\*|\*)/.test(line)) continue;
      for (
        const match of line.matchAll(
          /(?:from|import)\s*\(?\s*"(@corral\/[^/"]+)[^"]*"/g,
        )
      ) {
        if (match[1] !== self) found.add(match[1]!);
      }
    }
  }
  return [...found].sort();
}

/** Fails when the packages' imports form a cycle (a layering mistake). */
function checkNoCycle(packages: PackageInfo[]): void {
  const done = new Set<string>();
  const visit = (info: PackageInfo, path: string[]) => {
    if (done.has(info.name)) return;
    if (path.includes(info.name)) {
      throw new Error(
        `Cannot build: the packages import each other in a cycle: ${
          [...path, info.name].join(" → ")
        }`,
      );
    }
    for (const sibling of info.siblings) {
      const dependency = packages.find((p) => p.name === sibling);
      if (dependency !== undefined) visit(dependency, [...path, info.name]);
    }
    done.add(info.name);
  };
  for (const info of packages) visit(info, []);
}

/** Whether `file` (a name in the package's directory) is published. */
function isPublished(info: PackageInfo, file: string): boolean {
  if (!file.endsWith(".ts") || file.endsWith(".d.ts")) return false;
  if (/_test\.ts$|_bench\.ts$|^_test_/.test(file)) return false;
  return !info.exclude.some((glob) =>
    globToRegExp(glob.replace(/^\*\*\//, "")).test(file)
  );
}

function globToRegExp(glob: string): RegExp {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(
    /\*/g,
    "[^/]*",
  );
  return new RegExp(`^${source}$`);
}

/** The first paragraph of a README after its title, as one line. */
function describe(readme: string): string {
  const paragraph =
    readme.split(/\n\s*\n/).find((block) =>
      !block.startsWith("#") && block.trim() !== ""
    ) ?? "";
  return paragraph.replace(/\s+/g, " ").replace(/[`*]/g, "").trim();
}

/** The `package.json` of one package. */
export function packageJson(
  info: PackageInfo,
  all: PackageInfo[],
  readme: string,
): Record<string, unknown> {
  const exports: Record<string, unknown> = {};
  for (const [subpath, file] of Object.entries(info.exports)) {
    const base = file.replace(/^\.\//, "./").replace(/\.ts$/, "");
    exports[subpath] = { types: `${base}.d.ts`, default: `${base}.js` };
  }
  exports["./package.json"] = "./package.json";
  const dependencies: Record<string, string> = {};
  for (const sibling of info.siblings) {
    const dependency = all.find((p) => p.name === sibling);
    if (dependency !== undefined) dependencies[sibling] = dependency.version;
  }
  const json: Record<string, unknown> = {
    name: info.name,
    version: info.version,
    description: describe(readme),
    license: "MIT",
    type: "module",
    exports,
    sideEffects: false,
    engines: { node: NODE_ENGINE },
    keywords: ["structured concurrency", "cancellation", "async", "deno"],
  };
  if (info.name === "@corral/context") {
    json.imports = {
      "#deno-slot": {
        types: "./_deno_slot.d.ts",
        deno: "./_deno_slot.js",
        default: "./_no_deno_slot.js",
      },
    };
  }
  if (Object.keys(dependencies).length > 0) json.dependencies = dependencies;
  return json;
}

/** Runs a command, inheriting the output; throws when it fails. */
async function run(cmd: string, args: string[], cwd: URL): Promise<void> {
  const { code } = await new Deno.Command(cmd, {
    args,
    cwd: cwd.pathname,
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (code !== 0) {
    throw new Error(`Cannot build: ${cmd} ${args.join(" ")} exited ${code}`);
  }
}

/** Builds every package into `OUT`; returns them by name. */
export async function build(): Promise<PackageInfo[]> {
  const packages = await readPackages();
  for (const info of packages) {
    for (const file of ["README.md", "LICENSE"]) {
      try {
        await Deno.stat(new URL(`packages/${info.dir}/${file}`, ROOT));
      } catch {
        throw new Error(
          `Cannot build ${info.name}: packages/${info.dir}/${file} is missing`,
        );
      }
    }
  }
  await Deno.remove(OUT, { recursive: true }).catch(() => {});
  await Deno.mkdir(OUT, { recursive: true });

  // The Deno namespace, for the sources that use it (a fetch handler's
  // server, the context slot), beside TypeScript's DOM lib for the web
  // APIs and Node's types (installed below) for `node:` built-ins. `deno types` names Deno's own libs, which tsc does not know, and
  // turns the default libs off: both references are dropped.
  const denoTypes = new TextDecoder().decode(
    (await new Deno.Command(Deno.execPath(), { args: ["types"] }).output())
      .stdout,
  ).replace(
    /^\/\/\/ <reference (?:lib="deno\.[^"]*"|no-default-lib="true") \/>$/gm,
    "",
  );
  await Deno.writeTextFile(new URL("deno.d.ts", OUT), denoTypes);

  const files: string[] = [];
  const paths: Record<string, string[]> = {};
  for (const info of packages) {
    for await (
      const entry of Deno.readDir(new URL(`packages/${info.dir}/`, ROOT))
    ) {
      if (entry.isFile && isPublished(info, entry.name)) {
        files.push(`../../packages/${info.dir}/${entry.name}`);
      }
    }
    for (const [subpath, file] of Object.entries(info.exports)) {
      paths[info.name + subpath.slice(1)] = [
        `../../packages/${info.dir}/${file.replace(/^\.\//, "")}`,
      ];
    }
  }
  files.sort();
  const tsconfig = {
    compilerOptions: {
      // The sources are written for today's runtimes (Node 20 has every
      // class feature they use). A lower target makes tsc alias a class
      // that its own static initializer constructs (`new _a()` before
      // `_a` is set): CancelScope failed to load with ES2022 and ES2023.
      target: "ESNext",
      module: "ESNext",
      moduleResolution: "bundler",
      lib: ["ESNext", "DOM", "DOM.Iterable"],
      types: ["node"],
      strict: true,
      noImplicitOverride: true,
      noUncheckedIndexedAccess: true,
      declaration: true,
      allowImportingTsExtensions: true,
      rewriteRelativeImportExtensions: true,
      verbatimModuleSyntax: true,
      skipLibCheck: true,
      removeComments: false,
      newLine: "lf",
      rootDir: "../../packages",
      outDir: ".",
      paths,
    },
    files: ["deno.d.ts", ...files],
  };
  await Deno.writeTextFile(
    new URL("tsconfig.json", OUT),
    JSON.stringify(tsconfig, null, 2),
  );
  // Node's types, for the sources that import `node:` built-ins (workers).
  await run("npm", [
    "install",
    "--no-save",
    "--no-package-lock",
    "--no-audit",
    "--no-fund",
    "--loglevel=error",
    NODE_TYPES,
  ], OUT);
  await run(
    "npx",
    ["--yes", "-p", TYPESCRIPT, "tsc", "-p", "tsconfig.json"],
    OUT,
  );
  await Deno.remove(new URL("deno.d.ts", OUT));
  await Deno.remove(new URL("tsconfig.json", OUT));
  await Deno.remove(new URL("node_modules", OUT), { recursive: true });
  await Deno.remove(new URL("package.json", OUT)).catch(() => {});

  for (const info of packages) {
    info.siblings = await importedSiblings(
      new URL(`${info.dir}/`, OUT),
      info.name,
    );
    const unknown = info.siblings.filter((name) =>
      !packages.some((p) => p.name === name)
    );
    if (unknown.length > 0) {
      throw new Error(
        `Cannot build ${info.name}: it imports ${unknown.join(", ")}, ` +
          "which is not a package of this workspace",
      );
    }
  }
  checkNoCycle(packages);

  for (const info of packages) {
    const dir = new URL(`${info.dir}/`, OUT);
    const source = new URL(`packages/${info.dir}/`, ROOT);
    const readme = await Deno.readTextFile(new URL("README.md", source));
    await Deno.writeTextFile(new URL("README.md", dir), readme);
    await Deno.copyFile(new URL("LICENSE", source), new URL("LICENSE", dir));
    await Deno.writeTextFile(
      new URL("package.json", dir),
      JSON.stringify(packageJson(info, packages, readme), null, 2) + "\n",
    );
    await rewriteDeclarations(dir);
    if (info.name === "@corral/context") await splitDenoSlot(dir);
    await checkOutput(info, dir);
  }
  return packages;
}

/**
 * `tsc` rewrites `./x.ts` to `./x.js` in the code it emits but not in the
 * `.d.ts` files; this does it there, for relative specifiers only.
 */
async function rewriteDeclarations(dir: URL): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".d.ts")) continue;
    const file = new URL(entry.name, dir);
    const text = await Deno.readTextFile(file);
    await Deno.writeTextFile(
      file,
      text.replace(
        /((?:from|import)\s*\(?\s*")(\.{1,2}\/[^"]*)\.ts"/g,
        '$1$2.js"',
      ),
    );
  }
}

/**
 * Points `_storage.js` at `#deno-slot` and writes the stand-in that every
 * runtime but Deno loads for it (see the module doc).
 */
async function splitDenoSlot(dir: URL): Promise<void> {
  const storage = new URL("_storage.js", dir);
  const code = await Deno.readTextFile(storage);
  const rewritten = code.replace(
    /from "\.\/_deno_slot\.js"/,
    'from "#deno-slot"',
  );
  if (rewritten === code) {
    throw new Error(
      "Cannot build @corral/context: _storage.js no longer imports ./_deno_slot.js",
    );
  }
  await Deno.writeTextFile(storage, rewritten);
  await Deno.writeTextFile(
    new URL("_no_deno_slot.js", dir),
    "// Copyright the corral authors. MIT license.\n" +
      "// What every runtime but Deno loads for `_deno_slot.js` (package.json\n" +
      "// `imports`): Deno's context slot exists on Deno alone.\n" +
      "export const denoSlot = undefined;\n",
  );
}

/**
 * Fails the build when an emitted file still names a `.ts` module, a
 * `jsr:` or `npm:` specifier, or uses what Node 20 lacks
 * (`Promise.withResolvers`: reported, not fatal).
 */
async function checkOutput(info: PackageInfo, dir: URL): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !/\.(js|d\.ts)$/.test(entry.name)) continue;
    const text = await Deno.readTextFile(new URL(entry.name, dir));
    // Code lines only: a JSDoc example may import what it likes.
    const code = text.split("\n").filter((line) =>
      !/^\s*(?:\/\/|\/\*|\*)/.test(line)
    );
    for (const line of code) {
      const bad =
        /(?:from|import)\s*\(?\s*"((?:\.{1,2}\/[^"]*\.ts)|(?:jsr:|npm:)[^"]*)"/
          .exec(line);
      if (bad !== null) {
        throw new Error(
          `Cannot build ${info.name}: ${entry.name} imports "${bad[1]}"`,
        );
      }
    }
    if (
      entry.name.endsWith(".js") &&
      code.some((line) => /Promise\.withResolvers\s*\(/.test(line))
    ) {
      console.warn(
        `warning: ${info.name} ${entry.name} uses Promise.withResolvers, ` +
          "which Node 20 lacks",
      );
    }
  }
}

/** `npm pack` of every built package into `into`; returns the tarballs. */
export async function pack(
  packages: PackageInfo[],
  into: string,
): Promise<string[]> {
  await Deno.mkdir(into, { recursive: true });
  const tarballs: string[] = [];
  for (const info of packages) {
    const output = await new Deno.Command("npm", {
      args: ["pack", "--json", "--pack-destination", into],
      cwd: new URL(`${info.dir}/`, OUT).pathname,
      stderr: "inherit",
    }).output();
    if (!output.success) throw new Error(`Cannot pack ${info.name}`);
    const [result] = JSON.parse(new TextDecoder().decode(output.stdout));
    tarballs.push(`${into}/${result.filename}`);
  }
  return tarballs;
}

if (import.meta.main) {
  const packages = await build();
  console.log(
    `built ${packages.map((p) => `${p.name}@${p.version}`).join(", ")} ` +
      `into ${OUT.pathname}`,
  );
  const at = Deno.args.indexOf("--pack");
  if (at !== -1) {
    const into = Deno.args[at + 1];
    if (into === undefined) {
      throw new Error("Cannot pack: --pack needs a directory");
    }
    for (const tarball of await pack(packages, into)) console.log(tarball);
  }
}
