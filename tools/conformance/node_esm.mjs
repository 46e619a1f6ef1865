// Copyright the corral authors. MIT license.
// Node only, loaded with `NODE_OPTIONS=--import=./tools/conformance/node_esm.mjs`
// before tsx registers its own hooks: see `node_esm_hooks.mjs`.
import { register } from "node:module";
import { isMainThread } from "node:worker_threads";

register("./node_esm_hooks.mjs", import.meta.url);

// `@corral/worker` starts worker threads, which load the packages' `.ts`
// sources too; NODE_OPTIONS runs this file in each of them, but tsx's own
// loader registers itself in the main thread only, so register its API
// here, with the same tsconfig `paths`.
if (!isMainThread) {
  const loader = process.execArgv.find((arg) =>
    /tsx[\\/]dist[\\/]loader\.mjs$/.test(arg)
  );
  if (loader !== undefined) {
    const api = await import(
      loader.replace(/loader\.mjs$/, "esm/api/index.mjs")
    );
    api.register({
      tsconfig: new URL("./tsconfig.json", import.meta.url).pathname,
    });
  }
}
