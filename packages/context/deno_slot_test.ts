// Copyright the corral authors. MIT license.
//
// The choice of the "Deno" backend: the asynchronous probe, and the
// environment variable that skips it. Cases that need another process run
// in a fresh `deno` whose globals or environment differ.
import assert from "node:assert/strict";
import {
  chooseDenoSlot,
  type DenoCore,
  denoSlotStorage,
  passesAsyncProbe,
} from "./_deno_slot.ts";
import { contextBackend } from "./mod.ts";

const modUrl = new URL("./mod.ts", import.meta.url).href;

/**
 * A stand-in for Deno's core whose slot is a plain variable: Deno's format
 * and synchronous behaviour, but nothing carries it across a wait, as in a
 * Deno that changed how the slot propagates.
 */
function coreWithoutPropagation(): DenoCore {
  let slot: Record<number, unknown> | undefined;
  let nextId = 0;
  return {
    getAsyncContext: () => slot,
    setAsyncContext: (context) => {
      slot = context as Record<number, unknown> | undefined;
    },
    AsyncVariable: class {
      #id = nextId++;
      enter(value: unknown) {
        const previous = slot;
        slot = { __proto__: null, ...previous, [this.#id]: value } as Record<
          number,
          unknown
        >;
        return previous;
      }
      get() {
        return slot?.[this.#id];
      }
    },
  };
}

Deno.test("the Deno slot's self-test passes on a slot that is not carried across waits; the probe does not", async () => {
  const core = coreWithoutPropagation();
  const storage = denoSlotStorage(core);

  assert.ok(storage !== undefined, "the synchronous self-test alone passes");
  assert.equal(await passesAsyncProbe(storage), false);
  assert.equal(await chooseDenoSlot(core), undefined);
});

Deno.test({
  name: "the asynchronous probe passes on this Deno's own slot",
  ignore: contextBackend !== "Deno",
  async fn() {
    const storage = denoSlotStorage();

    assert.ok(storage !== undefined);
    assert.equal(await passesAsyncProbe(storage), true);
  },
});

/** Runs `code` as a module in a fresh Deno process with `args` and `env`. */
async function runInFreshProcess(
  code: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const file = await Deno.makeTempFile({ suffix: ".js" });
  try {
    await Deno.writeTextFile(file, code);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--no-prompt", ...args, file],
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    return new TextDecoder().decode(output.stdout).trim();
  } finally {
    await Deno.remove(file);
  }
}

const printBackend = `
  const context = await import(${JSON.stringify(modUrl)});
  console.log(context.contextBackend);
`;

Deno.test({
  name:
    "a Deno whose timers stop carrying the slot gets AsyncLocalStorage, not the slot",
  ignore: contextBackend !== "Deno",
  async fn() {
    // A timer callback that runs in the empty context, whatever context set
    // the timer: the format and the synchronous behaviour are unchanged.
    const setup = `
      const core = Deno[Deno.internal].core;
      const setTimeout = globalThis.setTimeout;
      globalThis.setTimeout = (fn, ms, ...args) =>
        setTimeout(() => {
          core.setAsyncContext(undefined);
          fn(...args);
        }, ms);
    `;

    assert.equal(
      await runInFreshProcess(setup + printBackend, ["--allow-read"]),
      "AsyncLocalStorage",
    );
  },
});

Deno.test({
  name:
    "CORRAL_CONTEXT_BACKEND=AsyncLocalStorage (or async_hooks) skips the Deno slot when env access is granted",
  ignore: contextBackend !== "Deno",
  async fn() {
    for (const value of ["AsyncLocalStorage", "async_hooks"]) {
      const env = { CORRAL_CONTEXT_BACKEND: value };

      const whole = await runInFreshProcess(
        printBackend,
        ["--allow-read", "--allow-env"],
        env,
      );
      const one = await runInFreshProcess(
        printBackend,
        ["--allow-read", "--allow-env=CORRAL_CONTEXT_BACKEND"],
        env,
      );

      assert.equal(whole, "AsyncLocalStorage", value);
      assert.equal(one, "AsyncLocalStorage", value);
    }
  },
});

Deno.test({
  name:
    "CORRAL_CONTEXT_BACKEND is not read, and nothing is prompted or thrown, without env access",
  ignore: contextBackend !== "Deno",
  async fn() {
    const env = { CORRAL_CONTEXT_BACKEND: "AsyncLocalStorage" };

    const backend = await runInFreshProcess(
      printBackend,
      ["--allow-read"],
      env,
    );

    assert.equal(backend, "Deno");
  },
});

Deno.test({
  name: "CORRAL_CONTEXT_BACKEND with another value is ignored",
  ignore: contextBackend !== "Deno",
  async fn() {
    const env = { CORRAL_CONTEXT_BACKEND: "Deno-please" };

    const backend = await runInFreshProcess(
      printBackend,
      ["--allow-read", "--allow-env"],
      env,
    );

    assert.equal(backend, "Deno");
  },
});
