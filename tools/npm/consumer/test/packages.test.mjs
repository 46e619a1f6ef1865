// Copyright the corral authors. MIT license.
// Every installed @corral package, whatever packages exist: its
// package.json is what the npm build promises, and every subpath of its
// `exports` imports on this runtime.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const names = readdirSync(new URL("../node_modules/@corral/", import.meta.url))
  .map((dir) => `@corral/${dir}`);

test("the corral packages are installed", () => {
  for (const name of ["@corral/context", "@corral/scope", "@corral/taskgroup"]) {
    assert.ok(names.includes(name), name);
  }
});

for (const name of names) {
  const json = JSON.parse(
    readFileSync(require.resolve(`${name}/package.json`), "utf8"),
  );

  test(`${name}: ESM, sideEffects false, engines, siblings pinned exactly, no other dependency`, () => {
    assert.equal(json.type, "module");
    assert.equal(json.sideEffects, false);
    assert.ok(typeof json.engines?.node === "string");
    for (const [dependency, version] of Object.entries(json.dependencies ?? {})) {
      assert.match(dependency, /^@corral\//);
      assert.match(String(version), /^\d+\.\d+\.\d+(-[\w.]+)?$/);
    }
  });

  test(`${name}: every subpath of exports imports`, async () => {
    for (const subpath of Object.keys(json.exports)) {
      if (subpath === "./package.json") continue;
      const module = await import(name + subpath.slice(1));
      assert.ok(Object.keys(module).length > 0, name + subpath.slice(1));
    }
  });
}
