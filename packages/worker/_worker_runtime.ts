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
  type Cancel,
  isTransferring,
  recordError,
  type Reply,
} from "./_protocol.ts";
import { registry } from "./_registry.ts";

/** Sends a reply to the caller. */
export type Post = (message: Reply, transfer?: Transferable[]) => void;

let post: Post;

/** Gives the module the way to answer; returns the message handler. */
export function connect(send: Post): (message: Call | Cancel) => void {
  post = send;
  return receive;
}

/** The scopes of the calls running here, by id. */
const running = new Map<number, { scope: CancelScope; byCaller: boolean }>();
const modules = new Map<string, Promise<Record<string, unknown>>>();

function receive(message: Call | Cancel): void {
  if (message.t === "cancel") {
    const call = running.get(message.id);
    if (call === undefined) return; // already answered
    call.byCaller = true;
    call.scope.cancel(message.reason);
    return;
  }
  void perform(message);
}

async function perform(call: Call): Promise<void> {
  const scope = new CancelScope({
    name: callName(call.module, call.name),
    ...(call.timeout >= 0 ? { timeout: call.timeout } : {}),
  });
  const entry = { scope, byCaller: false };
  running.set(call.id, entry);
  let reply: Reply;
  let transfer: Transferable[] | undefined;
  try {
    let namespace = modules.get(call.module);
    if (namespace === undefined) {
      namespace = import(call.module) as Promise<Record<string, unknown>>;
      modules.set(call.module, namespace);
    }
    const fn = (await namespace)[call.name];
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot run in worker: export "${call.name}" of ${call.module} is not a function in the worker`,
      );
    }
    let body = () => scope.run(() => fn(...call.args));
    for (const [name, value] of call.context ?? []) {
      const variable = registry.get(name);
      if (variable === undefined) continue; // nobody here can read it
      const inner = body;
      body = () => variable.run(value, inner);
    }
    let value = await body();
    if (scope.cancelCaught) {
      if (entry.byCaller) {
        reply = { t: "cancelled", id: call.id, source: "caller" };
      } else if (scope.reason?.source === "deadline") {
        reply = { t: "cancelled", id: call.id, source: "deadline" };
      } else reply = { t: "value", id: call.id, value: undefined };
    } else {
      if (isTransferring(value)) {
        transfer = value.list;
        value = value.value;
      }
      reply = { t: "value", id: call.id, value };
    }
  } catch (error) {
    const { value, wrapped } = recordError(error);
    reply = { t: "error", id: call.id, error: value, wrapped };
  }
  running.delete(call.id);
  try {
    post(reply, transfer);
  } catch (error) {
    // The result cannot be cloned (a function, a class instance with
    // private state): an error of the call, said plainly.
    const failure = new TypeError(
      `Cannot return from worker: the result of ${call.name}() cannot be cloned`,
      { cause: error },
    );
    const { value, wrapped } = recordError(failure);
    post({ t: "error", id: call.id, error: value, wrapped });
  }
}
