// Copyright the corral authors. MIT license.
/**
 * The part of `node:assert/strict` the suite uses, for the browser run
 * (`run_browser.ts`), where there is no `node:assert`. Close enough for the
 * cases that run there; the others only need it to load.
 *
 * @module
 */

/** Thrown when an assertion fails. */
export class AssertionError extends Error {
  /**
   * Creates the error.
   *
   * @param message What failed.
   */
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

function show(value: unknown): string {
  try {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    return typeof value;
  }
}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || !a || !b) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const keysA = Object.keys(a), keysB = Object.keys(b);
  return keysA.length === keysB.length &&
    keysA.every((key) =>
      same(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
      )
    );
}

type Expected =
  | RegExp
  | ((error: unknown) => boolean)
  | (new (...args: never[]) => unknown);

function matches(error: unknown, expected: Expected | undefined): boolean {
  if (expected === undefined) return true;
  if (expected instanceof RegExp) {
    return expected.test(
      error instanceof Error ? error.message : String(error),
    );
  }
  if (
    expected.prototype !== undefined &&
    error instanceof (expected as new () => unknown)
  ) {
    return true;
  }
  return (expected as (error: unknown) => boolean)(error) === true;
}

function ok(value: unknown, message?: string): asserts value {
  if (!value) {
    throw new AssertionError(
      message ?? `expected a truthy value, got ${show(value)}`,
    );
  }
}

/** `node:assert/strict`, in part. */
const assert = Object.assign(ok, {
  ok,
  AssertionError,
  equal(actual: unknown, expected: unknown, message?: string) {
    if (!Object.is(actual, expected)) {
      throw new AssertionError(
        message ?? `${show(actual)} !== ${show(expected)}`,
      );
    }
  },
  notEqual(actual: unknown, expected: unknown, message?: string) {
    if (Object.is(actual, expected)) {
      throw new AssertionError(
        message ?? `${show(actual)} === ${show(expected)}`,
      );
    }
  },
  deepEqual(actual: unknown, expected: unknown, message?: string) {
    if (!same(actual, expected)) {
      throw new AssertionError(
        message ?? `${show(actual)} does not deep-equal ${show(expected)}`,
      );
    }
  },
  match(actual: string, expected: RegExp, message?: string) {
    if (!expected.test(actual)) {
      throw new AssertionError(
        message ?? `${show(actual)} does not match ${expected}`,
      );
    }
  },
  fail(message = "failed"): never {
    throw new AssertionError(message);
  },
  throws(fn: () => unknown, expected?: Expected, message?: string) {
    try {
      fn();
    } catch (error) {
      if (matches(error, expected)) return;
      throw new AssertionError(message ?? `unexpected error: ${show(error)}`);
    }
    throw new AssertionError(message ?? "expected a throw");
  },
  async rejects(
    promise: Promise<unknown> | (() => Promise<unknown>),
    expected?: Expected,
    message?: string,
  ) {
    try {
      await (typeof promise === "function" ? promise() : promise);
    } catch (error) {
      if (matches(error, expected)) return;
      throw new AssertionError(
        message ?? `unexpected rejection: ${show(error)}`,
      );
    }
    throw new AssertionError(message ?? "expected a rejection");
  },
});

export default assert;
