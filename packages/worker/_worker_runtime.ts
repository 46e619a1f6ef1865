// Copyright the corral authors. MIT license.
/**
 * What runs a call in the worker, loaded by `_bootstrap.ts` once its
 * message handler is in place (see there why). Each call runs inside a
 * `CancelScope` of its own, named like the caller's
 * (`worker: module#export`), with the caller's remaining time as its
 * timeout and the caller's transferable context variables set. A `Cancel`
 * cancels that scope, so the export's checkpoints throw and its `finally`
 * blocks run.
 *
 * @module
 */
import { CancelScope } from "@corral/scope";
import {
  type Call,
  callName,
  CANCEL,
  type Cancel,
  CANCELLED,
  ERROR,
  isBare,
  isTransferring,
  longCall,
  recordError,
  type Reply,
  VALUE,
} from "./_protocol.ts";
import { registry } from "./_registry.ts";

/** Sends a reply to the caller. */
export type Post = (message: Reply, transfer?: Transferable[]) => void;

let post: Post;

/** Gives the module the way to answer; returns the message handler. */
export function connect(
  send: Post,
): (message: Call | Cancel | string) => void {
  post = send;
  return receive;
}

/**
 * The scopes of the calls running here, by id. A host sends a worker one
 * call at a time, so it is one slot, plus a map for calls that would
 * overlap it: a `Map` whose keys come and go at every call rehashes now
 * and then, and that was 5% of a trivial call.
 */
let runningId = -1;
let runningScope: CancelScope | undefined;
const overlapping = new Map<number, CancelScope>();

const running = {
  get(id: number): CancelScope | undefined {
    return id === runningId ? runningScope : overlapping.get(id);
  },
  set(id: number, scope: CancelScope): void {
    if (runningScope === undefined) {
      runningId = id;
      runningScope = scope;
    } else overlapping.set(id, scope);
  },
  delete(id: number): void {
    if (id === runningId) {
      runningId = -1;
      runningScope = undefined;
    } else if (overlapping.size !== 0) overlapping.delete(id);
  },
};
/** The ids of those among them that their caller cancelled. */
const cancelledByCaller = new Set<number>();
/** Modules being imported, then imported (the hot path reads `loaded`). */
const loading = new Map<string, Promise<Record<string, unknown>>>();
const loaded = new Map<string, Record<string, unknown>>();
/**
 * Scope names by export, for the module `namesOf` (`worker: work.ts#sum`),
 * as the options of a call scope with no deadline, made once.
 */
const names = new Map<string, { name: string }>();
let namesOf = "";
/** The module of the previous call: a call naming "" means this one. */
let lastModule = "";

function receive(message: Call | Cancel | string): void {
  if (typeof message === "string") {
    // The short form (see `shortCall`): the module of the previous call,
    // no context. Read by index; no `Call` tuple is made for it.
    const short = JSON.parse(message) as [number, string, number, unknown[]];
    const namespace = loaded.get(lastModule);
    if (namespace !== undefined) {
      perform(
        short[0],
        short[1],
        short[3],
        short[2],
        undefined,
        lastModule,
        namespace,
      );
      return;
    }
    message = longCall(message);
  }
  if (message[0] === CANCEL) {
    const scope = running.get(message[1]);
    if (scope === undefined) return; // already answered
    cancelledByCaller.add(message[1]);
    scope.cancel(message[2]);
    return;
  }
  if (message[6] !== "") lastModule = message[6];
  const module = lastModule;
  const [, id, name, args, timeout, context] = message;
  const namespace = loaded.get(module);
  if (namespace !== undefined) {
    perform(id, name, args, timeout, context, module, namespace);
    return;
  }
  let promise = loading.get(module);
  if (promise === undefined) {
    promise = import(module).then((namespace: Record<string, unknown>) => {
      loaded.set(module, namespace);
      return namespace;
    });
    loading.set(module, promise);
  }
  promise.then(
    (namespace) => perform(id, name, args, timeout, context, module, namespace),
    (error: unknown) => answer(id, name, [ERROR, id, ...wrap(error)]),
  );
}

