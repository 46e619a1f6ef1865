// Copyright the corral authors. MIT license.
/**
 * `TaskGroupError` and its searches. Two promises hold the file together:
 *
 * - The constructor never throws and costs O(number of direct errors): the
 *   message is built from what each nested `TaskGroupError` already worked
 *   out (its header and its first leaves), never from its message, so it
 *   stays short at any depth (each level once embedded the message
 *   below: 4.8 MB at 100,000 levels) and a 100,000-deep nesting
 *   costs 100,000 small constructions. Every read of a user value is
 *   guarded (rule 19: a failure that could not be described once hung
 *   its group).
 * - `find`, `split` and `flatten` walk the tree with a worklist, never by
 *   recursion, so any depth works.
 *
 * @module
 */

/** How many errors a message names before "and N more". */
const SHOWN = 3;
/** The longest description of one error in a message, in characters. */
const MAX_DESCRIPTION = 160;
/** The longest group name in a message. */
const MAX_NAME = 80;

/**
 * A test for {@linkcode TaskGroupError.find} and
 * {@linkcode TaskGroupError.split}: an error class (matched with
 * `instanceof`), or a predicate called with each leaf error.
 */
export type ErrorMatcher<E = unknown> =
  // deno-lint-ignore no-explicit-any
  | (abstract new (...args: any[]) => E)
  | ((error: unknown) => boolean);

// Set by TaskGroupError's static block: they read its private fields.
let asOwnGroup: (error: unknown) => TaskGroupError | undefined;
let describeChild: (nested: TaskGroupError) => string;

/**
 * What a task group throws when its body or any of its tasks failed: an
 * `AggregateError` holding every error that was not a cancellation, in the
 * order they happened (rule 10 of docs/rules.md).
 *
 * Always wrapped, even for one error (road not taken: "wrap only if more than
 * one" made every `catch` handle two shapes; Trio, AnyIO and asyncio all
 * moved to always wrapping, see Trio's "strict exception groups" history).
 * A failing nested group stays nested as one `TaskGroupError` inside; search
 * through the nesting with {@linkcode TaskGroupError.find},
 * {@linkcode TaskGroupError.split} and {@linkcode TaskGroupError.flatten}
 * (Python's `ExceptionGroup`, PEP 654). Any `AggregateError` inside (such
 * as the one `race()` throws) counts as a group for these searches.
 *
 * The message names the first few errors, each cut short, and describes a
 * nested group by its own first leaves, so it stays short at any depth.
 * Building it never throws, whatever was thrown (an error whose `message`
 * getter throws, a `Symbol` name, `Object.create(null)`).
 *
 * @example Usage
 * ```ts
 * import { taskGroup, TaskGroupError } from "@corral/taskgroup";
 * import assert from "node:assert/strict";
 *
 * const error = await taskGroup((group) => {
 *   group.spawn(() => {
 *     throw new Error("boom");
 *   });
 * }).catch((error) => error);
 * assert.ok(error instanceof TaskGroupError);
 * assert.equal(error.errors[0].message, "boom");
 * ```
 */
export class TaskGroupError extends AggregateError {
  /** The name of the group that failed, `""` for an unnamed one. */
  readonly groupName: string;
  /** `Task group "name" failed with N errors`: this group, without leaves. */
  readonly #header: string;
  /** Descriptions of the first `SHOWN` leaves, through nesting. */
  readonly #leaves: string[];
  /** How many leaves the whole tree holds (nested groups counted by theirs). */
  readonly #leafCount: number;
  /** How many errors this group holds directly. */
  readonly #directCount: number;

