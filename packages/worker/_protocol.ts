// Copyright the corral authors. MIT license.
/**
 * The messages between a calling thread and its worker, and how an error
 * crosses: read together with `_bootstrap.ts` (the worker's side) and
 * `_host.ts` (the caller's side).
 *
 * A call is one `Call` message; the worker answers it with exactly one
 * `Reply`. A `Cancel` may follow the call; the worker then cancels the
 * call's scope and still answers (its `finally` blocks ran), unless it is
 * terminated first. Messages are plain objects with short keys: they are
 * cloned on every call, and a trivial round trip is mostly this cost.
 *
 * @module
 */

/** The first element of every message: what it is. */
export const CALL = 0,
  CANCEL = 1,
  VALUE = 0,
  ERROR = 1,
  CANCELLED = 2,
  EXIT = 3;

/**
 * Host → worker: run export `name` with `args`: `[CALL, id, name, args,
 * timeout, context, module]`. `timeout` is the time left until the
 * caller's effective deadline in milliseconds, -1 for none; `context` the
 * transferable context variables as [name, value] pairs, or undefined;
 * `module` the module's URL, or "" for the module of this worker's
 * previous call (a pool's calls all name the same one). Tuples, not
 * objects: a clone writes every key of an object, and a trivial call is
 * mostly clones.
 */
export type Call = [
  kind: typeof CALL,
  id: number,
  name: string,
  args: unknown[],
  timeout: number,
  context: [string, unknown][] | undefined,
  module: string,
];

/**
 * The short forms of the hot path. Measured on Deno 2.9 (2 cores): a
 * structured clone costs ~0.05 µs for a primitive but ~2 µs for any array
 * or object, paid on each side of each message; a trivial round trip is
 * ~17 µs, so two tuples made a pool call 1.7× a raw `postMessage` of a
 * number. So:
 *
 * - a call whose module the worker already has, with no context variables
 *   and no transfer, and whose arguments are all JSON-safe primitives
 *   (finite numbers other than -0, strings, booleans, null) goes as one
 *   string, `JSON.stringify([id, name, timeout, args])` (an `fib(30)`,
 *   a `countPrimes(0, 1e6)`, a `hash(text)`: the common small call);
 * - a result that is a primitive goes back bare: a worker runs one call at
 *   a time, so its caller knows which call it answers.
 *
 * Everything else takes the tuples above, unchanged.
 */
export function shortCall(call: Call): string | undefined {
  if (call[5] !== undefined || call[6] !== "") return undefined;
  const args = call[3];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const type = typeof arg;
    if (type === "number") {
      if (!Number.isFinite(arg) || Object.is(arg, -0)) return undefined;
    } else if (type !== "string" && type !== "boolean" && arg !== null) {
      return undefined;
    }
  }
  return JSON.stringify([call[1], call[2], call[4], args]);
}

/** The call a short form stands for. */
export function longCall(text: string): Call {
  // Read by index: a destructuring with a rest element walks an iterator.
  const short = JSON.parse(text) as [number, string, number, unknown[]];
  return [CALL, short[0], short[1], short[3], short[2], undefined, ""];
}

/**
 * Whether `value` can go back bare (see `shortCall`). Not `undefined`:
 * Deno's worker `postMessage(undefined)` arrives as `null`.
 */
export function isBare(value: unknown): boolean {
  const type = typeof value;
  return value === null ||
    (type !== "object" && type !== "function" && type !== "symbol" &&
      type !== "undefined");
}

/** Host → worker: the caller was cancelled; cancel call `id`'s scope. */
export type Cancel = [kind: typeof CANCEL, id: number, reason: string];

/** Worker → host: how call `id` ended. */
export type Reply =
  | [kind: typeof VALUE, id: number, value: unknown]
  | [kind: typeof ERROR, id: number, error: unknown, wrapped: boolean]
  | [kind: typeof CANCELLED, id: number, source: "caller" | "deadline"]
  | [kind: typeof EXIT, id: -1, code: number];

