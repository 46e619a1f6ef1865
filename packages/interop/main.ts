// Copyright the corral authors. MIT license.
/**
 * `main`: a program's entry point, after Effection's `main()` (lib/main.ts)
 * and Effect's `runMain`: the body runs in a root scope, SIGINT and SIGTERM
 * cancel it, and the outcome becomes the exit code. It reaches the runtime
 * through `globalThis` (Deno first, then Node's and Bun's `process`), so no
 * public type names a runtime's namespace.
 *
 * @module
 */
import { Cancelled, type CancelScope } from "@corral/scope";
import { checkOptions } from "@corral/scope/plumbing";
import { toPromise } from "./to_promise.ts";
import { checkBoolean, checkDuration, checkFunction } from "./_validate.ts";

/** The signals `main` turns into a cancellation. */
export type MainSignal = "SIGINT" | "SIGTERM";

/** Options for {@linkcode main}. */
export interface MainOptions {
  /**
   * After the first signal, how long `fn` may take to finish cleaning up,
   * in real milliseconds, before the process exits hard. A second signal
   * exits hard at once in any case. @default {Infinity}
   */
  gracePeriod?: number;
  /**
   * Whether to end the process with the exit code once `fn` is done
   * (`Deno.exit`, `process.exit`), as a program's entry point should: work
   * a foreign library left running cannot keep the program alive. With
   * `false`, `main` only resolves with the code (for tests, or a program
   * with more to do). A hard exit (second signal, grace period) exits
   * either way. @default {true}
   */
  exit?: boolean;
}

/** The exit code of a process ended by a signal: 128 + its number. */
const SIGNAL_EXIT_CODES: Record<MainSignal, number> = {
  SIGINT: 130,
  SIGTERM: 143,
};

/**
 * Runs a program: calls `fn` in a root scope named `"main"` and turns its
 * outcome into the process's exit code. Like Effection's `main()` and
 * Effect's `runMain`.
 *
 * - The first SIGINT (Ctrl-C) or SIGTERM cancels the scope with the reason
 *   `"received SIGINT"` (or `SIGTERM`), so `fn`'s `finally` blocks and
 *   shutdown code run. A second signal, or a `gracePeriod` that ran out,
 *   exits at once.
 * - Exit code: 0 when `fn` succeeded; 1 when it failed, with the error
 *   printed to stderr; 130 (SIGINT) or 143 (SIGTERM) once a signal arrived,
 *   unless `fn` then failed with an error other than the cancellation
 *   (then 1: a failure during shutdown must not go unseen).
 * - When `fn` is done, the signal listeners, the grace timer and the timer
 *   that keeps the process alive while `fn` waits are all removed, before
 *   the process exits (or, with `exit: false`, before `main` resolves).
 *
 * Works on Deno (`Deno.addSignalListener`, `Deno.exit`), Node and Bun
 * (`process.on`, `process.exit`). On Windows only SIGINT (Ctrl-C) is
 * listened for. Elsewhere (a browser) no signal is listened for and
 * nothing exits.
 *
 * @typeParam T The value of `fn`.
 * @param fn The program; receives the root scope.
 * @param options The grace period, and whether to exit.
 * @returns The exit code; with `exit: true` (the default) the process ends
 * instead, so it never resolves.
 * @throws {TypeError} If `fn` is not a function or an option has the wrong
 * type.
 * @throws {RangeError} If `gracePeriod` is NaN or negative.
 *
 * @example A program (as a file of its own: main() ends the process)
 * ```ts ignore
 * import { main } from "@corral/interop";
 * import { sleepForever } from "@corral/scope";
 *
 * await main(async () => {
 *   console.log("serving; press Ctrl-C to stop");
 *   try {
 *     await sleepForever();
 *   } finally {
 *     console.log("shutting down"); // runs on Ctrl-C; then exit code 130
 *   }
 * }, { gracePeriod: 10_000 });
 * ```
 *
 * @example The exit code, without exiting
 * ```ts
 * import { main } from "@corral/interop";
 * import { sleep } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * const code = await main(async () => {
 *   await sleep(1);
 * }, { exit: false });
 * assert.equal(code, 0);
 * ```
 */
export function main<T>(
  fn: (scope: CancelScope) => T | Promise<T>,
  options: MainOptions = {},
): Promise<number> {
  checkFunction("run main()", fn);
  checkOptions("run main()", options);
  const { gracePeriod = Infinity, exit = true } = options;
  checkDuration("run main()", "gracePeriod", gracePeriod);
  checkBoolean("run main()", "exit", exit);
  return runMain(fn, gracePeriod, exit, currentHost());
}

