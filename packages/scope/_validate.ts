// Copyright the corral authors. MIT license.
/**
 * Argument checks of DESIGN "Bad input gets a clear error". Messages follow
 * std: the action, what was wrong, the current value.
 *
 * @module
 */

/** ` "name"` for a named object, nothing for an unnamed one. */
export function label(name: string): string {
  return name === "" ? "" : ` "${name}"`;
}

/** Rule 8 and DESIGN "Bad input": a plain or async function, nothing else. */
export function checkCallback(action: string, fn: unknown): void {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot ${action}: 'fn' must be a function: current value is ${
        typeof fn === "string" ? JSON.stringify(fn) : String(fn)
      }`,
    );
  }
  const kind = fn.constructor?.name;
  if (kind === "GeneratorFunction" || kind === "AsyncGeneratorFunction") {
    throw new TypeError(
      `Cannot ${action}: 'fn' must not be a generator function: current value is ${
        fn.name || "anonymous"
      }`,
    );
  }
}

/**
 * A deadline must be a number, not NaN (`-Infinity` and the past are fine).
 * `argument` is the parameter's name as the caller wrote it.
 */
export function checkDeadline(
  action: string,
  deadline: unknown,
  argument = "deadline",
): void {
  if (typeof deadline !== "number") {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must be a number: current value is ${
        String(deadline)
      }`,
    );
  }
  if (Number.isNaN(deadline)) {
    throw new RangeError(
      `Cannot ${action}: '${argument}' must not be NaN: current value is NaN`,
    );
  }
}

/** A duration must be a number, neither NaN nor negative. */
export function checkDuration(
  action: string,
  argument: string,
  ms: unknown,
): void {
  if (typeof ms !== "number") {
    throw new TypeError(
      `Cannot ${action}: '${argument}' must be a number: current value is ${
        String(ms)
      }`,
    );
  }
  if (Number.isNaN(ms) || ms < 0) {
    throw new RangeError(
      `Cannot ${action}: '${argument}' must be a non-negative number: current value is ${ms}`,
    );
  }
}

export function checkShield(action: string, shield: unknown): void {
  if (typeof shield !== "boolean") {
    throw new TypeError(
      `Cannot ${action}: 'shield' must be a boolean: current value is ${
        String(shield)
      }`,
    );
  }
}
