// Copyright the corral authors. MIT license.
// Module hooks for Node: make the workspace's `.ts` files ES modules.
//
// Why: tsx picks CommonJS or ESM for a `.ts` file from the nearest
// `package.json` "type", and the workspace has no `package.json` (Deno
// reads `deno.json`). Compiled to CommonJS, `export *` re-exports are not
// visible to ESM importers ("does not provide an export named ..."), and a
// CommonJS module is not what a user gets from JSR either. A `package.json`
// with "type": "module" in tools/ would make Deno leave the workspace, and
// `--experimental-default-type=module` breaks tsx's own loading on Node 20.
//
// Registered before tsx (through NODE_OPTIONS), this hook runs when tsx asks
// the next resolver; tsx keeps a format that is already set. `@corral/*`
// itself is mapped by tsx from tools/conformance/tsconfig.json `paths`.
const root = new URL("../../", import.meta.url).href;

function isWorkspaceTypeScript(url) {
  return url.startsWith(root) && !url.includes("/node_modules/") &&
    /\.ts$/.test(new URL(url).pathname);
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  return isWorkspaceTypeScript(result.url)
    ? { ...result, format: "module" }
    : result;
}
