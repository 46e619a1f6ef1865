// Copyright the corral authors. MIT license.
/**
 * What one yield costs: a microtask (`await null`, which lets no timer or I/O
 * run), a macrotask by `setTimeout(0)`, `setImmediate` or a `MessageChannel`
 * message, and corral's `checkpoint()` (rule 2 of docs/rules.md: it must let timers run
 * often enough, so it is somewhere between the two).
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { type Benchmark, type OpsFn, runChild } from "../_harness.ts";
import { checkpoint } from "../../../packages/scope/mod.ts";

/** Yield `iterations` times in a row. */
export const yields: Readonly<Record<string, OpsFn | undefined>> = {
  async awaitNull(iterations) {
    for (let i = 0; i < iterations; i++) await null;
    return iterations;
  },

  async setTimeout0(iterations) {
    for (let i = 0; i < iterations; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return iterations;
  },

  async setImmediate(iterations) {
    for (let i = 0; i < iterations; i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    return iterations;
  },

  async messageChannel(iterations) {
    const { port1, port2 } = new MessageChannel();
    let wake = () => {};
    port1.onmessage = () => wake();
    try {
      for (let i = 0; i < iterations; i++) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          port2.postMessage(null);
        });
      }
    } finally {
      port1.close();
      port2.close();
    }
    return iterations;
  },
  async corral(iterations) {
    for (let i = 0; i < iterations; i++) await checkpoint();
    return iterations;
  },
};

/** The benchmarks of this file. */
export const benchmarks: readonly Benchmark[] = [
  {
    kind: "ops",
    name: "checkpoint",
    title: "one yield, in a loop (time per iteration)",
    baseline: "awaitNull",
    legend: {
      awaitNull: "`await null`: a microtask; timers and I/O never run",
      setTimeout0: "`await new Promise(r => setTimeout(r, 0))`",
      setImmediate: "`await new Promise(r => setImmediate(r))` (`node:timers`)",
      messageChannel: "a message to ourselves over one `MessageChannel`",
      corral: "`await checkpoint()` outside any cancelled scope",
    },
    implementations: yields,
  },
];

if (import.meta.main) await runChild(benchmarks);
