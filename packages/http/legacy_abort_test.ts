// Copyright the corral authors. MIT license.
/**
 * Deno 2.9's legacy-abort notice, as a user program sees it: run without
 * the workspace's `deno.json` (which sets `"unstable": ["no-legacy-abort"]`),
 * with an import map made from `tools/conformance/tsconfig.json`'s paths.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
const NOTICE = "request.signal aborts on successful responses";

async function importMap(): Promise<string> {
  const tsconfig = JSON.parse(
    await Deno.readTextFile(new URL("tools/conformance/tsconfig.json", ROOT)),
  );
  const paths: Record<string, string[]> = tsconfig.compilerOptions.paths;
  const imports = Object.fromEntries(
    Object.entries(paths).map((
      [specifier, [file]],
    ) => [specifier, new URL(file!, ROOT).href]),
  );
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify({ imports }));
  return path;
}

async function run(...args: string[]): Promise<{ out: string; err: string }> {
  const map = await importMap();
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        `--import-map=${map}`,
        "--allow-net=127.0.0.1",
        ...args,
      ],
      cwd: ROOT,
      stdin: "null",
    }).output();
    const err = new TextDecoder().decode(stderr);
    assert.equal(code, 0, err);
    return { out: new TextDecoder().decode(stdout), err };
  } finally {
    await Deno.remove(map);
  }
}

const CHILD = "packages/http/_test_legacy_child.ts";

/**
 * Deno before 2.8.3 has no legacy-abort mode (nor its flag, which it
 * refuses): no notice to print, but the same results.
 */
const NO_LEGACY_MODE = /^(1\.|2\.[0-7]\.|2\.8\.[0-2]$)/.test(
  Deno.version.deno,
);

Deno.test("handler() on Deno 2.9 without no-legacy-abort: a request that finishes in its first turn never reads request.signal, so no notice", async () => {
  const { out, err } = await run(CHILD);
  assert.match(out, /^RESULT 200 false$/m);
  assert.ok(!err.includes(NOTICE), err);
});

Deno.test("handler() on Deno 2.9 without no-legacy-abort: a slow request prints Deno's one-time notice (the README's one line silences it), and the legacy abort is not taken for a disconnect", async () => {
  const legacy = await run(CHILD, "slow");
  assert.match(legacy.out, /^RESULT 200,200 false$/m);
  if (NO_LEGACY_MODE) {
    assert.ok(!legacy.err.includes(NOTICE), legacy.err);
    return;
  }
  assert.ok(legacy.err.includes(NOTICE), legacy.err);

  const flagged = await run("--unstable-no-legacy-abort", CHILD, "slow");
  assert.match(flagged.out, /^RESULT 200,200 false$/m);
  assert.ok(!flagged.err.includes(NOTICE), flagged.err);
});