  /**
   * Creates the error of a failed group. Never throws.
   *
   * @param errors Every failure, in order.
   * @param groupName The group's name, for the message.
   */
  constructor(errors: unknown[], groupName: string = "") {
    const list = toList(errors);
    const name = safeName(groupName);
    const header = `${name === "" ? "Task group" : `Task group "${name}"`} ` +
      `failed with ${plural(list.length, "error")}`;
    // The first leaves and the leaf count, from what nested groups already
    // know: O(direct errors), whatever the depth. A plain AggregateError
    // counts as one leaf here (its size is unknown without a walk), though
    // find(), split() and flatten() walk into it. Each user value is
    // described once.
    const leaves: string[] = [];
    const shown: string[] = [];
    let leafCount = 0;
    for (const [index, error] of list.entries()) {
      const nested = asOwnGroup(error);
      if (nested === undefined) {
        leafCount++;
        if (leaves.length < SHOWN || index < SHOWN) {
          const description = describeLeaf(error);
          if (leaves.length < SHOWN) leaves.push(description);
          if (index < SHOWN) shown.push(description);
        }
      } else {
        leafCount += nested.#leafCount;
        for (const leaf of nested.#leaves) {
          if (leaves.length < SHOWN) leaves.push(leaf);
        }
        if (index < SHOWN) shown.push(describeChild(nested));
      }
    }
    if (list.length > SHOWN) shown.push(`and ${list.length - SHOWN} more`);
    super(list, shown.length === 0 ? header : `${header}: ${shown.join("; ")}`);
    this.name = "TaskGroupError";
    this.groupName = name;
    this.#header = header;
    this.#leaves = leaves;
    this.#leafCount = leafCount;
    this.#directCount = list.length;
  }

  /**
   * The first leaf error, in order and depth first through any nesting,
   * that matches: an instance of the class, or one the predicate accepts.
   * Nested groups themselves are never returned. Like looking for one
   * exception type in an `ExceptionGroup` with `except*` (PEP 654).
   *
   * @typeParam E The class's instances.
   * @param match An error class, or a predicate called with each leaf.
   * @returns The first match, or `undefined`.
   *
   * @example Find the fatal error three groups deep
   * ```ts
   * import { TaskGroupError } from "@corral/taskgroup";
   * import assert from "node:assert/strict";
   *
   * class FatalError extends Error {}
   * const fatal = new FatalError("disk full");
   * const error = new TaskGroupError([
   *   new Error("timeout"),
   *   new TaskGroupError([new TaskGroupError([fatal], "writers")], "jobs"),
   * ], "crawler");
   * assert.equal(error.find(FatalError), fatal);
   * assert.equal(error.find((e) => e instanceof Error && e.message === "timeout"), error.errors[0]);
   * assert.equal(error.find(RangeError), undefined);
   * ```
   */
  find<E>(match: ErrorMatcher<E>): E | undefined {
    const test = toPredicate("find", match);
    let found: unknown = undefined;
    walkLeaves(this, (leaf) => {
      if (!test(leaf)) return false;
      found = leaf;
      return true;
    });
    return found as E | undefined;
  }

  /**
   * Every leaf error, in order and depth first through any nesting: the
   * errors that were thrown, without the groups that gathered them.
   *
   * @returns The leaves (the very objects thrown, never copies).
   *
   * @example Usage
   * ```ts
   * import { TaskGroupError } from "@corral/taskgroup";
   * import assert from "node:assert/strict";
   *
   * const a = new Error("a"), b = new Error("b"), c = new Error("c");
   * const error = new TaskGroupError([a, new TaskGroupError([b, c], "inner")]);
   * assert.deepEqual(error.flatten(), [a, b, c]);
   * ```
   */
  flatten(): unknown[] {
    const leaves: unknown[] = [];
    walkLeaves(this, (leaf) => {
      leaves.push(leaf);
      return false;
    });
    return leaves;
  }

