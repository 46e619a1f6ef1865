// Copyright the corral authors. MIT license.
// @corral/context as installed from its npm tarball.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  bindGenerator,
  contextBackend,
  Snapshot,
  Variable,
} from "@corral/context";
import { Variable as VariableFromSubpath } from "@corral/context/variable";

test("contextBackend is AsyncLocalStorage on Node and Bun", () => {
  assert.equal(contextBackend, "AsyncLocalStorage");
});

test("a variable's value follows await and timers, and two runs keep their own", async () => {
  const requestId = new Variable({ name: "requestId" });
  async function handle(/** @type {string} */ id) {
    return await requestId.run(id, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      await null;
      return requestId.get();
    });
  }

  assert.deepEqual(await Promise.all([handle("a"), handle("b")]), ["a", "b"]);
  assert.equal(requestId.get(), undefined);
});

test("Snapshot.run and Snapshot.wrap restore the captured values", () => {
  const user = new Variable();
  const snapshot = user.run("ada", () => new Snapshot());
  const whoAmI = user.run("ada", () => Snapshot.wrap(function whoAmI() {
    return user.get();
  }));

  assert.equal(snapshot.run(() => user.get()), "ada");
  assert.equal(user.run("bob", whoAmI), "ada");
  assert.equal(whoAmI.name, "wrapped whoAmI");
  assert.equal(
    Object.prototype.toString.call(snapshot),
    "[object AsyncContext.Snapshot]",
  );
});

test("bindGenerator resumes a generator in its creation context", () => {
  const variable = new Variable();
  const generate = bindGenerator(function* () {
    yield variable.get();
    yield variable.get();
  });

  const generator = variable.run("created", () => generate());

  assert.deepEqual(variable.run("consumer", () => [...generator]), [
    "created",
    "created",
  ]);
});

test("a subpath export is the same class as the main entry's", () => {
  assert.equal(VariableFromSubpath, Variable);
});
