// Copyright the corral authors. MIT license.

/**
 * Whether the stack has room for a scope's exit and a group's settle (a
 * few dozen frames; a thousand are asked for, to spare). A body that
 * overflowed the stack throws its `RangeError` right at its end, so code
 * that has just caught a synchronous throw asks this before doing its
 * bookkeeping there, and moves to a fresh stack when the answer is no
 * (rule 19). A probe of a thousand calls costs microseconds: ask it only
 * on a path that is already slow, such as a failure.
 */
export function hasHeadroom(): boolean {
  try {
    return probe(HEADROOM) === HEADROOM;
  } catch {
    return false;
  }
}

const HEADROOM = 1_000;

function probe(depth: number): number {
  return depth === 0 ? 0 : probe(depth - 1) + 1;
}
