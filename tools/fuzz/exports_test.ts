// Copyright the corral authors. MIT license.
/**
 * The "bad input gets a clear error" contract, fuzzed over every export of
 * every entry point of every package (each `packages/x/deno.json`'s
 * `exports`): fast-check calls each function and constructor with hostile
 * arguments (null, NaN, Symbols, `Object.create(null)`, revoked Proxies,
 * objects whose getters throw, promises where functions go, generator
 * functions) and checks that each call either works or fails with a clear
 * error: a `TypeError`, `RangeError` or `Error` whose message names the
 * call ("Cannot ..."), never an engine message ("Cannot read properties of
 * null", "is not a function"), never a hang, never an unhandled rejection.
 *
 * Every call runs on a `MockClock` with autojump inside a `moveOnAfter`, so
 * a call that waits (a sleep, a channel) ends in virtual time; a call still
 * pending after a real second is a hang.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { moveOnAfter } from "@corral/scope";
import { MockClock } from "@corral/scope/testing";
import { taskGroup } from "@corral/taskgroup";

/**
 * Exports that take over the process or the network when called with
 * arguments that happen to be valid: `main` exits the process, `serve`
 * listens on a port. Their bad-input cases are tested beside them.
 */
const SKIP = new Set(["main", "serve"]);

/** An engine message leaking through: the call did not check its input. */
const INTERNAL =
  /Cannot read propert|Cannot convert|is not a function|is not iterable|is not a constructor|Cannot destructure|Cannot set propert|Cannot create property|Maximum call stack|undefined is not|null is not|Cannot use 'in' operator|Invalid array length|Cannot mix BigInt/;

/** What a user-supplied callback throws, so it is told apart from ours. */
class UserError extends Error {
  override name = "UserError";
}

/** Entry points that failed to load: each is a problem of its own. */
const unimportable: string[] = [];

interface Entry {
  where: string;
  name: string;
  value: unknown;
}

async function entries(): Promise<Entry[]> {
  const found: Entry[] = [];
  const root = new URL("../../packages/", import.meta.url);
  for await (const dir of Deno.readDir(root)) {
    if (!dir.isDirectory) continue;
    const base = new URL(`${dir.name}/`, root);
    let config: { exports?: string | Record<string, string> };
    try {
      config = JSON.parse(await Deno.readTextFile(new URL("deno.json", base)));
    } catch {
      continue;
    }
    const exports = typeof config.exports === "string"
      ? { ".": config.exports }
      : config.exports ?? {};
    for (const [subpath, file] of Object.entries(exports)) {
      // The plumbing is for the sibling packages, which pass it valid
      // scopes; it checks nothing, to stay off the hot paths.
      if (subpath === "./plumbing") continue;
      const module = await import(new URL(file, base).href).catch((error) => {
        unimportable.push(`@corral/${dir.name}${subpath.slice(1)}: ${error}`);
        return {};
      });
      const where = `@corral/${dir.name}${subpath.slice(1)}`;
      for (const [name, value] of Object.entries(module)) {
        if (SKIP.has(name) || typeof value !== "function") continue;
        found.push({ where, name, value });
        if (isClass(value)) found.push(...methodsOf(where, name, value));
      }
    }
  }
  return found;
}

/**
 * The methods of a class whose instances can be made with no arguments,
 * each bound to a fresh instance per call. A `TaskGroup` is made running,
 * inside `taskGroup()`, since only a running group takes tasks.
 */
