// Copyright the corral authors. MIT license.
/**
 * The conformance suite in a browser page: `main.ts` bundles this file with
 * `deno bundle --platform browser`, serves it on 127.0.0.1 with an import
 * map that points `node:assert/strict` at `browser_assert.ts`, opens it in
 * headless Chromium, and reads the report the page posts back to `/result`.
 * A browser has neither `AsyncContext` nor `AsyncLocalStorage`, so only the
 * portable cases run and the rest say why they cannot.
 *
 * @module
 */
import { contextBackend } from "@corral/context";
import { reportUnhandled, runTests, setFeature } from "./harness.ts";
import type { RuntimeReport } from "./protocol.ts";
import "./cancellable.ts";
import "./http.ts";
import "./context.ts";
import "./structure.ts";
import "./portable.ts";
import "./stream.ts";
import "./sync.ts";
import "./toolkit.ts";
import "./worker.ts";

async function main(): Promise<RuntimeReport> {
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    reportUnhandled(event.reason);
  });
  setFeature(
    "context",
    contextBackend === "none"
      ? { available: false, reason: "no AsyncContext or AsyncLocalStorage" }
      : { available: true },
  );
  setFeature("interop", {
    available: false,
    reason: "@corral/interop is not bundled for the browser",
  });
  const results = await runTests();
  const version = /Chrome\/([\d.]+)/.exec(navigator.userAgent)?.[1] ?? "?";
  const lacks = [
    ["AsyncContext", "AsyncContext" in globalThis],
    ["AsyncLocalStorage", contextBackend !== "none"],
    ["setImmediate", "setImmediate" in globalThis],
  ].filter(([, present]) => !present).map(([name]) => String(name));
  return { runtime: "chromium", version, contextBackend, lacks, results };
}

main().then(
  (report) =>
    fetch("/result", { method: "POST", body: JSON.stringify(report) }),
  (error) =>
    fetch("/result", {
      method: "POST",
      body: `crashed: ${error?.stack ?? error}`,
    }),
);
