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
 * 5. `tsc`: the suite (`checkJs`) and `types.ts` type-check against the
 *    packages' `.d.ts` with Node's types only: no DOM lib, no Deno.
 *
 * The suite has one file per package (`test/<dir>.test.mjs`, copied only
 * when that package exists) and `test/packages.test.mjs`, which checks
 * every installed package's `package.json` and imports every subpath of
 * its `exports`, so a package added later is covered at once.
 *
 * ```sh
 * deno run --allow-all tools/npm/consumer_test.ts [--keep]
 * ```
 *
 * @module
 */
import { build, pack } from "./build.ts";

const CONSUMER = new URL("./consumer/", import.meta.url);
const BUN = "bun@1.4.5";
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
    passed = await step("install the tarballs", "npm", [
      "install",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      ...tarballs,
      TYPESCRIPT,
      NODE_TYPES,
    ], project);
    if (passed) {
      const results = [
        await step("Node", "node", ["--test"], project),
        await step("Bun", "npx", ["--yes", BUN, "test"], project),
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
