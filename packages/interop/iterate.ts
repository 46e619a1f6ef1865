// Copyright the corral authors. MIT license.
import { type Cancelled, CancelScope, TimeoutError } from "@corral/scope";
import { cancellationOf, currentScope } from "@corral/scope/plumbing";
import { type Outcome, settleOrCancel } from "./_wait.ts";
import { checkDuration, checkOptions, show } from "./_validate.ts";

/** What {@linkcode iterate} and {@linkcode iterateWithTimeout} accept. */
export type IterableSource<T> = AsyncIterable<T> | ReadableStream<T>;

/** Options for {@linkcode iterateWithTimeout}. */
export interface IterateWithTimeoutOptions {
  /**
   * What a wait that outlasts the timeout does: `"moveOn"` ends the
   * iteration as if the source were done (like `moveOnAfter`); `"fail"`
   * throws `TimeoutError` (like `failAfter`). Either way the source is
   * closed. @default {"fail"}
   */
  onTimeout?: "moveOn" | "fail";
}

/** One source, pulled an item at a time and closed once. */
interface Source<T> {
  pull(): Promise<IteratorResult<T>>;
  /**
   * Closes the source. `pending` says a pull is still in flight: an async
   * generator runs `return()` only after it, so it is not awaited then.
   */
  close(reason: unknown, pending: boolean): Promise<void>;
  /** Lets go of the source after it ended by itself. */
  release(): void;
}

const resolved: Promise<void> = Promise.resolve();

/**
 * Iterates an async iterable or a `ReadableStream` under the current scope:
 * each wait for the next item is a checkpoint (rule 2 of docs/rules.md), so a
 * cancelled scope stops the loop even while the source is silent. Like
 * `for await (const x of source)`, plus cancellation.
 *
 * The source is closed (`return()` for an iterator, `cancel()` for a
 * stream) when the scope is cancelled during a wait, and when the loop exits
 * early (`break`, `return`, `throw`). A stream's pending read ends at once;
 * an async generator cannot be interrupted while it awaits, so its
 * `return()` runs when it next yields, and the generator is never resumed
 * past that `yield` (docs/semantics.md case 157). Each `next()` looks at the scope
 * of its caller, so the loop is cancelled with the code that runs it.
 *
 * @typeParam T The items.
 * @param source What to iterate.
 * @returns An async iterator to use in `for await`.
 * @throws {TypeError} If `source` is neither an async iterable nor a
 * `ReadableStream`, or the stream is locked.
 *
 * @example Usage
 * ```ts
 * import { iterate } from "@corral/interop";
 * import { CancelScope } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * let cleanedUp = false;
 * async function* ticks() {
 *   try {
 *     for (let i = 0; ; i++) yield i;
 *   } finally {
 *     cleanedUp = true;
 *   }
 * }
 * const seen: number[] = [];
 * const scope = new CancelScope();
 * await scope.run(async () => {
 *   for await (const tick of iterate(ticks())) {
 *     seen.push(tick);
 *     if (tick === 2) scope.cancel(); // the next wait throws Cancelled
 *   }
 * });
 * assert.deepEqual(seen, [0, 1, 2]);
 * assert.ok(cleanedUp && scope.cancelCaught);
 * ```
 */
export function iterate<T>(
  source: IterableSource<T>,
): AsyncIterableIterator<T> {
  return new ScopedIterator(toSource(source, "iterate"), undefined, "fail");
}

/**
 * Like {@linkcode iterate}, with a timeout on each wait for the next item.
 * The timeout covers only the time the source takes to produce an item,
 * never the consumer's work between items.
 *
 * That is the bug PEP 789 shows in Python: a generator that wraps each
 * `yield await anext(it)` in `timeout()` suspends inside the timeout's
 * scope, so the consumer's work is timed too, and the cancellation lands
 * in the consumer, outside the scope meant to catch it. Here each `next()`
 * runs its own short scope around the wait alone, entered and left within
 * the call (rule 8 of docs/rules.md: no scope is open across a `yield`).
 *
 * An enclosing scope's cancellation during the wait propagates as itself,
 * not as a timeout (rule 9).
 *
 * @typeParam T The items.
 * @param source What to iterate.
 * @param ms The longest wait for one item, in milliseconds.
 * @param options Whether a timeout ends the loop or throws.
 * @returns An async iterator to use in `for await`.
 * @throws {TimeoutError} From the iterator, with `onTimeout: "fail"`, when
 * a wait outlasted `ms` (its `cause` is the `Cancelled` of the deadline).
 * @throws {RangeError} If `ms` is NaN or negative.
 * @throws {TypeError} If `source` is not iterable or `onTimeout` is not
 * `"moveOn"` or `"fail"`.
 *
 * @example A slow consumer does not trip the timeout
 * ```ts
 * import { iterateWithTimeout } from "@corral/interop";
 * import { sleep } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * async function* feed() {
 *   yield "a";
 *   yield "b";
 *   await sleep(1_000); // the source goes quiet
 *   yield "never seen";
 * }
 * const clock = new MockClock({ autojump: true });
 * const seen = await clock.run(async () => {
 *   const seen: string[] = [];
 *   for await (const item of iterateWithTimeout(feed(), 100, { onTimeout: "moveOn" })) {
 *     seen.push(item);
 *     await sleep(500); // slow work between items is not timed
 *   }
 *   return seen;
 * });
 * assert.deepEqual(seen, ["a", "b"]);
 * assert.equal(clock.now(), 1_100); // two items of work, then a 100 ms wait
 * ```
 */
