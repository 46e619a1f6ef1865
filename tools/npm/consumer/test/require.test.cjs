// Copyright the corral authors. MIT license.
// A CommonJS program: `require()` of the ES modules (Node 20.19+, Bun).
// Works because no module of the packages has a top-level `await` off
// Deno (the npm build maps Deno's context slot to a stand-in there).
const { test } = require("node:test");
const assert = require("node:assert/strict");

test("require() of @corral/taskgroup and @corral/context works", async () => {
  const { taskGroup } = require("@corral/taskgroup");
  const { contextBackend } = require("@corral/context");

  assert.equal(contextBackend, "AsyncLocalStorage");
  assert.equal(await taskGroup(() => "body"), "body");
});