  /**
   * Splits the tree in two, as `ExceptionGroup.split` does (PEP 654): the
   * leaves that match, and the rest, each in groups of the same shape.
   * Leaves are never copied; a group whose leaves all went one way is
   * reused as it is; a group split between both sides is rebuilt on each
   * (a `TaskGroupError` with the same `groupName`, a plain `AggregateError`
   * with the same message and `cause`), keeping the original `stack`. A
   * side with no leaf is `undefined`. The test looks at leaves only, never
   * at the groups (PEP 654 also offers the groups to the predicate).
   *
   * @param match An error class, or a predicate called with each leaf.
   * @returns `[matching, rest]`, each a `TaskGroupError` or `undefined`.
   *
   * @example Handle the timeouts, rethrow the rest
   * ```ts
   * import { TimeoutError } from "@corral/scope";
   * import { TaskGroupError } from "@corral/taskgroup";
   * import assert from "node:assert/strict";
   *
   * const error = new TaskGroupError([
   *   new TimeoutError("slow mirror"),
   *   new TaskGroupError([new TimeoutError("slow disk"), new Error("bad data")], "inner"),
   * ], "outer");
   * const [timeouts, rest] = error.split(TimeoutError);
   * assert.equal(timeouts?.flatten().length, 2);
   * assert.equal(rest?.flatten().length, 1);
   * assert.ok(rest?.errors[0] instanceof TaskGroupError); // the nesting is kept
   * assert.equal((rest?.errors[0] as TaskGroupError).groupName, "inner");
   * ```
   */
  split(
    match: ErrorMatcher,
  ): [TaskGroupError | undefined, TaskGroupError | undefined] {
    const test = toPredicate("split", match);
    const [matching, rest] = splitTree(this, test);
    return [
      matching as TaskGroupError | undefined,
      rest as TaskGroupError | undefined,
    ];
  }

  /**
   * `group` when it is one of ours (a brand check: no user code runs, not
   * even a Proxy's trap).
   */
  static #own(group: unknown): TaskGroupError | undefined {
    return typeof group === "object" && group !== null && #header in group
      ? group as TaskGroupError
      : undefined;
  }

  /** A nested group as its parent's message shows it: header, first leaves. */
  static #describeChild(nested: TaskGroupError): string {
    const more = nested.#leafCount - nested.#leaves.length;
    const leaves = more > 0
      ? [...nested.#leaves, `and ${more} more`]
      : nested.#leaves;
    const count = nested.#leafCount === nested.#directCount
      ? ""
      : ` (${plural(nested.#leafCount, "leaf error")})`;
    return `TaskGroupError: ${nested.#header}${count}` +
      (leaves.length === 0 ? "" : `: ${leaves.join(", ")}`);
  }

  static {
    asOwnGroup = TaskGroupError.#own;
    describeChild = TaskGroupError.#describeChild;
  }
}

// ---------------------------------------------------------------------------
// Walks (worklists, never recursion)

/**
 * The errors of a group, if `value` is one: any `AggregateError` whose
 * `errors` is an array. Guarded: a hostile value is a leaf.
 */
function childrenOf(value: unknown): readonly unknown[] | undefined {
  try {
    if (!(value instanceof AggregateError)) return undefined;
    const errors: unknown = value.errors;
    return Array.isArray(errors) ? errors : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Calls `visit` on every leaf below `root`, in order, depth first, until it
 * returns true. A group met twice (a cycle a user built by hand) is walked
 * once.
 */
function walkLeaves(root: unknown, visit: (leaf: unknown) => boolean): void {
  const seen = new Set<unknown>([root]);
  // Each entry: a group's errors and the index of the next one to look at.
  const stack: { errors: readonly unknown[]; next: number }[] = [
    { errors: childrenOf(root) ?? [], next: 0 },
  ];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next === top.errors.length) {
      stack.pop();
      continue;
    }
    const error = top.errors[top.next++];
    const children = childrenOf(error);
    if (children === undefined) {
      if (visit(error)) return;
    } else if (!seen.has(error)) {
      seen.add(error);
      stack.push({ errors: children, next: 0 });
    }
  }
}

interface SplitFrame {
  group: AggregateError;
  errors: readonly unknown[];
  next: number;
  matching: unknown[];
  rest: unknown[];
}

/** PEP 654 `split`, bottom up with a worklist. */
function splitTree(
  root: AggregateError,
  test: (leaf: unknown) => boolean,
): [AggregateError | undefined, AggregateError | undefined] {
  const seen = new Set<unknown>([root]);
  const frame = (group: AggregateError, errors: readonly unknown[]) => ({
    group,
    errors,
    next: 0,
    matching: [],
    rest: [],
  });
  const stack: SplitFrame[] = [frame(root, childrenOf(root) ?? [])];
  for (;;) {
    const top = stack[stack.length - 1]!;
    if (top.next < top.errors.length) {
      const error = top.errors[top.next++];
      const children = childrenOf(error);
      if (children !== undefined && !seen.has(error)) {
        seen.add(error);
        stack.push(frame(error as AggregateError, children));
      } else {
        (test(error) ? top.matching : top.rest).push(error);
      }
      continue;
    }
    stack.pop();
    const matching = derive(top, top.matching);
    const rest = derive(top, top.rest);
    const parent = stack[stack.length - 1];
    if (parent === undefined) return [matching, rest];
    if (matching !== undefined) parent.matching.push(matching);
    if (rest !== undefined) parent.rest.push(rest);
  }
}

