// Copyright the corral authors. MIT license.
/**
 * The shape of a context, and what every backend of `_storage.ts` provides.
 * Internal: none of this is for users.
 *
 * A context is a persistent list of frames, one per variable that has a
 * value, the variable run last first. A frame is never changed after it is
 * stored: `Variable.run` stores a new head, and copies only the frames in
 * front of the one it replaces. That makes a `Snapshot` O(1) in the number
 * of variables (it keeps the head), and makes the values immune to code that
 * runs later (TC39 has no `set()`, and neither do we).
 *
 * @module
 */

/**
 * One variable's value, and the frames of the other variables. A list, not
 * a `Map` or an array of pairs: a context holds a handful of variables, and
 * the common `run` (a scope or task inside another, which sets the variable
 * set last) shares the whole rest of the list instead of copying it.
 */
export interface Frame {
  readonly variable: object;
  readonly value: unknown;
  readonly rest: Frame | undefined;
}

/**
 * What `Storage.run` and `Storage.restore` call: always one of our own
 * helpers, given exactly four arguments. A fixed count needs no array of
 * arguments on every scope entry and task spawn.
 */
export type Passed<R> = (a: unknown, b: unknown, c: unknown, d: unknown) => R;

/** What every backend provides. */
export interface Storage {
  /** The value of `variable` in the current context, else `fallback`. */
  find(variable: object, fallback: unknown): unknown;
  /** Calls `fn(a, b, c, d)` with `variable` set to `value`. */
  run<R>(
    variable: object,
    value: unknown,
    fn: Passed<R>,
    a?: unknown,
    b?: unknown,
    c?: unknown,
    d?: unknown,
  ): R;
  /** Every variable's value now, for `restore`; O(1). */
  capture(): Frame | undefined;
  /** Calls `fn(a, b, c, d)` with the variables as `capture` found them. */
  restore<R>(
    frame: Frame | undefined,
    fn: Passed<R>,
    a?: unknown,
    b?: unknown,
    c?: unknown,
    d?: unknown,
  ): R;
}

/** The value of `variable` in the list from `frame`, else `fallback`. */
export function findIn(
  frame: Frame | undefined,
  variable: object,
  fallback: unknown,
): unknown {
  for (; frame !== undefined; frame = frame.rest) {
    if (frame.variable === variable) return frame.value;
  }
  return fallback;
}

/**
 * The list from `frame` without `variable`'s frame: the frames in front of
 * it are copied, the ones after it shared. The list itself if it has none.
 */
export function without(
  frame: Frame | undefined,
  variable: object,
): Frame | undefined {
  let found = frame;
  while (found !== undefined && found.variable !== variable) found = found.rest;
  if (found === undefined) return frame;
  const before: Frame[] = [];
  for (let f = frame!; f !== found; f = f.rest!) before.push(f);
  let list = found.rest;
  for (let i = before.length - 1; i >= 0; i--) {
    list = {
      variable: before[i]!.variable,
      value: before[i]!.value,
      rest: list,
    };
  }
  return list;
}

/** The new head when `variable` is set to `value` in the list from `head`. */
export function push(
  head: Frame | undefined,
  variable: object,
  value: unknown,
): Frame {
  return {
    variable,
    value,
    // Setting the variable set last (a scope in a scope): share the rest.
    rest: head?.variable === variable ? head.rest : without(head, variable),
  };
}
