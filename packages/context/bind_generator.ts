// Copyright the corral authors. MIT license.
import { Snapshot } from "./snapshot.ts";
import { checkFunction } from "./_check.ts";

/**
 * Returns a generator function whose generators see, on every resume, the
 * context of the moment they were created, as TC39 `AsyncContext` specifies
 * for generators (`GeneratorStart` captures the context; test262
 * `context-propagation/generators.js`).
 *
 * Without it, a generator body sees the context of whoever calls `next()`:
 * that is what `AsyncLocalStorage` gives on Deno, Node and Bun (and on Deno a
 * plain async generator resumed for a `next()` call made while its body was
 * still running sees the empty context). Both behaviours are tested in
 * `bind_generator_test.ts`. Works for sync and async generator
 * functions; the result is iterable like the original generator.
 *
 * @typeParam F The generator function type.
 * @param generatorFunction A sync or async generator function.
 * @returns A function with the same signature whose generators resume in
 * their creation context.
 * @throws {TypeError} If `generatorFunction` is not a function.
 *
 * @example Usage
 * ```ts
 * import { bindGenerator, Variable } from "@corral/context";
 * import assert from "node:assert/strict";
 *
 * const user = new Variable<string>();
 * const names = bindGenerator(function* () {
 *   yield user.get();
 *   yield user.get();
 * });
 * const iterator = user.run("ada", () => names());
 * assert.equal(iterator.next().value, "ada");
 * assert.equal(user.run("bob", () => iterator.next().value), "ada");
 * ```
 */
export function bindGenerator<
  // Inline, not a private alias, so that `deno doc --lint` sees it. `TNext` is
  // `unknown`, not `never`: an inline `function* () {}` takes its `TNext` from
  // this constraint, and with `never` its generators could not be used with
  // `for...of`, spread or `yield*` (TS2763).
  F extends (
    ...args: never[]
  ) =>
    | Generator<unknown, unknown, unknown>
    | AsyncGenerator<unknown, unknown, unknown>,
>(
  generatorFunction: F,
): F {
  checkFunction("bind generator", generatorFunction);
  function bound(this: unknown, ...args: unknown[]) {
    const snapshot = new Snapshot();
    const generator = Reflect.apply(generatorFunction, this, args) as
      | Generator
      | AsyncGenerator;
    return Symbol.asyncIterator in generator
      ? new BoundAsyncGenerator(generator as AsyncGenerator, snapshot)
      : new BoundGenerator(generator as Generator, snapshot);
  }
  Object.defineProperty(bound, "name", {
    value: `bound ${generatorFunction.name}`,
  });
  return bound as unknown as F;
}

// Each resume (`next`, `return`, `throw`) enters the creation snapshot. For an
// async generator that is enough too, provided the generator has no other
// request pending (see `BoundAsyncGenerator.#resume`): the body runs
// synchronously inside `snapshot.run` up to its first `await`, and every
// continuation after an `await` keeps the context that was current when it
// suspended.
class BoundGenerator<T, R, N> {
  #generator: Generator<T, R, N>;
  #snapshot: Snapshot;
  constructor(generator: Generator<T, R, N>, snapshot: Snapshot) {
    this.#generator = generator;
    this.#snapshot = snapshot;
  }
  next(...args: [] | [N]): IteratorResult<T, R> {
    return this.#snapshot.run(() => this.#generator.next(...args));
  }
  return(value: R): IteratorResult<T, R> {
    return this.#snapshot.run(() => this.#generator.return(value));
  }
  throw(error: unknown): IteratorResult<T, R> {
    return this.#snapshot.run(() => this.#generator.throw(error));
  }
  [Symbol.iterator](): this {
    return this;
  }
  [Symbol.dispose](): void {
    this.return(undefined as R);
  }
  get [Symbol.toStringTag](): string {
    return "Generator";
  }
}

class BoundAsyncGenerator<T, R, N> {
  #generator: AsyncGenerator<T, R, N>;
  #snapshot: Snapshot;
  // Settles after the last request made so far has settled; `undefined` when
  // no request is pending. Written only by `#resume`.
  #pending: Promise<void> | undefined;
  constructor(generator: AsyncGenerator<T, R, N>, snapshot: Snapshot) {
    this.#generator = generator;
    this.#snapshot = snapshot;
  }
  next(...args: [] | [N]): Promise<IteratorResult<T, R>> {
    return this.#resume(() => this.#generator.next(...args));
  }
  return(value: R | PromiseLike<R>): Promise<IteratorResult<T, R>> {
    return this.#resume(() => this.#generator.return(value));
  }
  throw(error: unknown): Promise<IteratorResult<T, R>> {
    return this.#resume(() => this.#generator.throw(error));
  }
  // Hands the generator one request at a time. A request made while another
  // is pending (`Promise.all([g.next(), g.next()])`) would wait in the
  // generator's own queue, and Deno resumes the body for a queued request in
  // the empty context, outside our `snapshot.run` (Node 20 resumes it in the
  // context of the previous resume). So it waits here instead and enters the
  // snapshot when its turn comes; requests keep their order. The promise we
  // return is a fresh one that nothing else listens to, so a rejection the
  // caller ignores is still reported as unhandled, as for any generator.
  #resume(
    step: () => Promise<IteratorResult<T, R>>,
  ): Promise<IteratorResult<T, R>> {
    const previous = this.#pending;
    // Not `Promise.withResolvers`: Node 20 lacks it.
    let resolve!: () => void;
    const settled = new Promise<void>((settle) => resolve = settle);
    this.#pending = settled;
    const finish = () => {
      if (this.#pending === settled) this.#pending = undefined;
      resolve();
    };
    const start = () => this.#snapshot.run(step);
    const result = previous === undefined ? start() : previous.then(start);
    return result.then(
      (value) => {
        finish();
        return value;
      },
      (error) => {
        finish();
        throw error;
      },
    );
  }
  [Symbol.asyncIterator](): this {
    return this;
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return(undefined as R);
  }
  get [Symbol.toStringTag](): string {
    return "AsyncGenerator";
  }
}

// Inherit what the built-in iterator prototypes carry (the iterator helpers
// `map`, `filter`, ... where the runtime has them), as a real generator does.
Object.setPrototypeOf(
  BoundGenerator.prototype,
  Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())),
);
Object.setPrototypeOf(
  BoundAsyncGenerator.prototype,
  Object.getPrototypeOf(
    Object.getPrototypeOf((async function* () {}).prototype),
  ),
);
