// Copyright the corral authors. MIT license.
/**
 * One call into one worker, as the caller sees it: the checks that need the
 * module (it exists, the export is a function), the message (arguments,
 * the remaining time, transferable context variables), and the wait, with
 * the cancellation rule of this package:
 *
 * When the calling scope is cancelled, the worker is sent a `Cancel`: its
 * call's scope is cancelled, so its checkpoints throw and its `finally`
 * blocks run, and the caller waits for its answer. If no answer comes
 * within the grace period (a CPU loop with no checkpoint), the worker is
 * terminated (AnyIO's `to_process` kills the process; Piscina terminates
 * the thread at once, with no cleanup, issue #156: we give the cleanup a
 * chance first). Either way the caller returns only once the worker has
 * answered or is gone, so nothing it started outlives it (rule 15).
 *
 * As `abortable` does (Trio: "it wasn't cancelled after all"), a value that
 * arrives is returned even if the cancel came while it was on its way; the
 * next checkpoint throws.
 *
 * @module
 */
import type { Cancelled } from "@corral/scope";
import { currentEffectiveDeadline, now } from "@corral/scope";
import {
  cancellationOf,
  currentScope,
  describe,
  onCancelled,
} from "@corral/scope/plumbing";
import {
  CALL,
  type Call,
  CANCEL,
  CANCELLED,
  ERROR,
  EXIT,
  reviveError,
  shortCall,
  VALUE,
} from "./_protocol.ts";
import {
  CRASH,
  type Outcome,
  runOutside,
  TERMINATED,
  WorkerHandle,
} from "./_host.ts";
import { registry } from "./_registry.ts";
import { cannotClone, show } from "./_validate.ts";

const loaded = new Map<string, Record<string, unknown>>();
const loading = new Map<string, Promise<Record<string, unknown>>>();
/**
 * The exports found to be functions, by module: checked once each. A
 * property lookup on a module namespace object is slow (it is an exotic
 * object), and it was 6% of a trivial call. An export rebound later to
 * something else is still caught, in the worker, as an error of the call.
 */
const functions = new Map<string, Set<string>>();

/**
 * Checks, in the calling thread, that `module` can be imported and that
 * `name` is an exported function, so bad input fails before any worker
 * starts. The module is imported here once (its top level runs in this
 * thread too: keep it free of side effects) and kept.
 *
 * Returns `undefined` when the answer is known at once (the hot path).
 */
export function checkExport(
  action: string,
  module: string,
  name: string,
): Promise<void> | undefined {
  if (functions.get(module)?.has(name)) return undefined;
  const namespace = loaded.get(module);
  if (namespace !== undefined) {
    checkFunctionExport(action, module, name, namespace);
    return undefined;
  }
  let promise = loading.get(module);
  if (promise === undefined) {
    promise = runOutside(() => import(module)).then(
      (namespace: Record<string, unknown>) => {
        loaded.set(module, namespace);
        loading.delete(module);
        return namespace;
      },
      (error: unknown) => {
        loading.delete(module);
        throw new TypeError(
          `Cannot ${action}: module ${module} cannot be imported: ${
            describe(error)
          }`,
          { cause: error },
        );
      },
    );
    loading.set(module, promise);
  }
  return promise.then((namespace) =>
    checkFunctionExport(action, module, name, namespace)
  );
}

function checkFunctionExport(
  action: string,
  module: string,
  name: string,
  namespace: Record<string, unknown>,
): void {
  if (!Object.hasOwn(namespace, name)) {
    throw new TypeError(
      `Cannot ${action}: module ${module} has no export named "${name}"`,
    );
  }
  const value = namespace[name];
  if (typeof value !== "function") {
    throw new TypeError(
      `Cannot ${action}: export "${name}" of ${module} must be a function: current value is ${
        show(value)
      }`,
    );
  }
  let names = functions.get(module);
  if (names === undefined) functions.set(module, names = new Set());
  names.add(name);
}