/** One side of a split group: none, the group itself, or a rebuilt one. */
function derive(
  frame: SplitFrame,
  kept: unknown[],
): AggregateError | undefined {
  if (kept.length === 0) return undefined;
  if (
    kept.length === frame.errors.length &&
    kept.every((error, index) => error === frame.errors[index])
  ) {
    return frame.group;
  }
  const own = asOwnGroup(frame.group);
  let derived: AggregateError;
  if (own !== undefined) {
    derived = new TaskGroupError(kept, own.groupName);
  } else {
    let message = "";
    let cause: unknown = undefined;
    try {
      message = String(frame.group.message);
      cause = frame.group.cause;
    } catch {
      // A hostile group: keep the shape, lose the words.
    }
    derived = new AggregateError(
      kept,
      message,
      cause === undefined ? undefined : { cause },
    );
  }
  try {
    Object.defineProperty(derived, "stack", {
      value: frame.group.stack,
      writable: true,
      configurable: true,
    });
  } catch {
    // Keep the new stack.
  }
  return derived;
}

/** An error class becomes an `instanceof` test; a predicate stays itself. */
function toPredicate(
  method: string,
  match: unknown,
): (leaf: unknown) => boolean {
  if (typeof match !== "function") {
    throw new TypeError(
      `Cannot ${method} in TaskGroupError: 'match' must be an error class or a predicate: current value is ${
        showValue(match)
      }`,
    );
  }
  if (isErrorClass(match)) {
    return (leaf) => {
      try {
        return leaf instanceof match;
      } catch {
        return false; // a Proxy whose prototype cannot be read
      }
    };
  }
  return (leaf) => Boolean(match(leaf));
}

function isErrorClass(fn: unknown): fn is abstract new () => Error {
  if (fn === Error) return true;
  try {
    const prototype = (fn as { prototype?: unknown }).prototype;
    return prototype instanceof Error;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Formatting that never throws (rule 19)

/** The errors as an array; an iterable is copied, anything else is none. */
function toList(errors: unknown): unknown[] {
  if (Array.isArray(errors)) return errors;
  try {
    const iterable = typeof errors === "object" && errors !== null &&
      typeof (errors as Iterable<unknown>)[Symbol.iterator] === "function";
    return iterable ? Array.from(errors as Iterable<unknown>) : [];
  } catch {
    return [];
  }
}

/** `1 error`, `2 errors`. */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** A group name for the message: a string, cut short, never a throw. */
function safeName(name: unknown): string {
  const text = typeof name === "string" ? name : showValue(name);
  return truncate(text, MAX_NAME);
}

/** `Name: message` for an error, `thrown <value>` for anything else. */
function describeLeaf(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error
      ? `${readText(error, "name")}: ${readText(error, "message")}`
      : `thrown ${showValue(error)}`;
  } catch {
    text = `thrown ${fallback(error)}`;
  }
  return truncate(text, MAX_DESCRIPTION);
}

/** A property of an error as text; `<unreadable name>` if reading throws. */
function readText(error: Error, key: "name" | "message"): string {
  try {
    const value: unknown = error[key];
    return typeof value === "string" ? value : showValue(value);
  } catch {
    return `<unreadable ${key}>`;
  }
}

/**
 * A value as a message shows it: strings quoted, functions by name, the
 * rest as `String()`, then `Object.prototype.toString`, then a fixed word.
 */
function showValue(value: unknown): string {
  try {
    if (typeof value === "string") return JSON.stringify(value);
    if (typeof value === "function") {
      const name: unknown = value.name;
      return typeof name === "string" && name !== ""
        ? name
        : "anonymous function";
    }
    return String(value);
  } catch {
    return fallback(value);
  }
}

function fallback(value: unknown): string {
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return "an unprintable value";
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
