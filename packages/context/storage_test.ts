// Copyright the corral authors. MIT license.
//
// The backend is chosen once, when `_storage.ts` is first imported, so the
// cases that need another runtime run in a fresh `deno eval` process where
// the globals were changed before a dynamic import of `mod.ts`.
import assert from "node:assert/strict";
import { AsyncLocalStorage, AsyncResource } from "node:async_hooks";
import { contextBackend, Snapshot, Variable } from "./mod.ts";
import { MISSING_BACKEND } from "./_storage.ts";

const modUrl = new URL("./mod.ts", import.meta.url).href;

/** Runs `code` (JavaScript) in a fresh Deno process and returns its output. */
async function evalInFreshProcess(
  code: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", "--ext=js", code],
    env,
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

// `tools/testing/hide_deno_slot.ts`, preloaded by `.ci/run` for a second run
// of the tests, hides Deno's context slot and says which backend to expect.
const expectedBackend =
  (globalThis as { corralExpectedBackend?: string }).corralExpectedBackend ??
    ("AsyncContext" in globalThis ? "AsyncContext" : "Deno");

Deno.test(`contextBackend is ${expectedBackend} on this Deno`, () => {
  assert.equal(contextBackend, expectedBackend);
});

/** Hides the context slot of Deno's core, as a Deno without it would. */
const hideDenoSlot = `
  const internal = Deno[Deno.internal];
  internal.core = { ...internal.core, getAsyncContext: undefined };
`;

Deno.test("mod.ts imports without a backend and throws a clear Error at first use", async () => {
  // `process.getBuiltinModule` is a configurable accessor on Deno's
  // `process` (on its prototype before Deno 2.2, where an own property
  // shadows it), so removing it leaves the runtime with neither
  // AsyncContext nor a way to reach `node:async_hooks`, as in a browser.
  const { code, stdout, stderr } = await evalInFreshProcess(`
    ${hideDenoSlot}
    delete globalThis.process.getBuiltinModule;
    if (typeof globalThis.process.getBuiltinModule !== "undefined") {
      Object.defineProperty(globalThis.process, "getBuiltinModule", {
        value: undefined,
        configurable: true,
      });
    }
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
  const expected = "Error: " + MISSING_BACKEND;
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

/** What a fresh process reports after `setup`: the backend and a round trip. */
async function backendAfter(setup: string) {
  const { code, stdout, stderr } = await evalInFreshProcess(`
    ${setup}
    const context = await import(${JSON.stringify(modUrl)});
    const variable = new context.Variable();
    const seen = await variable.run("value", async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return variable.get();
    });
    console.log(JSON.stringify({ backend: context.contextBackend, seen }));
  `);
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout);
}

Deno.test("without Deno's context slot, AsyncLocalStorage is the backend", async () => {
  assert.deepEqual(await backendAfter(hideDenoSlot), {
    backend: "AsyncLocalStorage",
    seen: "value",
  });
});

Deno.test("Deno's context slot is not used if Deno's own variables disagree with the self-test", async () => {
  // An AsyncVariable that ignores what it is given: the self-test must
  // notice that Deno's variable and ours do not see each other's values.
  assert.deepEqual(
    await backendAfter(`
      const internal = Deno[Deno.internal];
      internal.core = {
        ...internal.core,
        AsyncVariable: class extends internal.core.AsyncVariable {
          get() {
            return undefined;
          }
        },
      };
    `),
    { backend: "AsyncLocalStorage", seen: "value" },
  );
});

Deno.test("Deno's context slot is not used when our index would be past 63", async () => {
  // Each AsyncLocalStorage takes the next index; ours would be the 80th.
  assert.deepEqual(
    await backendAfter(`
      const { AsyncLocalStorage } = await import("node:async_hooks");
      globalThis.storages = Array.from({ length: 80 }, () => new AsyncLocalStorage());
    `),
    { backend: "AsyncLocalStorage", seen: "value" },
  );
});

// Corral's variables and Deno's AsyncLocalStorage share one context slot on
// the "Deno" backend (our index in an array, theirs in Deno's objects), and
// nest inside each other freely on every backend. These cases would fail if
// one side's copy dropped the other's entries.

const storage = new AsyncLocalStorage<string>();
const variable = new Variable<string>({ name: "ours" });

/** A timer's worth of waiting: the context must cross a macrotask. */
function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1));
}

/** Both values, after a timer, a microtask and a `then` callback. */
async function bothAfterEveryKindOfWait(): Promise<string[]> {
  const seen = [`${storage.getStore()}/${variable.get()}`];
  await pause();
  seen.push(`${storage.getStore()}/${variable.get()}`);
  await new Promise<void>((resolve) => queueMicrotask(resolve));
  seen.push(`${storage.getStore()}/${variable.get()}`);
  seen.push(
    await Promise.resolve().then(() =>
      `${storage.getStore()}/${variable.get()}`
    ),
  );
  return seen;
}

Deno.test("an AsyncLocalStorage value and a variable's follow each other in both nestings", async () => {
  const alsOutside = await storage.run(
    "als",
    () => variable.run("var", bothAfterEveryKindOfWait),
  );
  const variableOutside = await variable.run(
    "var",
    () => storage.run("als", bothAfterEveryKindOfWait),
  );
  assert.deepEqual(alsOutside, Array(4).fill("als/var"));
  assert.deepEqual(variableOutside, Array(4).fill("als/var"));
  assert.equal(storage.getStore(), undefined);
  assert.equal(variable.get(), undefined);
});

Deno.test("runs of two variables inside an AsyncLocalStorage run keep its value", async () => {
  const other = new Variable<string>({ name: "other" });
  const seen = await storage.run(
    "als",
    () =>
      variable.run("var", () =>
        other.run("other", async () => {
          await pause();
          return `${storage.getStore()}/${variable.get()}/${other.get()}`;
        })),
  );
  assert.equal(seen, "als/var/other");
});

Deno.test("alternating runs of both, five deep, restore each level on return", async () => {
  const seen: string[] = [];
  async function level(depth: number): Promise<void> {
    seen.push(`${depth}:${storage.getStore()}/${variable.get()}`);
    if (depth === 5) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    await (depth % 2 === 0
      ? storage.run(`a${depth}`, level, depth + 1)
      : variable.run(`v${depth}`, level, depth + 1));
    seen.push(`${depth}':${storage.getStore()}/${variable.get()}`);
  }
  await level(0);
  assert.deepEqual(seen, [
    "0:undefined/undefined",
    "1:a0/undefined",
    "2:a0/v1",
    "3:a2/v1",
    "4:a2/v3",
    "5:a4/v3",
    "4':a2/v3",
    "3':a2/v1",
    "2':a0/v1",
    "1':a0/undefined",
    "0':undefined/undefined",
  ]);
});

