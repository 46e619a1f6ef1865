// Copyright the corral authors. MIT license.
//
// The backend is chosen once, when `_storage.ts` is first imported, so the
// cases that need another runtime run in a fresh `deno eval` process where
// the globals were changed before a dynamic import of `mod.ts`.
import assert from "node:assert/strict";
import { contextBackend } from "./mod.ts";

const modUrl = new URL("./mod.ts", import.meta.url).href;

/** Runs `code` (JavaScript) in a fresh Deno process and returns its output. */
async function evalInFreshProcess(
  code: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", "--ext=js", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("contextBackend is AsyncLocalStorage on Deno, which has no AsyncContext", () => {
  const hasNative = "AsyncContext" in globalThis;
  assert.equal(
    contextBackend,
    hasNative ? "AsyncContext" : "AsyncLocalStorage",
  );
});

Deno.test("mod.ts imports without a backend and throws a clear Error at first use", async () => {
  // `process.getBuiltinModule` is a configurable accessor on Deno's
  // `process`, so deleting it leaves the runtime with neither AsyncContext
  // nor a way to reach `node:async_hooks`, as in a browser.
  const { code, stdout, stderr } = await evalInFreshProcess(`
    delete globalThis.process.getBuiltinModule;
    if (typeof globalThis.process.getBuiltinModule !== "undefined") {
      throw new Error("could not delete process.getBuiltinModule");
    }
    const context = await import(${JSON.stringify(modUrl)});
    const variable = new context.Variable({ name: "requestId" });
    const generator = context.bindGenerator(function* () {});
    const attempts = {
      get: () => variable.get(),
      run: () => variable.run("x", () => "ran"),
      snapshot: () => new context.Snapshot(),
      wrap: () => context.Snapshot.wrap(() => {}),
      generator: () => generator(),
    };
    const results = { backend: context.contextBackend };
    for (const [name, attempt] of Object.entries(attempts)) {
      try {
        attempt();
        results[name] = "no error";
      } catch (error) {
        results[name] = error.constructor.name + ": " + error.message;
      }
    }
    console.log(JSON.stringify(results));
  `);

  assert.equal(code, 0, stderr);
  const results = JSON.parse(stdout);
  assert.equal(results.backend, "none");
  const expected = "Error: Cannot use @corral/context: this runtime has " +
    "neither AsyncContext nor AsyncLocalStorage (node:async_hooks); " +
    "run on Deno, Node 20.16+ or Bun";
  for (const name of ["get", "run", "snapshot", "wrap", "generator"]) {
    assert.equal(results[name], expected, name);
  }
});

Deno.test("a native AsyncContext is preferred over AsyncLocalStorage", async () => {
  // A synchronous stand-in for the proposal's AsyncContext.Variable, enough
  // to see that every read and run goes through it.
  const { code, stdout, stderr } = await evalInFreshProcess(`
    const calls = [];
    globalThis.AsyncContext = {
      Variable: class {
        #value;
        get() {
          calls.push("get");
          return this.#value;
        }
        run(value, fn) {
          calls.push("run");
          const previous = this.#value;
          this.#value = value;
          try {
            return fn();
          } finally {
            this.#value = previous;
          }
        }
      },
    };
    const context = await import(${JSON.stringify(modUrl)});
    const variable = new context.Variable();
    const seen = variable.run("native", function (a) {
      return [a, variable.get(), this === undefined];
    }, 1);
    const snapshot = variable.run("captured", () => new context.Snapshot());
    console.log(JSON.stringify({
      backend: context.contextBackend,
      seen,
      fromSnapshot: snapshot.run(() => variable.get()),
      after: variable.get() ?? null,
      calls,
    }));
  `);

  assert.equal(code, 0, stderr);
  const results = JSON.parse(stdout);
  assert.equal(results.backend, "AsyncContext");
  assert.deepEqual(results.seen, [1, "native", true]);
  assert.equal(results.fromSnapshot, "captured");
  assert.equal(results.after, null);
  assert.ok(results.calls.includes("run") && results.calls.includes("get"));
});