function methodsOf(where: string, name: string, cls: unknown): Entry[] {
  const Class = cls as new () => object;
  const prototype = Class.prototype as Record<string, unknown>;
  const methods: Entry[] = [];
  for (const key of Object.getOwnPropertyNames(prototype)) {
    const descriptor = Object.getOwnPropertyDescriptor(prototype, key)!;
    if (key === "constructor" || typeof descriptor.value !== "function") {
      continue;
    }
    const method = descriptor.value as (...args: unknown[]) => unknown;
    const call = name === "TaskGroup"
      ? (...args: unknown[]) =>
        // The body awaits what the method returns (start()'s promise), as
        // a caller would: a promise dropped on the floor is the caller's.
        taskGroup(async (group) => await method.apply(group, args))
      : (...args: unknown[]) => method.apply(new Class(), args);
    try {
      if (name !== "TaskGroup") new Class();
    } catch {
      continue; // needs arguments: its constructor is fuzzed instead
    }
    methods.push({ where, name: `${name}.prototype.${key}`, value: call });
  }
  return methods;
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

const throwingGetters = () =>
  new Proxy({}, {
    get() {
      throw new UserError("getter");
    },
  });

/** Arguments no one should pass, and a few that are fine. */
const hostile = fc.oneof(
  fc.constantFrom<() => unknown>(
    () => undefined,
    () => null,
    () => NaN,
    () => -1,
    () => 0,
    () => 1.5,
    () => Infinity,
    () => 2n,
    () => "",
    () => "x",
    () => Symbol("s"),
    () => true,
    () => ({}),
    () => [],
    () => [() => 1],
    () => Object.create(null),
    () => ({ name: Symbol("n") }),
    () => ({ name: Object.create(null) }),
    () => ({ limit: "2", timeout: -1, deadline: NaN, shield: "yes" }),
    revokedProxy,
    throwingGetters,
    () => {
      const promise = Promise.reject(
        new UserError("a promise, not a function"),
      );
      return promise;
    },
    () => () => 1,
    () => async () => await Promise.resolve(2),
    () => () => {
      throw new UserError("callback");
    },
    () => function* () {},
    () => async function* () {},
    () => new AbortController().signal,
    () => new EventTarget(),
  ),
).map((make) => make);

function isClass(fn: unknown): boolean {
  return typeof fn === "function" &&
    /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/** Why an outcome breaks the contract, or `undefined` if it is fine. */
function verdict(error: unknown): string | undefined {
  if (error instanceof UserError) return undefined;
  if (!(error instanceof Error)) return `threw a non-Error ${String(error)}`;
  if (INTERNAL.test(error.message)) {
    return `engine message: ${error.name}: ${error.message}`;
  }
  // Errors that are outcomes of work, not of bad input.
  if (
    ["Cancelled", "TimeoutError", "TaskGroupError", "AggregateError"]
      .includes(error.name) || error instanceof AggregateError
  ) return undefined;
  if (
    !/^Cannot [^:]+/.test(error.message) && !/^[A-Z][a-z]+ /.test(error.message)
  ) {
    return `unclear message: ${error.name}: ${error.message}`;
  }
  return undefined;
}

Deno.test("every export of every package: hostile arguments get a clear error or work; never a hang, an engine message or an unhandled rejection", async () => {
  const all = await entries();
  assert.ok(all.length > 20, `found ${all.length} exports`);
  const unhandled: unknown[] = [];
  const onUnhandled = (event: PromiseRejectionEvent) => {
    if (!(event.reason instanceof UserError)) unhandled.push(event.reason);
    event.preventDefault();
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  const problems: string[] = [];
  try {
    for (const { where, name, value } of all) {
      if (Deno.env.get("FUZZ_TRACE")) console.error(where, name);
      await fc.assert(
        fc.asyncProperty(
          fc.array(hostile, { maxLength: 3 }),
          async (makers) => {
            const args = makers.map((make) => make());
            const call = `${where} ${name}(${
              args.map(describeArg).join(", ")
            })`;
            const problem = await attempt(
              value as (...args: unknown[]) => unknown,
              args,
            );
            if (problem !== undefined) problems.push(`${call}: ${problem}`);
            return true;
          },
        ),
        { numRuns: Number(Deno.env.get("FUZZ_RUNS") ?? 60), seed: 42 },
      );
    }
    // Let late rejections surface.
    await new Promise((resolve) => setTimeout(resolve, 5));
  } finally {
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
  }
  const unique = [...new Set([...unimportable, ...problems])];
  assert.deepEqual(unique.slice(0, 40), [], `${unique.length} problems`);
  assert.deepEqual(unhandled, []);
});

function describeArg(arg: unknown): string {
  try {
    if (typeof arg === "function") return `fn ${arg.name || "anonymous"}`;
    if (typeof arg === "symbol") return arg.toString();
    if (typeof arg === "bigint") return `${arg}n`;
    if (arg instanceof Promise) return "a promise";
    if (typeof arg === "object" && arg !== null) {
      return Object.getPrototypeOf(arg) === null
        ? "Object.create(null)"
        : Object.prototype.toString.call(arg);
    }
    return String(arg);
  } catch {
    return "a revoked proxy";
  }
}

/** Calls `fn` with `args` under a mock clock; returns a problem, if any. */
async function attempt(
  fn: (...args: unknown[]) => unknown,
  args: unknown[],
): Promise<string | undefined> {
  const clock = new MockClock({ autojump: true });
  let outcome: Promise<unknown>;
  try {
    outcome = clock.run(() =>
      moveOnAfter(60_000, async () => {
        const result = isClass(fn) ? Reflect.construct(fn, args) : fn(...args);
        if (result instanceof Promise) return await result;
        if (
          result !== null && typeof result === "object" &&
          typeof (result as AsyncIterator<unknown>).next === "function"
        ) {
          // An iterator: take one step, then close it.
          const iterator = result as AsyncIterator<unknown>;
          await iterator.next();
          await iterator.return?.();
        }
        return result;
      })
    );
  } catch (error) {
    return verdict(error);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<"hang">((resolve) => {
    timer = setTimeout(() => resolve("hang"), 1_000);
  });
  try {
    const settled = await Promise.race([
      outcome.then(() => "ok", (error) => ({ error })),
      hang,
    ]);
    if (settled === "hang") return "still pending after a real second";
    if (typeof settled === "object") return verdict(settled.error);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
