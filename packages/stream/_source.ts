// Copyright the corral authors. MIT license.
/**
 * A source of items (a sync or async iterable) as the tasks of a stream
 * read it: waiting for an async source's next item is a checkpoint (a
 * silent source must not hang a cancelled group), and closing it calls its
 * `return()` once.
 *
 * @module
 */
import { waitUnlessCancelled } from "@corral/scope";

/** One open source. */
export interface Source<T> {
  /** True for a sync iterable: `next()` then never waits. */
  readonly sync: boolean;
  /**
   * An array iterated by its built-in iterator: item `i` is `array[i]`
   * while `i < array.length` (read at each step, as that iterator does),
   * so a reader that counts may index it instead of calling `next()`,
   * without a step object per item. The first index past the end ends
   * it, as `next()` would.
   */
  readonly array?: readonly T[];
  /**
   * The next item. Calls are served in order, one at a time, whoever
   * makes them.
   */
  next(): Promise<IteratorResult<T>> | IteratorResult<T>;
  /**
   * Ends the source early (its `return()`): awaited unless a `next()` we
   * gave up on is still pending, since an async generator runs `return()`
   * only after it, which may be never.
   */
  close(): Promise<void> | undefined;
}

function ignore(): void {}

// The built-ins an array's iteration goes through, as this module found
// them: an array whose iterator is these reads exactly as indexing does.
const arrayValues = Array.prototype[Symbol.iterator];
const arrayIteratorPrototype = Object.getPrototypeOf(
  [][Symbol.iterator](),
) as { next: unknown };
const arrayIteratorNext = arrayIteratorPrototype.next;

/** Opens `source`, checked before by `checkSource`. */
export function openSource<T>(
  source: Iterable<T> | AsyncIterable<T>,
  kind: "sync" | "async",
): Source<T> {
  let done = false;
  if (kind === "sync") {
    if (
      Array.isArray(source) &&
      (source as unknown[])[Symbol.iterator] === arrayValues &&
      arrayIteratorPrototype.next === arrayIteratorNext
    ) {
      const array = source as T[];
      let index = 0;
      return {
        sync: true,
        array,
        next() {
          if (done || index >= array.length) {
            done = true;
            return { done: true, value: undefined };
          }
          return { done: false, value: array[index++]! };
        },
        close: () => (done = true, undefined),
      };
    }
    const iterator = (source as Iterable<T>)[Symbol.iterator]();
    return {
      sync: true,
      next() {
        if (done) return { done: true, value: undefined };
        const step = iterator.next();
        if (step.done) done = true;
        return step;
      },
      close() {
        if (done) return undefined;
        done = true;
        iterator.return?.();
        return undefined;
      },
    };
  }
  const iterator = (source as AsyncIterable<T>)[Symbol.asyncIterator]();
  let pending = 0;
  let chain: Promise<unknown> = Promise.resolve();
  const pull = async (): Promise<IteratorResult<T>> => {
    if (done) return { done: true, value: undefined };
    const step = await iterator.next();
    if (step.done) done = true;
    return step;
  };
  return {
    sync: false,
    next() {
      pending++;
      const step = chain.then(pull);
      chain = step.then(ignore, ignore);
      step.then(() => pending--, () => pending--);
      return waitUnlessCancelled(step);
    },
    close() {
      if (done) return undefined;
      done = true;
      const closing = Promise.resolve(iterator.return?.());
      if (pending === 0) return closing.then(ignore);
      closing.catch(ignore);
      return undefined;
    },
  };
}