export function iterateWithTimeout<T>(
  source: IterableSource<T>,
  ms: number,
  options?: IterateWithTimeoutOptions,
): AsyncIterableIterator<T> {
  checkOptions("call iterateWithTimeout()", options);
  const onTimeout = options?.onTimeout ?? "fail";
  checkDuration("call iterateWithTimeout()", "ms", ms);
  if (onTimeout !== "moveOn" && onTimeout !== "fail") {
    throw new TypeError(
      `Cannot call iterateWithTimeout(): 'onTimeout' must be "moveOn" or "fail": current value is ${
        show(onTimeout)
      }`,
    );
  }
  return new ScopedIterator(
    toSource(source, "iterateWithTimeout"),
    ms,
    onTimeout,
  );
}

class ScopedIterator<T> implements AsyncIterableIterator<T> {
  readonly #source: Source<T>;
  readonly #timeout: number | undefined;
  readonly #onTimeout: "moveOn" | "fail";
  /** True once the source ended, failed or was closed; never back. */
  #done = false;
  /** True while a `next()` waits on the source. */
  #pulling = false;

  constructor(
    source: Source<T>,
    timeout: number | undefined,
    onTimeout: "moveOn" | "fail",
  ) {
    this.#source = source;
    this.#timeout = timeout;
    this.#onTimeout = onTimeout;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  async next(): Promise<IteratorResult<T>> {
    if (this.#done) return { done: true, value: undefined };
    if (this.#pulling) {
      throw new Error(
        "Cannot call next(): the previous next() has not settled; iterate with for await",
      );
    }
    const scope = currentScope();
    const pending = scope && cancellationOf(scope);
    if (pending !== undefined) {
      this.#done = true;
      await this.#source.close(pending, false);
      throw pending;
    }
    this.#pulling = true;
    let outcome: Outcome<IteratorResult<T>>;
    let itemScope: CancelScope | undefined;
    try {
      if (this.#timeout === undefined) {
        outcome = await settleOrCancel(scope, this.#source.pull());
      } else {
        itemScope = new CancelScope({
          timeout: this.#timeout,
          name: `iterateWithTimeout(${this.#timeout})`,
        });
        outcome = (await itemScope.run((itemScope) =>
          settleOrCancel(itemScope, this.#source.pull())
        ))!;
      }
    } catch (error) {
      outcome = { kind: "error", error }; // pull() threw synchronously
    } finally {
      this.#pulling = false;
    }
    if (outcome.kind === "value") {
      if (outcome.value.done) this.#finish();
      return outcome.value;
    }
    this.#done = true;
    if (outcome.kind === "error") {
      this.#source.release();
      throw outcome.error;
    }
    return await this.#cancelled(outcome.cancelled, scope, itemScope);
  }

  async return(value?: unknown): Promise<IteratorResult<T>> {
    if (!this.#done) {
      this.#done = true;
      await this.#source.close(undefined, this.#pulling);
    }
    return { done: true, value };
  }

  #finish(): void {
    this.#done = true;
    this.#source.release();
  }

  /** A wait was cancelled: close the source, then time out or rethrow. */
  async #cancelled(
    cancelled: Cancelled,
    scope: CancelScope | undefined,
    itemScope: CancelScope | undefined,
  ): Promise<IteratorResult<T>> {
    // Rule 9: a timeout only when the item's own deadline did it; an
    // enclosing scope's cancellation propagates as itself.
    const timedOut = itemScope !== undefined && itemScope.cancelCalled &&
      (scope === undefined ||
        cancellationOf(scope) === undefined);
    // A close error is not lost: it propagates, and the Cancelled (level-
    // triggered) comes back at the next checkpoint anyway.
    await this.#source.close(cancelled, true);
    if (!timedOut) throw cancelled;
    if (this.#onTimeout === "moveOn") return { done: true, value: undefined };
    throw new TimeoutError(
      `No item within ${this.#timeout} ms`,
      { cause: itemScope.reason },
    );
  }
}

function toSource<T>(source: IterableSource<T>, action: string): Source<T> {
  if (isStream<T>(source)) {
    if (source.locked) {
      throw new TypeError(
        `Cannot ${action}: the stream is locked; pass a stream no reader holds`,
      );
    }
    const reader = source.getReader();
    return {
      pull: () => reader.read() as Promise<IteratorResult<T>>,
      async close(reason) {
        // cancel() ends a pending read at once, and cancels the source.
        try {
          await reader.cancel(reason);
        } finally {
          reader.releaseLock();
        }
      },
      release: () => reader.releaseLock(),
    };
  }
  if (
    source === null || typeof source !== "object" ||
    typeof (source as AsyncIterable<T>)[Symbol.asyncIterator] !== "function"
  ) {
    throw new TypeError(
      `Cannot ${action}: 'source' must be an async iterable or a ReadableStream: current value is ${
        show(source)
      }`,
    );
  }
  const iterator = source[Symbol.asyncIterator]();
  return {
    pull: () => iterator.next(),
    close(_reason, pending) {
      if (typeof iterator.return !== "function") return resolved;
      const closed = Promise.resolve(iterator.return());
      if (!pending) return closed.then(() => {});
      // Queued behind the pending next(): waiting could hang for as long
      // as the source stays silent. It runs when the source next yields.
      closed.catch(() => {});
      return resolved;
    },
    release() {},
  };
}

function isStream<T>(source: unknown): source is ReadableStream<T> {
  return typeof ReadableStream === "function" &&
    source instanceof ReadableStream;
}
