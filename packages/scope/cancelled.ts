// Copyright the corral authors. MIT license.
import { checkOptions, describe, show, text } from "./_validate.ts";

/**
 * What cancelled a scope (rule 5 of docs/rules.md): its own `cancel()`, its deadline,
 * or a task group that cancelled its children because one of them failed.
 */
export type CancelSource = "explicit" | "deadline" | "group";

/** Options for {@linkcode Cancelled}. */
export interface CancelledOptions {
  /** What caused the cancellation. @default {"explicit"} */
  source?: CancelSource;
  /** The reason given to `cancel(reason)`, if any. @default {undefined} */
  reason?: unknown;
  /** The name of the scope that was cancelled. @default {""} */
  scopeName?: string;
}

/**
 * Thrown at a checkpoint inside a cancelled scope, and absorbed by the scope
 * that owns the cancellation (rule 3 of docs/rules.md). Like an `AbortSignal`'s
 * `reason`, but level-triggered: every checkpoint in the scope throws it
 * again until control leaves the scope, so a `catch` that swallows one cannot
 * keep the code running. Rethrow it when you catch it.
 *
 * A scope's `signal.reason` is this same object, so `fetch(url, { signal })`
 * rejects with it and the owning scope recognises it.
 *
 * @example Usage
 * ```ts
 * import { CancelScope, Cancelled, checkpoint } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * const scope = new CancelScope({ name: "job" });
 * await scope.run(async () => {
 *   scope.cancel("user pressed stop");
 *   try {
 *     await checkpoint();
 *   } catch (error) {
 *     assert.ok(error instanceof Cancelled);
 *     assert.equal(error.reason, "user pressed stop");
 *     throw error;
 *   }
 * });
 * assert.ok(scope.cancelCaught);
 * ```
 */
export class Cancelled extends Error {
  /** What caused the cancellation. */
  readonly source: CancelSource;
  /** The reason given to `cancel(reason)`, or `undefined`. */
  readonly reason: unknown;

  /**
   * Creates a cancellation. Scopes make these; user code rarely needs to.
   *
   * @param options The source, the reason and the scope's name.
   */
  constructor(options?: CancelledOptions) {
    checkOptions("create Cancelled", options);
    const source = options?.source ?? "explicit";
    if (source !== "explicit" && source !== "deadline" && source !== "group") {
      throw new TypeError(
        `Cannot create Cancelled: 'source' must be "explicit", "deadline" or "group": current value is ${
          show(source)
        }`,
      );
    }
    const scopeName = options?.scopeName === undefined
      ? ""
      : text(options.scopeName);
    const scope = scopeName ? ` "${scopeName}"` : "";
    const cause = source === "deadline"
      ? "by its deadline"
      : source === "group"
      ? "by its task group"
      : "explicitly";
    const reason = options?.reason;
    const why = reason === undefined ? "" : `: ${describeReason(reason)}`;
    super(`Scope${scope} was cancelled ${cause}${why}`);
    this.name = "Cancelled";
    this.source = source;
    this.reason = reason;
  }

  /**
   * `value instanceof Cancelled`, which never throws: the default check
   * reads the prototype chain, and a revoked Proxy throws there. Every
   * scope's exit asks it of whatever the body threw (rule 19).
   *
   * @param value Anything.
   * @returns Whether `value` is a `Cancelled`.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    try {
      return Function.prototype[Symbol.hasInstance].call(this, value);
    } catch {
      return false;
    }
  }
}

/**
 * Thrown by `failAfter` and `failAt` when their deadline passed. Its `cause`
 * is the `Cancelled` the deadline raised inside.
 *
 * @example Usage
 * ```ts
 * import { failAfter, sleep, TimeoutError } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * await assert.rejects(
 *   clock.run(() => failAfter(1_000, () => sleep(5_000))),
 *   TimeoutError,
 * );
 * ```
 */
export class TimeoutError extends Error {
  /**
   * Creates a timeout error.
   *
   * @param message What timed out.
   * @param options `cause`: the `Cancelled` raised by the deadline.
   */
  constructor(message?: string, options?: ErrorOptions) {
    if (message !== undefined && typeof message !== "string") {
      throw new TypeError(
        `Cannot create TimeoutError: 'message' must be a string: current value is ${
          show(message)
        }`,
      );
    }
    checkOptions("create TimeoutError", options);
    super(message ?? "Deadline exceeded", options);
    this.name = "TimeoutError";
  }
}

/**
 * The reason as text for the message. Never throws (rule 19): a reason is a
 * user value, and `cancel(reason)` must cancel whatever it is.
 */
function describeReason(reason: unknown): string {
  try {
    if (typeof reason === "string") return reason;
    if (reason instanceof Error) return describe(reason);
    if (typeof reason === "object" && reason !== null) {
      const json = JSON.stringify(reason);
      if (json !== undefined) return json;
    }
  } catch {
    // A cycle, a BigInt, a throwing getter or toJSON, a revoked Proxy.
  }
  return text(reason);
}