Deno.test("an AsyncLocalStorage made after the first run still nests with variables", async () => {
  // Its index is past the end of every context made so far.
  const late = new AsyncLocalStorage<string>();
  const seen = await variable.run(
    "var",
    () =>
      late.run("late", () =>
        variable.run("inner", async () => {
          await pause();
          return `${late.getStore()}/${variable.get()}`;
        })),
  );
  assert.equal(seen, "late/inner");
  assert.equal(variable.run("var", () => late.getStore()), undefined);
});

Deno.test("AsyncLocalStorage.snapshot() and AsyncResource.bind restore a variable's value", () => {
  const [snapshot, bound] = variable.run("captured", () => [
    AsyncLocalStorage.snapshot(),
    AsyncResource.bind(() => variable.get()),
  ]);
  variable.run("caller", () => {
    assert.equal(snapshot(() => variable.get()), "captured");
    assert.equal(bound(), "captured");
  });
});

Deno.test("enterWith inside a variable's run ends with that run", () => {
  variable.run("var", () => {
    storage.enterWith("entered");
    assert.equal(`${storage.getStore()}/${variable.get()}`, "entered/var");
  });
  assert.equal(storage.getStore(), undefined);
  assert.equal(variable.get(), undefined);
});

Deno.test("two copies of this module in one process keep each other's values", async () => {
  // Another URL is another module instance, as with two versions from JSR:
  // its own storage, and on Deno its own slot in the context.
  const copy: typeof import("./mod.ts") = await import("./mod.ts?copy");
  const theirs = new copy.Variable<string>({ name: "theirs" });
  const read = () => `${variable.get()}/${theirs.get()}`;
  const seen = await variable.run(
    "ours",
    () =>
      theirs.run("theirs", () =>
        variable.run("ours again", async () => {
          await pause();
          const inner = read();
          return [
            inner,
            await theirs.run("theirs again", async () => {
              await null;
              return read();
            }),
          ];
        })),
  );
  assert.deepEqual(seen, ["ours again/theirs", "ours again/theirs again"]);
  assert.equal(read(), "undefined/undefined");
});