function perform(
  id: number,
  name: string,
  args: unknown[],
  timeout: number,
  context: Call[5],
  module: string,
  namespace: Record<string, unknown>,
): void {
  if (module !== namesOf) {
    names.clear();
    namesOf = module;
  }
  let named = names.get(name);
  if (named === undefined) {
    named = { name: callName(module, name) };
    names.set(name, named);
  }
  const scope = new CancelScope(
    timeout >= 0 ? { name: named.name, timeout } : named,
  );
  running.set(id, scope);
  let result: Promise<unknown>;
  try {
    const fn = namespace[name];
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot run in worker: export "${name}" of ${module} is not a function in the worker`,
      );
    }
    if (context === undefined) {
      let answered = false;
      result = scope.run(() => {
        const value = fn(...args);
        // The hot path: a primitive returned at once is the answer (it
        // threw nothing, so the scope's exit cannot turn it into a
        // cancellation): it goes back now, bare, and the scope's exit
        // runs while the caller already reads it. No async frame waits
        // for that exit (on Node each promise and await also runs
        // AsyncLocalStorage's hooks).
        if (isBare(value)) {
          answered = true;
          running.delete(id);
          answerBare(id, name, value);
        }
        return value;
      });
      if (answered) {
        if (cancelledByCaller.size !== 0) cancelledByCaller.delete(id);
        return;
      }
    } else {
      let body = () => scope.run(() => fn(...args));
      for (const [key, value] of context) {
        const variable = registry.get(key);
        if (variable === undefined) continue; // nobody here can read it
        const inner = body;
        body = () => variable.run(value, inner);
      }
      result = body();
    }
  } catch (error) {
    running.delete(id);
    if (cancelledByCaller.size !== 0) cancelledByCaller.delete(id);
    answer(id, name, [ERROR, id, ...wrap(error)]);
    return;
  }
  void finish(id, name, scope, result);
}

/** Waits for the call's scope to exit, then answers (unless it did). */
async function finish(
  id: number,
  name: string,
  scope: CancelScope,
  result: Promise<unknown>,
): Promise<void> {
  let reply: Reply;
  let transfer: Transferable[] | undefined;
  try {
    let value = await result;
    // Answered from inside the scope already (see `perform`).
    if (running.get(id) !== scope) return;
    if (scope.cancelCaught) {
      if (cancelledByCaller.has(id)) reply = [CANCELLED, id, "caller"];
      else if (scope.reason?.source === "deadline") {
        reply = [CANCELLED, id, "deadline"];
      } else reply = [VALUE, id, undefined];
    } else {
      if (isTransferring(value)) {
        transfer = value.list;
        value = value.value;
      } else if (isBare(value)) {
        // A primitive goes back bare, no tuple made.
        running.delete(id);
        if (cancelledByCaller.size !== 0) cancelledByCaller.delete(id);
        answerBare(id, name, value);
        return;
      }
      reply = [VALUE, id, value];
    }
  } catch (error) {
    reply = [ERROR, id, ...wrap(error)];
  }
  running.delete(id);
  if (cancelledByCaller.size !== 0) cancelledByCaller.delete(id);
  answer(id, name, reply, transfer);
}

function wrap(error: unknown): [unknown, boolean] {
  const { value, wrapped } = recordError(error);
  return [value, wrapped];
}

function answerBare(id: number, name: string, value: unknown): void {
  try {
    post(value as never);
  } catch (error) {
    cannotReturn(id, name, error);
  }
}

function answer(
  id: number,
  name: string,
  reply: Reply,
  transfer?: Transferable[],
): void {
  try {
    if (reply[0] === VALUE && transfer === undefined && isBare(reply[2])) {
      post(reply[2] as never);
    } else post(reply, transfer);
  } catch (error) {
    cannotReturn(id, name, error);
  }
}

/**
 * The result cannot be cloned (a function, a class instance with private
 * state): an error of the call, said plainly.
 */
function cannotReturn(id: number, name: string, error: unknown): void {
  const failure = new TypeError(
    `Cannot return from worker: the result of ${name}() cannot be cloned`,
    { cause: error },
  );
  post([ERROR, id, ...wrap(failure)]);
}
