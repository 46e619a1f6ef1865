// Copyright the corral authors. MIT license.
// main() after Effection's main() (lib/main.ts: SIGINT → 130, SIGTERM → 143,
// errors → 1 and printed) and Effect's runMain. The signal cases run
// `_test_main_fixture.ts` as a child process and send it real signals, on Deno
// and, when npx can provide them, on Node (through tsx's loader, as
// tools/conformance runs Node) and Bun. The rest runs in this process with
// `exit: false`, where the sanitizers check that no listener or timer is
// left behind.
import assert from "node:assert/strict";
import { CancelScope, now, sleep } from "@corral/scope";
import { main } from "./main.ts";

const ROOT = new URL("../../", import.meta.url);
const FIXTURE = new URL("./_test_main_fixture.ts", import.meta.url).pathname;
const TSCONFIG = new URL("tools/conformance/tsconfig.json", ROOT).pathname;
const NODE_ESM = new URL("tools/conformance/node_esm.mjs", ROOT).href;
/** The versions tools/conformance pins (main.ts `TSX`, `BUN`). */
const TSX = "tsx@4.23.15";
const BUN = "bun@1.4.5";
/** Real time a child may take to start (npx, tsx's compile, Bun). */
const START_TIMEOUT_MS = 60_000;

interface Runtime {
  name: string;
  command: string[];
  env?: Record<string, string>;
}