/** Starts a worker; a failure to start is a clear error of the call. */
export async function startWorker(action: string): Promise<WorkerHandle> {
  try {
    return await WorkerHandle.start();
  } catch (error) {
    throw new Error(
      `Cannot ${action}: the worker could not start: ${describe(error)}`,
      { cause: error },
    );
  }
}

let nextId = 0;

/**
 * The call message for the current context, to `worker` (which may be
 * undefined: a worker not started yet).
 */
export function callMessage(
  module: string,
  name: string,
  args: unknown[],
  worker?: WorkerHandle,
): Call {
  const deadline = currentEffectiveDeadline();
  // Remaining time, not the deadline: the worker's clock is its own (and
  // the caller's may be a MockClock).
  const timeout = deadline === Infinity ? -1 : Math.max(0, deadline - now());
  let context: [string, unknown][] | undefined;
  if (registry.size !== 0) { // no iterator made when nothing is marked
    for (const [key, variable] of registry) {
      const value = variable.get();
      if (value !== undefined) (context ??= []).push([key, value]);
    }
  }
  return [
    CALL,
    nextId++,
    name,
    args,
    timeout,
    context,
    worker?.module === module ? "" : module,
  ];
}

/**
 * A copy of `message` with the objects of `transfer` moved into it, for a
 * worker that has not started yet: a message that cannot be cloned fails
 * here, before the worker exists, and moved buffers are moved, not copied,
 * both here and on the way to the worker.
 */
export function prepare(
  action: string,
  message: Call,
  transfer: Transferable[],
): { message: Call; transfer: Transferable[] } {
  try {
    return structuredClone({ message, transfer }, { transfer });
  } catch (error) {
    throw cannotClone(action, error);
  }
}

/**
 * Who lent the worker of a call (a pool), told when the call is over, and
 * before its caller resumes: it takes the worker back (or terminates it:
 * then the returned promise waits for that) and returns `borrower`'s
 * token.
 */
export interface Lender {
  giveBack(worker: WorkerHandle, borrower: object): Promise<void> | undefined;
}

/**
 * Sends the call and waits for its outcome, under the rule above; then
 * gives the worker back to `lender`, if any (one async frame for the
 * pool's calls, not two: this is the hot path).
 */
export function perform<T>(
  action: string,
  module: string,
  handle: WorkerHandle,
  message: Call,
  transfer: Transferable[],
  grace: number,
  lender?: Lender,
  borrower?: object,
): Promise<T> {
  // One promise per call, settled from the reply's callback: no async
  // frame around it (on Node each promise and await also runs the hooks of
  // AsyncLocalStorage), and the call's state in one object, not a closure
  // each.
  const scope = currentScope();
  const call = new PendingCall<T>(
    action,
    handle,
    message[1],
    grace,
    scope,
    lender,
    borrower,
  );
  const promise = new Promise<T>((resolve, reject) => {
    call.resolve = resolve;
    call.reject = reject;
  });
  try {
    handle.call(
      transfer.length === 0 ? shortCall(message) ?? message : message,
      transfer,
      (outcome) => call.end(outcome),
    );
  } catch (error) {
    call.end(undefined, cannotClone(action, error));
    return promise;
  }
  handle.module = module;
  // Not once it ended (a dead worker answers at once): nothing would
  // remove the callback.
  if (scope !== undefined && !call.ended) {
    call.dispose = onCancelled(scope, (cancelled) => call.cancelled(cancelled));
  }
  return promise;
}

/** A call sent and not yet answered, as `perform` sees it. */
class PendingCall<T> {
  resolve: (value: T) => void = noop;
  reject: (error: unknown) => void = noop;
  /** The cancellation that reached the call, if one did. */
  ours: Cancelled | undefined = undefined;
  /** Terminates the worker once the grace period after a cancel is over. */
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Removes the callback on the scope. */
  dispose: (() => void) | undefined = undefined;
  ended = false;
  readonly action: string;
  readonly handle: WorkerHandle;
  readonly id: number;
  readonly grace: number;
  readonly scope: ReturnType<typeof currentScope>;
  readonly lender: Lender | undefined;
  readonly borrower: object | undefined;

