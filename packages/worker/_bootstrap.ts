// Copyright the corral authors. MIT license.
/**
 * The module every worker of this package starts with (the worker's side;
 * read with `_protocol.ts`, `_worker_runtime.ts` and `_host.ts`).
 *
 * It has no static imports, on purpose: its message handler must be in
 * place before anything with a top-level `await` is evaluated. Deno drops
 * the messages that reach a module worker before its first handler, and
 * `@corral/context` awaits a probe of the runtime at its top level, so a
 * bootstrap that imported it statically lost the first call now and then
 * (the worker started, and never answered). Messages that arrive while
 * `_worker_runtime.ts` loads wait in a queue here. On Node, `parentPort`
 * keeps them until a listener is attached.
 *
 * @module
 */
import type { Post } from "./_worker_runtime.ts";
import type { Call, Cancel, Reply } from "./_protocol.ts";

interface NodePort {
  on(event: "message", fn: (data: Call | Cancel) => void): void;
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
}

const web = typeof (globalThis as { postMessage?: unknown }).postMessage ===
  "function";
let post: Post;
/** The runtime's handler, once loaded. */
const ready: { receive?: (message: Call | Cancel | string) => void } = {};
const early: (Call | Cancel | string)[] = [];

function onMessage(message: Call | Cancel | string): void {
  if (ready.receive === undefined) early.push(message);
  else ready.receive(message);
}

if (web) {
  const self = globalThis as unknown as {
    postMessage(message: unknown, transfer?: Transferable[]): void;
    onmessage: ((event: MessageEvent) => void) | null;
    close?: () => void;
  };
  // No transfer list unless there is something to move: an empty one
  // costs Deno's postMessage its fast path for a primitive.
  post = (message: Reply, transfer?: Transferable[]) =>
    transfer === undefined || transfer.length === 0
      ? self.postMessage(message)
      : self.postMessage(message, transfer);
  self.onmessage = (event) => onMessage(event.data);
  // A worker that closes itself must not leave its caller waiting: the Web
  // Worker API tells the other side nothing (Node has an 'exit' event).
  const close = self.close;
  if (typeof close === "function") {
    self.close = function closeWorker() {
      post([3, -1, 0]); // EXIT: see _protocol.ts
      close.call(self);
    };
  }
} else {
  const { parentPort } = await import("node:worker_threads");
  const port = parentPort as unknown as NodePort;
  post = (message: Reply, transfer?: Transferable[]) =>
    transfer === undefined || transfer.length === 0
      ? port.postMessage(message)
      : port.postMessage(message, transfer);
  port.on("message", onMessage);
}

// On Deno, a worker holds a Web Lock of its own for its whole life: then
// its host's `terminate()` interrupts it even while it is busy in a loop
// with no checkpoint (Deno 2.9.4 and later; see `_host.ts`). Without one
// the thread runs on until the process exits. The lock's name is unique,
// so no other worker ever waits for it; it is asked for before anything
// else runs, so it is held by the time a call can start.
const locks = (globalThis as {
  navigator?: {
    locks?: { request(name: string, fn: () => Promise<never>): unknown };
  };
}).navigator?.locks;
if (typeof (globalThis as { Deno?: unknown }).Deno === "object" && locks) {
  locks.request(
    `@corral/worker ${crypto.randomUUID()}`,
    () => new Promise<never>(() => {}),
  );
}

const runtime = await import(
  import.meta.url.endsWith(".js")
    ? "./_worker_runtime.js"
    : "./_worker_runtime.ts"
);
const receive = runtime.connect(post);
ready.receive = receive;
for (const message of early.splice(0)) receive(message);