Deno.test("a Snapshot restores corral's variables and leaves AsyncLocalStorage values as the caller's", () => {
  const snapshot = storage.run(
    "als at capture",
    () => variable.run("var at capture", () => new Snapshot()),
  );
  const empty = storage.run("als at capture", () => new Snapshot());
  const seen = storage.run(
    "als of the caller",
    () =>
      variable.run("var of the caller", () => [
        snapshot.run(() => `${storage.getStore()}/${variable.get()}`),
        empty.run(() => `${storage.getStore()}/${variable.get()}`),
        `${storage.getStore()}/${variable.get()}`,
      ]),
  );
  assert.deepEqual(seen, [
    "als of the caller/var at capture",
    "als of the caller/undefined",
    "als of the caller/var of the caller",
  ]);
});

// Deno's OpenTelemetry support came in 2.2 behind --unstable-otel, and
// without the flag in 2.4.
const [major = 0, minor = 0] = Deno.version.deno.split(".").map(Number);
const hasOpenTelemetry = major > 2 || (major === 2 && minor >= 4);

Deno.test({
  name:
    "with Deno's OpenTelemetry on, spans and variables follow each other both ways",
  ignore: !hasOpenTelemetry,
}, async () => {
  // Deno Deploy runs with OTEL_DENO=true: Deno then keeps the active span in
  // its own AsyncVariable, in the same context slot as ours. Nothing listens
  // on the exporter's port; spans are dropped.
  const { code, stdout, stderr } = await evalInFreshProcess(
    `
    const { trace } = await import("npm:@opentelemetry/api@1.10.0");
    const context = await import(${JSON.stringify(modUrl)});
    const variable = new context.Variable();
    const tracer = trace.getTracer("storage_test");
    const seen = [];
    const pause = () => new Promise((resolve) => setTimeout(resolve, 1));
    await tracer.startActiveSpan("outer", async (outer) => {
      await variable.run("value", async () => {
        await pause();
        seen.push([trace.getActiveSpan() === outer, variable.get()]);
        await tracer.startActiveSpan("inner", async (inner) => {
          await pause();
          seen.push([trace.getActiveSpan() === inner, variable.get()]);
          inner.end();
        });
        seen.push([trace.getActiveSpan() === outer, variable.get()]);
      });
      outer.end();
    });
    console.log(JSON.stringify({ backend: context.contextBackend, seen }));
  `,
    {
      OTEL_DENO: "true",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9",
    },
  );
  assert.equal(code, 0, stderr);
  assert.deepEqual(JSON.parse(stdout), {
    // A fresh process, without the preload of the second CI run.
    backend: "AsyncContext" in globalThis ? "AsyncContext" : "Deno",
    seen: [[true, "value"], [true, "value"], [true, "value"]],
  });
});

/** The getter and setter of Deno's context slot, for the cases below. */
function denoCore(): {
  getAsyncContext(): Record<string | symbol, unknown> | undefined;
  setAsyncContext(context: unknown): void;
} {
  const deno = Deno as unknown as Record<symbol, { core: never }> & {
    internal: symbol;
  };
  return deno[deno.internal]!.core;
}

Deno.test({
  name:
    "a context of Deno's with keys that are not ids keeps them through a run",
  ignore: contextBackend !== "Deno",
  fn() {
    // Deno's own contexts hold ids only today. Should a key of another kind
    // ever appear, a run must copy it too, not drop it.
    const core = denoCore();
    const future = Symbol("future");
    const outside = core.getAsyncContext();
    // 200: an id no variable of this process has, below the array limit.
    const read = (context: Record<string | symbol, unknown>) => [
      context.name,
      context[future],
      context[200],
      variable.get(),
    ];
    try {
      core.setAsyncContext({ __proto__: null, 200: "id", name: "name" });
      assert.deepEqual(
        variable.run("inner", () => read(core.getAsyncContext()!)),
        ["name", undefined, "id", "inner"],
      );
      core.setAsyncContext({ __proto__: null, 200: "id", [future]: "symbol" });
      assert.deepEqual(
        variable.run("inner", () => read(core.getAsyncContext()!)),
        [undefined, "symbol", "id", "inner"],
      );
    } finally {
      core.setAsyncContext(outside);
    }
  },
});

Deno.test({
  name:
    "an AsyncLocalStorage with an id past 255 nests with variables, and no context grows that long",
  ignore: contextBackend !== "Deno",
  fn() {
    const core = denoCore();
    // A program that makes a storage per request has ever higher ids.
    const storages = Array.from(
      { length: 300 },
      () => new AsyncLocalStorage<string>(),
    );
    const last = storages.at(-1)!;
    const seen = last.run("late", () =>
      variable.run("inner", () => {
        const context = core.getAsyncContext() as { length?: number };
        return [last.getStore(), variable.get(), context.length ?? "none"];
      }));
    assert.deepEqual(seen, ["late", "inner", "none"]);
  },
});