  constructor(
    action: string,
    handle: WorkerHandle,
    id: number,
    grace: number,
    scope: ReturnType<typeof currentScope>,
    lender: Lender | undefined,
    borrower: object | undefined,
  ) {
    this.action = action;
    this.handle = handle;
    this.id = id;
    this.grace = grace;
    this.scope = scope;
    this.lender = lender;
    this.borrower = borrower;
  }

  /** The caller's scope was cancelled: cancel the call, then terminate. */
  cancelled(cancelled: Cancelled): void {
    this.ours = cancelled;
    this.handle.send([CANCEL, this.id, reasonOf(cancelled)]);
    if (this.grace !== Infinity) {
      const handle = this.handle;
      this.timer = setTimeout(() => void handle.terminate(), this.grace);
    }
  }

  /**
   * The call is over (`outcome`, or `error` before it was sent): clean
   * up, give the worker back, then answer.
   */
  end(outcome: Outcome | undefined, error?: unknown): void {
    this.ended = true;
    this.dispose?.();
    if (this.timer !== undefined) clearTimeout(this.timer);
    const terminating = this.lender?.giveBack(this.handle, this.borrower!);
    if (terminating === undefined) this.answer(outcome, error);
    else terminating.then(() => this.answer(outcome, error));
  }

  answer(outcome: Outcome | undefined, error: unknown): void {
    // A primitive came back bare: the value (never an array, which comes
    // in a tuple).
    if (outcome === undefined) this.reject(error);
    else if (!Array.isArray(outcome)) this.resolve(outcome as T);
    else if (outcome[0] === VALUE) this.resolve(outcome[2] as T);
    else {
      try {
        settleOther(
          this.action,
          outcome,
          this.ours,
          this.scope,
          this.resolve,
          this.reject,
        );
      } catch (error) {
        this.reject(error);
      }
    }
  }
}

function noop(): void {}

/** Every outcome but a value: an error, a cancellation, a dead worker. */
function settleOther<T>(
  action: string,
  outcome: Exclude<Outcome, string | number | boolean | null>,
  ours: Cancelled | undefined,
  scope: ReturnType<typeof currentScope>,
  resolve: (value: T) => void,
  reject: (error: unknown) => void,
): void {
  switch (outcome[0]) {
    case ERROR:
      reject(reviveError(outcome[2], outcome[3]));
      return;
    case CANCELLED: {
      // The worker absorbed a cancellation: ours, or its copy of our
      // deadline, which may fire there a moment before it does here: then
      // wait for ours (as `park` does; never, with no scope).
      const cancelled = ours ?? cancellationOf(scope);
      if (cancelled !== undefined) reject(cancelled);
      else if (scope !== undefined) {
        const undo = onCancelled(scope, (cancelled) => {
          undo();
          reject(cancelled);
        });
      }
      return;
    }
    case TERMINATED:
      reject(
        ours ?? new Error(
          `Cannot ${action}: the worker was terminated before it answered (the pool closed)`,
        ),
      );
      return;
    case CRASH:
      reject(
        new Error(
          `Cannot ${action}: the worker crashed: ${describe(outcome[2])}`,
          { cause: outcome[2] },
        ),
      );
      return;
    case EXIT:
      reject(
        new Error(
          `Cannot ${action}: the worker exited (code ${
            outcome[2]
          }) before it answered`,
        ),
      );
      return;
    default:
      resolve(outcome[2] as T);
  }
}

function reasonOf(cancelled: Cancelled): string {
  const reason = cancelled.reason;
  return reason === undefined
    ? `cancelled by ${cancelled.source}`
    : typeof reason === "string"
    ? reason
    : describe(reason);
}
