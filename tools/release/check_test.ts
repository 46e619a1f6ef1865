// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import { satisfies, testFiles } from "./check.ts";

Deno.test("satisfies() follows caret ranges as JSR does", () => {
  assert.ok(satisfies("^0.1.0", "0.1.0"));
  assert.ok(satisfies("^0.1.0", "0.1.7"));
  assert.ok(!satisfies("^0.1.0", "0.2.0"));
  assert.ok(!satisfies("^0.1.2", "0.1.1"));
  assert.ok(satisfies("^1.2.0", "1.9.0"));
  assert.ok(!satisfies("^1.2.0", "2.0.0"));
  assert.ok(satisfies("0.1.0", "0.1.0"));
  assert.ok(!satisfies("0.1.0", "0.1.1"));
  assert.ok(!satisfies("~0.1.0", "0.1.0"), "not understood: not satisfied");
});

Deno.test("testFiles() finds tests and test helpers by the workspace's naming", () => {
  assert.deepEqual(
    testFiles([
      "mod.ts",
      "scope_test.ts",
      "_test_parents.ts",
      "sub/_test_helpers.ts",
      "spawn_bench.ts",
      "testing.ts",
      "_testing.ts",
    ]),
    [
      "scope_test.ts",
      "_test_parents.ts",
      "sub/_test_helpers.ts",
      "spawn_bench.ts",
    ],
  );
});
