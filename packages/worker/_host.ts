// Copyright the corral authors. MIT license.
/**
 * The caller's side of one worker: start it on whichever worker API the
 * runtime has, send it a call, be told exactly once how the call ended
 * (a reply, a crash, an exit, a termination), and terminate it. Read with
 * `_protocol.ts` and `_bootstrap.ts`.
 *
 * Bun, browsers and Deno before 2.9.4 get the Web `Worker` (a module
 * worker); Node and newer Deno get `node:worker_threads`, whose `Worker`
 * is an EventEmitter with an 'exit' event. The Web API has no exit event, so `_bootstrap.ts`
 * announces a `close()` itself, and Bun's own 'close' event is listened to
 * as well.
 *
 * Why Deno takes `node:worker_threads`: it is the only worker Deno can
 * stop while it is busy in a loop. Since Deno 2.7.6 the host's
 * `terminate()` only asks the worker's event loop to stop, and a thread
 * busy in JavaScript never returns to its event loop: it ran until the
 * process exited (up to 2.7.5 a timer stopped it 2 s later). Deno 2.9.4
 * added one path that interrupts the running JavaScript at once: a
 * `node:worker_threads` worker that holds a Web Lock is interrupted when it
 * is terminated (so that the lock cannot pass to another thread while the
 * worker still runs). `_bootstrap.ts` holds one for the worker's whole
 * life on Deno, so `terminate()` stops a `for (;;) {}` there too. The
 * price: such a worker takes ~10 ms longer to start than a Web `Worker`
 * (its Node layer); its round trip costs the same.
 *
 * @module
 */
import { contextBackend, Snapshot } from "@corral/context";
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
const outside: Snapshot | undefined = contextBackend === "none"
  ? undefined // A browser: no context to leave, and none can be captured.
  : new Snapshot();

/** Calls `fn` in the context this module was loaded in (see `outside`). */
export function runOutside<R>(fn: () => R): R {
  return outside === undefined ? fn() : outside.run(fn);
}

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

export interface NodeWorker {
  on(event: string, fn: (value: never) => void): void;
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  terminate(): Promise<number>;
}

/** `node:worker_threads`' `Worker`, as far as it is used here. */
export type NodeWorkerClass = new (url: URL, options?: object) => NodeWorker;

const denoVersion = (globalThis as { Deno?: { version?: { deno?: string } } })
  .Deno?.version?.deno;

/**
 * Node, or Deno 2.9.4 and later (see the top of this file for why Deno).
 * Older Deno releases keep the Web `Worker`: the lock does not help there,
 * and the 'error' event of their `node:worker_threads` carries no error.
 */
export const threads: boolean = denoVersion !== undefined
  ? !olderThan(denoVersion, [2, 9, 4])
  : typeof (globalThis as { Bun?: unknown }).Bun === "undefined" &&
    typeof (globalThis as { Worker?: unknown }).Worker !== "function";

/** Whether `version` ("2.9.6") is older than `than`. */
function olderThan(version: string, than: number[]): boolean {
  const parts = version.split(".").map((part) => parseInt(part, 10));
  for (let i = 0; i < than.length; i++) {
    if (parts[i] !== than[i]) return (parts[i] ?? 0) < than[i]!;
  }
  return false;
}

let loadingThreads: Promise<NodeWorkerClass> | undefined;

/**
 * `node:worker_threads`' `Worker`, once imported (`loadThreadWorker`).
 * The tests of this package put a wrapper in its place to count the
 * workers started or to make one fail (`_test_helpers.ts`).
 */
export const threadWorker: { Class?: NodeWorkerClass } = {};

/** Imports `node:worker_threads`' `Worker` into `threadWorker`. */
export function loadThreadWorker(): Promise<NodeWorkerClass> {
  return loadingThreads ??= import("node:worker_threads").then((module) =>
    threadWorker.Class ??= module.Worker as unknown as NodeWorkerClass
  );
}

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
    return runOutside(WorkerHandle.#start);
  }

  static #start(): WorkerHandle | Promise<WorkerHandle> {
    if (!threads) return WorkerHandle.#startWeb();
    const Class = threadWorker.Class;
    if (Class !== undefined) return WorkerHandle.#startNode(Class);
    return loadThreadWorker().then(() =>
      WorkerHandle.#startNode(threadWorker.Class!)
    );
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
   * when the thread is gone (`node:worker_threads` reports it; the Web API
   * stops it at once, except Deno's: see the top of this file).
   */
  terminate(): Promise<void> {
    this.#die([TERMINATED, -1]);
    return this.#stopped!;
  }
}

function noop(): void {}
