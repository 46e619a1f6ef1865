// Copyright the corral authors. MIT license.
/**
 * The conformance suite's tiny harness: `test(name, fn)` records a case,
 * `runTests()` runs them one after the other and returns plain results. It
 * uses nothing but the language and `node:` built-ins, so the same files run
 * on Deno, Node (through tsx) and Bun, and could run in a browser bundle.
 *
 * Each case gets a real-time limit and two checks after it, whatever the
 * runtime's own test runner would have done: no unhandled rejection happened
 * while it ran (rule 16, docs/rules.md), and no scope is still active when it
 * returns (rule 15: nothing outlives its group).
 *
 * @module
 */
import { roots } from "@corral/scope/plumbing";

/** What a case needs from the runtime or the workspace beyond the core. */
export type Feature = "context" | "interop";

/** Whether a feature is there, and if not, why (shown in the table). */
export type Availability = { available: true } | {
  available: false;
  /** Short, for the table: `no AsyncLocalStorage`. */
  reason: string;
  /** When true, the feature should be there: its cases FAIL with `reason`. */
  broken?: boolean;
};

/** One case's outcome, as printed in the JSON a runtime hands the runner. */
export interface TestResult {
  name: string;
  status: "pass" | "fail" | "na";
  /** For `fail`, the error; for `na`, why the case could not run. */
  detail?: string;
  /** Real time the case took. */
  ms: number;
}

/** Options for {@linkcode test}. */
export interface TestOptions {
  /**
   * Features the case cannot run without; reported `n.a.` when missing.
   * `"context"` is always needed (the scope of the current call chain is a
   * context variable), unless `portable` is set.
   */
  needs?: Feature[];
  /** The case runs without a context backend (a browser). @default {false} */
  portable?: boolean;
  /** Real-time limit in milliseconds. @default {5000} */
  timeout?: number;
}

interface Case {
  name: string;
  fn: () => void | Promise<void>;
  options: TestOptions;
}

const cases: Case[] = [];
const features = new Map<Feature, Availability>();
const unhandled: unknown[] = [];

/**
 * Records a case. Names must be unique: they are the rows of the table.
 *
 * @param name What is checked, in plain words.
 * @param fn The case; throws (an `assert` failure) to fail.
 * @param options Needed features and a time limit.
 */
export function test(
  name: string,
  fn: () => void | Promise<void>,
  options: TestOptions = {},
): void {
  if (cases.some((other) => other.name === name)) {
    throw new Error(`Cannot register test: duplicate name: ${name}`);
  }
  cases.push({ name, fn, options });
}

/**
 * Says whether a feature is there. The loader (`run.ts`) calls it before
 * `runTests`; a feature never set counts as available.
 */
export function setFeature(feature: Feature, availability: Availability) {
  features.set(feature, availability);
}

/**
 * Records an unhandled rejection; the loader wires the runtime's own event
 * to it (`unhandledrejection` on Deno and in browsers, `process.on` on Node
 * and Bun). The case that was running fails.
 */
export function reportUnhandled(reason: unknown): void {
  unhandled.push(reason);
}

/** Lets the event loop run a few macrotasks (late rejections show up). */
export function settleEventLoop(turns = 3): Promise<void> {
  return new Promise((resolve) => {
    let left = turns;
    const step = () => (--left <= 0 ? resolve() : setTimeout(step, 0));
    setTimeout(step, 0);
  });
}

/**
 * Runs every registered case in order and returns the results.
 *
 * @param onResult Called after each case (progress on stderr).
 */
export async function runTests(
  onResult: (result: TestResult, index: number, total: number) => void =
    () => {},
): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const [index, current] of cases.entries()) {
    const result = await runCase(current);
    results.push(result);
    onResult(result, index, cases.length);
  }
  return results;
}

async function runCase(current: Case): Promise<TestResult> {
  const { name, fn, options } = current;
  const needs = new Set<Feature>(options.portable ? [] : ["context"]);
  for (const feature of options.needs ?? []) needs.add(feature);
  for (const feature of needs) {
    const availability = features.get(feature) ?? { available: true };
    if (!availability.available) {
      return {
        name,
        status: availability.broken ? "fail" : "na",
        detail: availability.reason,
        ms: 0,
      };
    }
  }
  const started = performance.now();
  unhandled.length = 0;
  // Only scopes this case left behind count: a case that timed out earlier
  // may still hold some, and it has already failed for them.
  const before = new Set(roots());
  const limit = options.timeout ?? 5_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${limit} ms of real time`)),
      limit,
    );
  });
  try {
    await Promise.race([Promise.resolve().then(fn), expired]);
    await settleEventLoop();
    if (unhandled.length > 0) {
      throw new Error(`unhandled rejection: ${describe(unhandled[0])}`);
    }
    const leftover = [...roots()].filter((scope) => !before.has(scope));
    if (leftover.length > 0) {
      throw new Error(
        `scopes still active after the test: ${leftover.join(", ")}`,
      );
    }
    return { name, status: "pass", ms: performance.now() - started };
  } catch (error) {
    return {
      name,
      status: "fail",
      detail: describe(error),
      ms: performance.now() - started,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** One line for the table's failure list: name, message, first frame. */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const frame = error.stack?.split("\n").find((line) =>
      /^\s+at .*\/(tools|packages)\//.test(line) &&
      !line.includes("harness.ts")
    )?.trim();
    return `${error.name}: ${error.message.split("\n").slice(0, 6).join(" ")}${
      frame ? ` (${frame})` : ""
    }`;
  }
  try {
    return `thrown ${JSON.stringify(error)}`;
  } catch {
    return `thrown ${String(error)}`;
  }
}
