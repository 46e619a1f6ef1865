// Copyright the corral authors. MIT license.
/**
 * `@corral/interop`, loaded at run time so that the suite still loads (and
 * says "n.a.") while the package does not exist yet. The specifier is not a
 * literal, so neither `deno check` nor a bundler follows it; the types below
 * are the public API of docs/rules.md for interop, which the cases check.
 *
 * @module
 */
import type { CancelScope } from "@corral/scope";
import type { Availability } from "./harness.ts";

/** The part of `@corral/interop` docs/rules.md names. */
export interface Interop {
  fromSignal<T>(
    signal: AbortSignal,
    fn: (scope: CancelScope) => T | Promise<T>,
  ): Promise<T | undefined>;
  abortable<T>(
    fn: (signal: AbortSignal) => Promise<T>,
    options?: { abandon?: boolean },
  ): Promise<T>;
  toPromise<T>(
    fn: (scope: CancelScope) => T | Promise<T>,
    options?: { signal?: AbortSignal },
  ): Promise<T | undefined>;
  /** Added with the everyday toolkit; optional so that an older interop still loads. */
  main?<T>(
    fn: (scope: CancelScope) => T | Promise<T>,
    options?: { gracePeriod?: number; exit?: boolean },
  ): Promise<number>;
}

let loaded: Interop | undefined;

/** The loaded module; only for cases that declare `needs: ["interop"]`. */
export function interop(): Interop {
  if (loaded === undefined) throw new Error("@corral/interop is not loaded");
  return loaded;
}

/**
 * Loads `@corral/interop`. Missing package: not available. A package that
 * exists but does not load, or lacks a contract name: broken (its cases
 * fail with the reason).
 *
 * @param exists Whether `packages/interop/mod.ts` exists (the loader checks).
 */
export async function loadInterop(exists: boolean): Promise<Availability> {
  if (!exists) {
    return {
      available: false,
      reason: "packages/interop/mod.ts does not exist yet",
    };
  }
  const specifier = ["@corral", "interop"].join("/");
  let module: Record<string, unknown>;
  try {
    module = await import(specifier);
  } catch (error) {
    return {
      available: false,
      broken: true,
      reason: `@corral/interop does not load: ${
        error instanceof Error ? error.message.split("\n")[0] : String(error)
      }`,
    };
  }
  const missing = ["fromSignal", "abortable", "toPromise"].filter((name) =>
    typeof module[name] !== "function"
  );
  if (missing.length > 0) {
    return {
      available: false,
      broken: true,
      reason: `@corral/interop does not export ${missing.join(", ")}`,
    };
  }
  loaded = module as unknown as Interop;
  return { available: true };
}