/** The path of `bin` from an npx package, or undefined without npx/network. */
async function npxBin(pkg: string, bin: string): Promise<string | undefined> {
  try {
    const output = await new Deno.Command("npx", {
      args: ["--yes", `--package=${pkg}`, "-c", `command -v ${bin}`],
      stdout: "piped",
      stderr: "null",
      cwd: "/",
      signal: AbortSignal.timeout(300_000),
    }).output();
    const path = new TextDecoder().decode(output.stdout).trim();
    return output.success && path !== ""
      ? await Deno.realPath(path)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Deno always; Node and Bun as real processes (not through the npx
 * wrapper, which would stand between the signal and the program).
 */
async function runtimes(): Promise<Runtime[]> {
  const found: Runtime[] = [{
    name: "deno",
    command: [
      Deno.execPath(),
      "run",
      "--allow-all",
      // Set by tools/release/deno_range.ts for an older Deno.
      ...(Deno.env.get("CORRAL_DENO_RUN_FLAGS")?.split(" ") ?? []),
      FIXTURE,
    ],
  }];
  if (Deno.env.get("CORRAL_MAIN_DENO_ONLY") !== undefined) return found;
  const tsxCli = await npxBin(TSX, "tsx");
  if (tsxCli !== undefined) {
    // .../tsx/dist/cli.mjs → .../tsx/dist/esm/index.mjs, the loader.
    const loader = new URL("esm/index.mjs", `file://${tsxCli}`).href;
    found.push({
      name: "node",
      command: ["node", `--import=${NODE_ESM}`, `--import=${loader}`, FIXTURE],
      env: { TSX_TSCONFIG_PATH: TSCONFIG },
    });
  }
  const bun = await npxBin(BUN, "bun");
  if (bun !== undefined) {
    found.push({
      name: "bun",
      command: [bun, "run", "--tsconfig-override", TSCONFIG, FIXTURE],
    });
  }
  return found;
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  /** Real milliseconds from the first signal to the exit. */
  afterSignal: number;
}

/**
 * Runs the fixture in `mode`; `drive` sends signals once it printed what it
 * waits for. Reads both pipes to the end and waits for the exit, so the
 * test leaks nothing.
 */
async function runFixture(
  runtime: Runtime,
  args: string[],
  drive: (child: {
    waitFor(text: string): Promise<void>;
    kill(signal: Deno.Signal): void;
  }) => Promise<void> = () => Promise.resolve(),
): Promise<Outcome> {
  const [command, ...rest] = runtime.command;
  const child = new Deno.Command(command!, {
    args: [...rest, ...args],
    cwd: ROOT.pathname,
    env: { ...runtime.env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  const readStdout = (async () => {
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      stdout += chunk;
      for (const waiter of waiters.splice(0)) {
        if (stdout.includes(waiter.text)) waiter.resolve();
        else waiters.push(waiter);
      }
    }
  })();
  const readStderr = new Response(child.stderr).text();
  let firstSignal = 0;
  const timer = setTimeout(() => child.kill("SIGKILL"), START_TIMEOUT_MS);
  let failure: unknown;
  try {
    await drive({
      waitFor: (text) =>
        stdout.includes(text)
          ? Promise.resolve()
          : new Promise((resolve, reject) => {
            waiters.push({ text, resolve });
            child.status.then(() =>
              reject(new Error(`exited before printing "${text}"`))
            );
          }),
      kill(signal) {
        firstSignal ||= performance.now();
        child.kill(signal);
      },
    });
  } catch (error) {
    failure = error;
    child.kill("SIGKILL");
  }
  const status = await child.status;
  clearTimeout(timer);
  await readStdout;
  const stderr = await readStderr;
  if (failure !== undefined) {
    throw new Error(`${failure}\nstdout: ${stdout}\nstderr: ${stderr}`);
  }
  return {
    code: status.code,
    stdout,
    stderr,
    afterSignal: firstSignal === 0 ? 0 : performance.now() - firstSignal,
  };
}

const found = await runtimes();

for (const runtime of found) {
  Deno.test(`main() on ${runtime.name}: real processes, real signals (Effection main)`, async (t) => {
    await t.step("success exits 0", async () => {
      const { code, stdout } = await runFixture(runtime, ["succeed"]);
      assert.equal(code, 0);
      assert.equal(stdout.trim(), "ran");
    });

    await t.step("failure exits 1 and prints the error to stderr", async () => {
      const { code, stderr } = await runFixture(runtime, ["fail"]);
      assert.equal(code, 1);
      assert.match(stderr, /boom in main/);
    });

    for (
      const [signal, expected] of [["SIGINT", 130], ["SIGTERM", 143]] as const
    ) {
      await t.step(
        `${signal} cancels with a reason naming it; cleanup runs; exit ${expected}`,
        async () => {
          const { code, stdout } = await runFixture(
            runtime,
            ["wait"],
            async (child) => {
              await child.waitFor("ready");
              child.kill(signal);
            },
          );
          assert.equal(code, expected, stdout);
          assert.match(
            stdout,
            new RegExp(
              `cancelled: Scope "main" was cancelled explicitly: received ${signal}\\n`,
            ),
          );
          assert.match(stdout, /cleanup done/);
        },
      );
    }

    await t.step(
      "a program that swallows the cancellation and returns still exits 130",
      async () => {
        const { code, stdout } = await runFixture(
          runtime,
          ["stop-quietly"],
          async (child) => {
            await child.waitFor("ready");
            child.kill("SIGINT");
          },
        );
        assert.equal(code, 130);
        assert.match(stdout, /stopping/);
      },
    );

    await t.step(
      "a second signal exits hard during a slow cleanup",
      async () => {
        const { code, stdout, stderr, afterSignal } = await runFixture(
          runtime,
          ["stubborn"],
          async (child) => {
            await child.waitFor("ready");
            child.kill("SIGINT");
            await child.waitFor("cleaning up slowly");
            child.kill("SIGINT");
          },
        );
        assert.equal(code, 130, stdout + stderr);
        assert.match(stderr, /main: SIGINT again; exiting now/);
        assert.ok(afterSignal < 30_000, `${afterSignal} ms`);
      },
    );

    await t.step("a grace period that runs out exits hard", async () => {
      const { code, stderr, afterSignal } = await runFixture(
        runtime,
        ["stubborn", "300"],
        async (child) => {
          await child.waitFor("ready");
          child.kill("SIGTERM");
        },
      );
      assert.equal(code, 143, stderr);
      assert.match(
        stderr,
        /main: still running 300 ms after SIGTERM; exiting now/,
      );
      assert.ok(
        afterSignal >= 300 && afterSignal < 30_000,
        `${afterSignal} ms`,
      );
    });

    await t.step(
      "an error during shutdown exits 1, not 130, and is printed",
      async () => {
        const { code, stderr } = await runFixture(
          runtime,
          ["fail-on-shutdown"],
          async (child) => {
            await child.waitFor("ready");
            child.kill("SIGINT");
          },
        );
        assert.equal(code, 1);
        assert.match(stderr, /cleanup failed/);
      },
    );

    await t.step(
      "with exit: false nothing is left: no listener, no timer, the program ends by itself",
      async () => {
        const { code, stdout } = await runFixture(runtime, ["no-exit"]);
        assert.equal(code, 0);
        assert.match(
          stdout,
          runtime.name === "deno"
            ? /^code 0, SIGINT listeners n\/a$/m // a listener left would keep Deno alive
            : /^code 0, SIGINT listeners 0$/m,
        );
      },
    );
  });
}

/** Runs `fn` with console.error captured. */
async function capturingStderr<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; printed: unknown[][] }> {
  const printed: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => printed.push(args);
  try {
    return { value: await fn(), printed };
  } finally {
    console.error = original;
  }
}

Deno.test("main() with exit: false resolves with 0 or 1 and leaves no listener or timer (sanitizers)", async () => {
  assert.equal(await main(() => sleep(1), { exit: false }), 0);
  const boom = new Error("boom");
  const { value, printed } = await capturingStderr(() =>
    main(() => {
      throw boom;
    }, { exit: false })
  );
  assert.equal(value, 1);
  assert.deepEqual(printed, [[boom]]);
});

Deno.test("main() runs fn in a root scope named main: an enclosing cancelled scope does not reach it", async () => {
  const outer = new CancelScope();
  let inner: CancelScope | undefined;
  let sleptUntil = -1;
  await outer.run(async () => {
    outer.cancel();
    await main(async (scope) => {
      inner = scope;
      await sleep(1); // would throw if the outer cancellation reached it
      sleptUntil = now();
    }, { exit: false });
  });
  assert.equal(inner?.name, "main");
  assert.equal(inner?.cancelCalled, false);
  assert.ok(sleptUntil > 0);
});

Deno.test("main() prints an error that console.error cannot print as one safe line", async () => {
  const lines: unknown[] = [];
  const original = console.error;
  let calls = 0;
  console.error = (...args: unknown[]) => {
    if (calls++ === 0) throw new Error("console is broken");
    lines.push(...args);
  };
  try {
    const code = await main(() => {
      throw Object.create(null);
    }, { exit: false });
    assert.equal(code, 1);
  } finally {
    console.error = original;
  }
  assert.equal(lines.length, 1);
  assert.match(String(lines[0]), /^Uncaught /);
});

Deno.test("main() throws bad input before anything runs", () => {
  let ran = false;
  const fn = () => {
    ran = true;
  };
  assert.throws(
    () => main(null as never),
    /^TypeError: Cannot run main\(\): 'fn' must be a function/,
  );
  assert.throws(
    () => main(Promise.reject(new Error("started")) as never),
    /not a promise: pass a function/,
  );
  assert.throws(
    () => main(fn, null as never),
    /^TypeError: Cannot run main\(\): 'options' must be an object/,
  );
  assert.throws(
    () => main(fn, { gracePeriod: -1 }),
    /^RangeError: Cannot run main\(\): 'gracePeriod' must be a non-negative number/,
  );
  assert.throws(() => main(fn, { gracePeriod: NaN }), RangeError);
  assert.throws(
    () => main(fn, { exit: "no" as never }),
    /^TypeError: Cannot run main\(\): 'exit' must be a boolean/,
  );
  assert.equal(ran, false);
});
