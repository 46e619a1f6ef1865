// Copyright the corral authors. MIT license.
/**
 * The caller's side of one worker: start it on whichever worker API the
 * runtime has, send it a call, be told exactly once how the call ended
 * (a reply, a crash, an exit, a termination), and terminate it. Read with
 * `_protocol.ts` and `_bootstrap.ts`.
 *
 * Deno, Bun and browsers get the Web `Worker` (a module worker); Node gets
 * `node:worker_threads`, whose `Worker` is an EventEmitter with an 'exit'
 * event. The Web API has no exit event, so `_bootstrap.ts` announces a
 * `close()` itself, and Bun's own 'close' event is listened to as well.
 *
 * @module
 */
import { Snapshot } from "@corral/context";
import { EXIT, type Reply } from "./_protocol.ts";

/**
 * The context this module was loaded in (none): where workers are started
 * and modules imported, never in the context of the call that needed
 * them. Work the runtime starts for a worker or a dynamic `import()`
 * outlives the call, and on Deno 2.9 it kept the call's context: a module
 * first imported inside a request carried that request's (later
 * cancelled) scope into callbacks the runtime made long after, for other
 * requests (the demo's streamed response failed with another request's
 * `Cancelled`).
 */
export const outside: Snapshot = new Snapshot();

/** Outcome kinds of this side only, after those of `Reply`. */
export const CRASH = 4, TERMINATED = 5;

/**
 * How a call ended, as the caller sees it: a primitive is the value of
 * the call, sent bare (see `isBare` in `_protocol.ts`); a tuple says more.
 */
export type Outcome =
  | string
  | number
  | boolean
  | null
  | Reply
  | [kind: typeof CRASH, id: -1, error: unknown]
  | [kind: typeof TERMINATED, id: -1];

/** The bootstrap beside this file: `.ts` from source, `.js` from npm. */
const BOOTSTRAP = new URL(
  import.meta.url.endsWith(".js") ? "./_bootstrap.js" : "./_bootstrap.ts",
  import.meta.url,
);

interface NodeWorker {
  on(event: string, fn: (value: never) => void): void;
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  terminate(): Promise<number>;
}

type NodeWorkerClass = new (url: URL, options?: object) => NodeWorker;

const isNode = typeof (globalThis as { Deno?: unknown }).Deno === "undefined" &&
  typeof (globalThis as { Bun?: unknown }).Bun === "undefined" &&
  typeof (globalThis as { Worker?: unknown }).Worker !== "function";

let nodeWorker: Promise<NodeWorkerClass> | undefined;

/** One worker and the call it is running (at most one at a time). */
export class WorkerHandle {
  /** False once it crashed, exited or was terminated: never reused. */
  alive = true;
  /** The module of the last call sent: the next may name it as "". */
  module = "";
  #post: (message: unknown, transfer: Transferable[]) => void;
  #terminate: () => Promise<unknown> | void;
  #pending: ((outcome: Outcome) => void) | undefined;
  #stopped: Promise<void> | undefined;

  private constructor(
    post: (message: unknown, transfer: Transferable[]) => void,
    terminate: () => Promise<unknown> | void,
  ) {
    this.#post = post;
    this.#terminate = terminate;
  }

  /** Starts a worker running the bootstrap. */
  static start(): WorkerHandle | Promise<WorkerHandle> {
    return outside.run(WorkerHandle.#start);
  }

  static #start(): WorkerHandle | Promise<WorkerHandle> {
    if (!isNode) return WorkerHandle.#startWeb();
    nodeWorker ??= import("node:worker_threads").then((module) =>
      module.Worker as unknown as NodeWorkerClass
    );
    return nodeWorker.then((Worker) => WorkerHandle.#startNode(Worker));
  }

  static #startWeb(): WorkerHandle {
    const worker = new Worker(BOOTSTRAP, {
      type: "module",
      name: "@corral/worker",
    });
    const handle = new WorkerHandle(
      (message, transfer) =>
        transfer.length === 0
          ? worker.postMessage(message)
          : worker.postMessage(message, transfer),
      () => worker.terminate(),
    );
    worker.onmessage = (event) => handle.#settle(event.data);
    worker.onerror = (event) => {
      // Handled here: unhandled, Deno rethrows a worker's error in the
      // thread that started it and ends the whole process.
      event.preventDefault();
      handle.#die([
        CRASH,
        -1,
        event.error ?? new Error(String(event.message)),
      ]);
    };
    worker.onmessageerror = () =>
      handle.#die([
        CRASH,
        -1,
        new Error("a message from the worker could not be read"),
      ]);
    // Bun's worker emits 'close' with the exit code (process.exit()).
    worker.addEventListener("close", (event) =>
      handle.#die([
        EXIT,
        -1,
        (event as Event & { code?: number }).code ?? 0,
      ]));
    return handle;
  }

  static #startNode(Worker: NodeWorkerClass): WorkerHandle {
    const worker = new Worker(BOOTSTRAP, { name: "@corral/worker" });
    const handle = new WorkerHandle(
      (message, transfer) =>
        transfer.length === 0
          ? worker.postMessage(message)
          : worker.postMessage(message, transfer),
      () => worker.terminate(),
    );
    worker.on("message", (data: Reply) => handle.#settle(data));
    worker.on(
      "error",
      (error: unknown) => handle.#die([CRASH, -1, error]),
    );
    worker.on(
      "exit",
      (code: number) => handle.#die([EXIT, -1, code]),
    );
    return handle;
  }

  /**
   * Sends `message` (a call) and calls `settle` once with its outcome.
   * Throws the clone error (and calls nothing) if `message` cannot be
   * cloned: the worker saw nothing and stays usable.
   */
  call(
    message: unknown,
    transfer: Transferable[],
    settle: (outcome: Outcome) => void,
  ): void {
    if (!this.alive) {
      settle([TERMINATED, -1]);
      return;
    }
    this.#post(message, transfer);
    this.#pending = settle;
  }

  /** Sends a message that expects no answer (a cancel). */
  send(message: unknown): void {
    if (this.alive) this.#post(message, []);
  }

  #settle(reply: Outcome): void {
    // A bare primitive is the value of the call running (`isBare`): it is
    // passed on as it is, no tuple made for it.
    if (Array.isArray(reply) && reply[0] === EXIT) {
      this.#die(reply);
      return;
    }
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.(reply);
  }

  /** It crashed or exited: the running call ends with `outcome`. */
  #die(outcome: Outcome): void {
    if (!this.alive) return;
    this.alive = false;
    // Terminate anyway: a worker that reported a crash may still be
    // running, and a terminated thread is the only proof it is not.
    this.#stopped = Promise.resolve(this.#terminate()).then(noop, noop);
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.(outcome);
  }

  /**
   * Terminates the worker; a running call ends as "terminated". Resolves
   * when the thread is gone (Node reports it; the Web API stops it at
   * once).
   */
  terminate(): Promise<void> {
    this.#die([TERMINATED, -1]);
    return this.#stopped!;
  }
}

function noop(): void {}
