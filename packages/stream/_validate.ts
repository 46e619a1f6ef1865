// Copyright the corral authors. MIT license.
/**
 * Argument checks of docs/rules.md "Bad input": the action, what was wrong, the
 * current value.
 *
 * @module
 */
export {
  checkBoolean,
  checkCallback,
  checkName,
  checkOptions,
  show,
} from "@corral/scope/plumbing";
import { show, text } from "@corral/scope/plumbing";

/**
 * A count option (`buffer`, `limit`): `undefined` (the default), or an
 * integer of at least `min`. Returns the count.
 */
export function checkCount(
  action: string,
  argument: string,
  value: unknown,
  min: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must be a number: current value is ${
        text(value)
      }`,
    );
  }
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `Cannot ${action}: '${argument}' must be ${
        min === 0 ? "a non-negative" : "a positive"
      } integer: current value is ${value}`,
    );
  }
  return value;
}

/** A sync or async iterable; says which. */
export function checkSource(
  action: string,
  argument: string,
  source: unknown,
): "sync" | "async" {
  if (source !== null && source !== undefined) {
    try {
      const object = source as Record<symbol, unknown>;
      if (typeof object[Symbol.asyncIterator] === "function") return "async";
      if (typeof object[Symbol.iterator] === "function") return "sync";
    } catch {
      // A hostile getter: not an iterable we can use.
    }
  }
  throw new TypeError(
    `Cannot ${action}: '${argument}' must be an iterable or an async iterable: current value is ${
      show(source)
    }`,
  );
}