async function runMain<T>(
  fn: (scope: CancelScope) => T | Promise<T>,
  gracePeriod: number,
  exit: boolean,
  host: Host,
): Promise<number> {
  const controller = new AbortController();
  let signalled: MainSignal | undefined;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const onSignal = (signal: MainSignal) => {
    if (signalled !== undefined) {
      host.writeError(`main: ${signal} again; exiting now`);
      host.exit(SIGNAL_EXIT_CODES[signal]);
      return;
    }
    signalled = signal;
    controller.abort(`received ${signal}`);
    if (gracePeriod !== Infinity) {
      graceTimer = setTimeout(() => {
        host.writeError(
          `main: still running ${gracePeriod} ms after ${signal}; exiting now`,
        );
        host.exit(SIGNAL_EXIT_CODES[signal]);
      }, gracePeriod);
    }
  };
  // Deno keeps running while a signal listener is registered; Node and Bun
  // do not, and would end a program that only waits for Ctrl-C (Node: exit
  // code 13, "unsettled top-level await"). Effection holds the loop the
  // same way.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  const removers = (["SIGINT", "SIGTERM"] as const).map((signal) =>
    host.listen(signal, () => onSignal(signal))
  );
  let code: number;
  try {
    await toPromise(fn, { signal: controller.signal, name: "main" });
    code = signalled === undefined ? 0 : SIGNAL_EXIT_CODES[signalled];
  } catch (error) {
    const cancelledBySignal = signalled !== undefined &&
      (error === controller.signal.reason || error instanceof Cancelled);
    if (cancelledBySignal) {
      code = SIGNAL_EXIT_CODES[signalled!];
    } else {
      host.printError(error);
      code = 1;
    }
  } finally {
    for (const remove of removers) remove();
    clearInterval(keepAlive);
    clearTimeout(graceTimer);
  }
  if (exit) host.exit(code);
  return code;
}

// ---------------------------------------------------------------------------
// The runtime, reached through globalThis (no `Deno` in public types).

/** What `main` needs from the runtime. */
interface Host {
  /** Listens for `signal`; returns the function that stops listening. */
  listen(signal: MainSignal, listener: () => void): () => void;
  exit(code: number): void;
  writeError(line: string): void;
  printError(error: unknown): void;
}

/** The part of Deno's namespace `main` uses. */
interface DenoLike {
  addSignalListener(signal: string, listener: () => void): void;
  removeSignalListener(signal: string, listener: () => void): void;
  exit(code: number): never;
  build?: { os?: string };
}

/** The part of Node's and Bun's `process` `main` uses. */
interface ProcessLike {
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
  exit(code: number): never;
  platform?: string;
}

function currentHost(): Host {
  const globals = globalThis as { Deno?: DenoLike; process?: ProcessLike };
  const deno = globals.Deno;
  if (typeof deno?.addSignalListener === "function") {
    return {
      listen(signal, listener) {
        // Deno on Windows listens for SIGINT and SIGBREAK only.
        if (signal !== "SIGINT" && deno.build?.os === "windows") return noop;
        deno.addSignalListener(signal, listener);
        return () => deno.removeSignalListener(signal, listener);
      },
      exit: (code) => deno.exit(code),
      writeError,
      printError,
    };
  }
  const process = globals.process;
  if (typeof process?.on === "function") {
    return {
      listen(signal, listener) {
        if (signal !== "SIGINT" && process.platform === "win32") return noop;
        process.on(signal, listener);
        return () => process.off(signal, listener);
      },
      exit: (code) => process.exit(code),
      writeError,
      printError,
    };
  }
  return { listen: () => noop, exit: noop, writeError, printError };
}

function noop(): void {}

function writeError(line: string): void {
  try {
    console.error(line);
  } catch {
    // Nowhere left to report to.
  }
}

/** The error as the runtime prints it, or as one safe line if that throws. */
function printError(error: unknown): void {
  try {
    console.error(error);
  } catch {
    let text: string;
    try {
      text = error instanceof Error
        ? String(error.stack ?? `${error.name}: ${error.message}`)
        : `Uncaught ${String(error)}`;
    } catch {
      text = "Uncaught error that cannot be printed";
    }
    writeError(text);
  }
}
