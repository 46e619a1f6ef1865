// Copyright the corral authors. MIT license.
/**
 * Rewrites the `paths` of `tools/conformance/tsconfig.json` from the
 * `exports` of every `packages/x/deno.json`, so that tsx (Node) and Bun
 * resolve `@corral/*` as Deno does. Run it after adding a package or an
 * entry point; `main.ts` checks that the two agree.
 *
 * ```sh
 * deno run -A tools/conformance/write_paths.ts
 * ```
 *
 * @module
 */
const ROOT = new URL("../../", import.meta.url);
const TSCONFIG = new URL("tools/conformance/tsconfig.json", ROOT);

const paths: Record<string, string[]> = {};
const names: string[] = [];
for await (const entry of Deno.readDir(new URL("packages/", ROOT))) {
  if (entry.isDirectory) names.push(entry.name);
}
for (const name of names.sort(byLayer)) {
  let json: { name: string; exports: Record<string, string> | string };
  try {
    json = JSON.parse(
      await Deno.readTextFile(new URL(`packages/${name}/deno.json`, ROOT)),
    );
  } catch {
    continue; // not a package (yet)
  }
  const exports = typeof json.exports === "string"
    ? { ".": json.exports }
    : json.exports;
  for (const [key, target] of Object.entries(exports)) {
    const specifier = key === "." ? json.name : `${json.name}/${key.slice(2)}`;
    paths[specifier] = [`packages/${name}/${target.replace(/^\.\//, "")}`];
  }
}
const tsconfig = JSON.parse(await Deno.readTextFile(TSCONFIG));
tsconfig.compilerOptions.paths = paths;
await Deno.writeTextFile(TSCONFIG, JSON.stringify(tsconfig, null, 2) + "\n");
console.log(
  `${Object.keys(paths).length} paths written to ${TSCONFIG.pathname}`,
);

/** The layering order (context ← scope ← sync ← taskgroup ← the rest). */
function byLayer(a: string, b: string): number {
  const order = ["context", "scope", "sync", "taskgroup"];
  const rank = (name: string) => {
    const index = order.indexOf(name);
    return index < 0 ? order.length : index;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}
