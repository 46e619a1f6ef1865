// Copyright the corral authors. MIT license.
// Node only, loaded with `NODE_OPTIONS=--import=./tools/conformance/node_esm.mjs`
// before tsx registers its own hooks: see `node_esm_hooks.mjs`.
import { register } from "node:module";

register("./node_esm_hooks.mjs", import.meta.url);
