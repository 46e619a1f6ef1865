// Copyright the corral authors. MIT license.
/**
 * Runs the conformance suite on the runtime that runs this file (Deno, Node
 * through tsx, Bun) and prints one line of JSON on stdout, after the marker
 * `RESULT_MARKER`: the runtime, its version, which features it has
 * and every case's result. Progress goes to stderr. `main.ts` runs this file
 * once per runtime and prints the table.
 *
 * ```sh
 * deno run --allow-all tools/conformance/run.ts
 * NODE_OPTIONS=--import=./tools/conformance/node_esm.mjs \
 *   npx --yes tsx@4.23.15 --tsconfig tools/conformance/tsconfig.json tools/conformance/run.ts
 * npx --yes bun@1.4.5 run --tsconfig-override tools/conformance/tsconfig.json tools/conformance/run.ts
 * ```
 *
 * @module
 */
import { existsSync } from "node:fs";
import process from "node:process";
import { contextBackend } from "@corral/context";
import { reportUnhandled, runTests, setFeature } from "./harness.ts";
import { loadInterop } from "./interop_api.ts";
import { RESULT_MARKER, type RuntimeReport } from "./protocol.ts";
import "./cancellable.ts";
import "./http.ts";
import "./context.ts";
import "./structure.ts";
import "./portable.ts";
import "./stream.ts";
import "./sync.ts";
import "./toolkit.ts";
import "./worker.ts";

interface RuntimeGlobals {
  Deno?: { version: { deno: string } };
  Bun?: { version: string };
  addEventListener?: (
    type: string,
    listener: (event: { reason: unknown; preventDefault(): void }) => void,
  ) => void;
}

function identify(): { runtime: string; version: string } {
  const globals = globalThis as RuntimeGlobals;
  if (globals.Deno) {
    return { runtime: "deno", version: globals.Deno.version.deno };
  }
  if (globals.Bun) return { runtime: "bun", version: globals.Bun.version };
  return { runtime: "node", version: process.versions.node ?? "?" };
}

/** Features newer than Node 20 or missing somewhere, by runtime. */
function missingBuiltins(): string[] {
  const checks: [string, boolean][] = [
    ["AsyncContext", "AsyncContext" in globalThis],
    ["Promise.withResolvers", "withResolvers" in Promise],
    [
      "Iterator helpers",
      typeof (globalThis as { Iterator?: unknown }).Iterator === "function",
    ],
    ["Set methods", "union" in Set.prototype],
    ["Array.fromAsync", "fromAsync" in Array],
    ["Symbol.dispose", typeof Symbol.dispose === "symbol"],
    [
      "setImmediate",
      typeof (globalThis as { setImmediate?: unknown }).setImmediate ===
        "function",
    ],
    [
      "process.getBuiltinModule",
      typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule ===
        "function",
    ],
  ];
  return checks.filter(([, present]) => !present).map(([name]) => name);
}

function watchUnhandledRejections(): void {
  const globals = globalThis as RuntimeGlobals;
  if (globals.Deno && globals.addEventListener) {
    globals.addEventListener("unhandledrejection", (event) => {
      event.preventDefault();
      reportUnhandled(event.reason);
    });
  } else {
    process.on("unhandledRejection", reportUnhandled);
  }
}

async function main(): Promise<void> {
  const { runtime, version } = identify();
  watchUnhandledRejections();
  setFeature(
    "context",
    contextBackend === "none"
      ? { available: false, reason: "no AsyncContext or AsyncLocalStorage" }
      : { available: true },
  );
  const interopFile = new URL("../../packages/interop/mod.ts", import.meta.url);
  setFeature("interop", await loadInterop(existsSync(interopFile)));

  const started = performance.now();
  let failed = 0;
  const results = await runTests((result, index, total) => {
    if (result.status === "fail") {
      failed++;
      process.stderr.write(
        `\n  FAIL ${result.name}\n       ${result.detail}\n`,
      );
    } else if ((index + 1) % 10 === 0 || index + 1 === total) {
      process.stderr.write(`  ${runtime}: ${index + 1}/${total}\n`);
    }
  });
  process.stderr.write(
    `  ${runtime}: ${results.length} cases, ${failed} failed, in ${
      Math.round(performance.now() - started)
    } ms\n`,
  );
  const report: RuntimeReport = {
    runtime,
    version,
    contextBackend,
    lacks: missingBuiltins(),
    results,
  };
  // Exit once the line is written: a case that failed may have left a timer.
  process.stdout.write(
    `${RESULT_MARKER}${JSON.stringify(report)}\n`,
    () => process.exit(0),
  );
}

main().catch(
  (error) => {
    process.stderr.write(`conformance run crashed: ${error?.stack ?? error}\n`);
    process.exit(2);
  },
);
