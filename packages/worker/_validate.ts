// Copyright the corral authors. MIT license.
/**
 * Argument checks of docs/rules.md "Bad input": every one runs
 * before any worker starts. Messages: the action, what was wrong, the
 * current value.
 *
 * @module
 */
import { checkDuration, describe, show, text } from "@corral/scope/plumbing";

export {
  checkDuration,
  checkName,
  checkOptions,
  describe,
  label,
  show,
} from "@corral/scope/plumbing";

/** The module's absolute URL, as a string. */
export function checkModule(action: string, module: unknown): string {
  let href: string | undefined;
  try {
    if (module instanceof URL) href = module.href;
    else if (typeof module === "string" && URL.canParse(module)) {
      href = new URL(module).href;
    }
  } catch {
    href = undefined;
  }
  if (href === undefined) {
    throw new TypeError(
      `Cannot ${action}: 'module' must be a URL or an absolute URL string (new URL("./work.ts", import.meta.url)): current value is ${
        show(module)
      }`,
    );
  }
  return href;
}

/** A non-empty string naming an export. */
export function checkExportName(action: string, name: unknown): string {
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `Cannot ${action}: 'exportName' must be the non-empty name of an exported function: current value is ${
        show(name)
      }`,
    );
  }
  return name;
}

/** An array of arguments. */
export function checkArgs(action: string, args: unknown): unknown[] {
  let isArray = false;
  try {
    isArray = Array.isArray(args);
  } catch {
    // a revoked proxy
  }
  if (!isArray) {
    throw new TypeError(
      `Cannot ${action}: 'args' must be an array of arguments: current value is ${
        show(args)
      }`,
    );
  }
  return args as unknown[];
}

/** An array of transferable objects, or `undefined`. */
export function checkTransfer(
  action: string,
  transfer: unknown,
): Transferable[] {
  if (transfer === undefined) return [];
  let isArray = false;
  try {
    isArray = Array.isArray(transfer);
  } catch {
    // a revoked proxy
  }
  if (!isArray) {
    throw new TypeError(
      `Cannot ${action}: 'transfer' must be an array of transferable objects (ArrayBuffer, MessagePort): current value is ${
        show(transfer)
      }`,
    );
  }
  return transfer as Transferable[];
}

/** The grace period: a duration in milliseconds (`Infinity` allowed). */
export function checkGrace(action: string, grace: unknown): number {
  if (grace === undefined) return DEFAULT_GRACE_MS;
  checkDuration(action, "grace", grace);
  return grace as number;
}

/** The default grace period, in milliseconds. */
export const DEFAULT_GRACE_MS = 100;

/** A pool size: a positive integer. */
export function checkSize(action: string, size: unknown): number {
  if (typeof size !== "number") {
    throw new TypeError(
      `Cannot ${action}: 'size' must be a number: current value is ${
        text(size)
      }`,
    );
  }
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(
      `Cannot ${action}: 'size' must be a positive integer: current value is ${
        text(size)
      }`,
    );
  }
  return size;
}

/** The clone error of `args`, said plainly. */
export function cannotClone(action: string, error: unknown): TypeError {
  return new TypeError(
    `Cannot ${action}: 'args' cannot be cloned to the worker (functions, symbols and class instances with private state cannot cross; list ArrayBuffers and MessagePorts in 'transfer'): ${
      describe(error)
    }`,
    { cause: error },
  );
}