/** What an `Error` becomes to cross: its own fields, recursively. */
export interface ErrorRecord {
  name: string;
  message: string;
  stack: string | undefined;
  cause?: unknown;
  causeWrapped?: boolean;
  errors?: unknown[];
}

/** The brand of a value returned through `transfer()`. */
export const TRANSFER = Symbol.for("@corral/worker.transfer");

/** A result and the objects to move with it (see `transfer.ts`). */
export interface Transferring {
  [TRANSFER]: true;
  value: unknown;
  list: Transferable[];
}

/** A value wrapped by `transfer()`. */
export function isTransferring(value: unknown): value is Transferring {
  return typeof value === "object" && value !== null &&
    (value as Partial<Transferring>)[TRANSFER] === true;
}

const BUILTIN: Record<string, new (message?: string) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

function field(read: () => unknown): string | undefined {
  try {
    const value = read();
    return value === undefined ? undefined : String(value);
  } catch {
    return undefined;
  }
}

/**
 * An error as a plain record, its `cause` (and an `AggregateError`'s
 * `errors`) recorded the same way, depth-limited. Never throws: a field
 * whose getter throws is left out.
 */
export function recordError(error: unknown, depth = 0): {
  value: unknown;
  wrapped: boolean;
} {
  let isError = false;
  try {
    isError = error instanceof Error;
  } catch {
    // a revoked proxy
  }
  if (!isError || depth > 8) {
    // A thrown non-Error (a string, null) crosses as itself if it can be
    // cloned (rule 16: it is a failure like any other), else as its text.
    try {
      return { value: structuredClone(error), wrapped: false };
    } catch {
      return {
        value: field(() => error) ?? "a value that cannot be cloned",
        wrapped: false,
      };
    }
  }
  const e = error as Error & { errors?: unknown };
  const record: ErrorRecord = {
    name: field(() => e.name) ?? "Error",
    message: field(() => e.message) ?? "",
    stack: field(() => e.stack),
  };
  let hasCause = false;
  try {
    hasCause = "cause" in e;
  } catch {
    // ignore
  }
  if (hasCause) {
    let cause: unknown;
    try {
      cause = e.cause;
    } catch {
      cause = undefined;
    }
    const inner = recordError(cause, depth + 1);
    record.cause = inner.value;
    record.causeWrapped = inner.wrapped;
  }
  try {
    if (Array.isArray(e.errors)) {
      record.errors = e.errors.map((item) => recordError(item, depth + 1));
    }
  } catch {
    // ignore
  }
  return { value: record, wrapped: true };
}

/**
 * The error to throw in the caller for a recorded one: the same class for
 * the built-in ones (else an `Error` with the same `name`), the worker's
 * message and stack, its `cause` revived the same way.
 */
export function reviveError(value: unknown, wrapped: boolean): unknown {
  if (!wrapped) return value;
  const record = value as ErrorRecord;
  const errors = record.errors?.map((item) => {
    const { value, wrapped } = item as { value: unknown; wrapped: boolean };
    return reviveError(value, wrapped);
  });
  const error: Error = errors !== undefined
    ? new AggregateError(errors, record.message)
    : new (BUILTIN[record.name] ?? Error)(record.message);
  if (error.name !== record.name) {
    Object.defineProperty(error, "name", {
      value: record.name,
      writable: true,
      configurable: true,
    });
  }
  if ("cause" in record) {
    Object.defineProperty(error, "cause", {
      value: reviveError(record.cause, record.causeWrapped ?? false),
      writable: true,
      configurable: true,
    });
  }
  if (record.stack !== undefined) {
    Object.defineProperty(error, "stack", {
      value: record.stack,
      writable: true,
      configurable: true,
    });
  }
  return error;
}

/** `worker: work.ts#sum`: a call's scope name, shown by `taskTree()`. */
export function callName(module: string, name: string): string {
  const path = module.split(/[?#]/, 1)[0]!;
  return `worker: ${path.slice(path.lastIndexOf("/") + 1)}#${name}`;
}
