// Copyright the corral authors. MIT license.
/**
 * The cases that run on any runtime, a browser included: the packages load
 * without a context backend, and say why at the first use that needs one.
 *
 * @module
 */
import assert from "node:assert/strict";
import { contextBackend, Variable } from "@corral/context";
import { CancelScope } from "@corral/scope";
import { taskGroup } from "@corral/taskgroup";
import { test } from "./harness.ts";

test(
  "portable: @corral/context loads anywhere; without a backend the first use says why",
  () => {
    assert.ok(
      ["AsyncContext", "Deno", "AsyncLocalStorage", "none"].includes(
        contextBackend,
      ),
    );
    const variable = new Variable<number>({ name: "n", defaultValue: 0 });
    if (contextBackend === "none") {
      assert.throws(() => variable.get(), /AsyncLocalStorage/);
      assert.throws(() => variable.run(1, () => {}), /AsyncLocalStorage/);
    } else {
      assert.equal(variable.run(1, () => variable.get()), 1);
    }
  },
  { portable: true },
);

test(
  "portable: @corral/scope and @corral/taskgroup load anywhere; without a backend the first use says why",
  async () => {
    const scope = new CancelScope({ name: "portable" });
    if (contextBackend === "none") {
      assert.throws(() => scope.run(() => {}), /AsyncLocalStorage/);
      assert.throws(() => taskGroup(() => {}), /AsyncLocalStorage/);
    } else {
      assert.equal(await scope.run(() => "ran"), "ran");
      assert.equal(await taskGroup(() => "ran"), "ran");
    }
  },
  { portable: true },
);
