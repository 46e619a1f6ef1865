// Copyright the corral authors. MIT license.
// Run by Deno on the installed npm packages: Deno resolves their "deno"
// export condition, so @corral/context picks the same backend as from JSR.
import assert from "node:assert/strict";
import { contextBackend, Variable } from "@corral/context";
import { taskGroup } from "@corral/taskgroup";

assert.equal(contextBackend, "Deno");
const variable = new Variable();
const seen = await variable.run("value", () =>
  taskGroup(async (group) => {
    const task = group.spawn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return variable.get();
    });
    return await task.result;
  }));
assert.equal(seen, "value");
console.log(`Deno: contextBackend ${contextBackend}, a task saw its spawn-time context`);
