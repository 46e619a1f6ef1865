// Copyright the corral authors. MIT license.
/**
 * One iteration of a `mapStream`: a task that runs a group of at most
 * `limit` long-lived workers, and a ring of results that the consumer's
 * `next()` reads directly. No task, scope or channel per item: the per-item
 * cost is one call of `fn` and one hand-over through the ring.
 *
 * The guarantees are those of `produce` (rule 18) and of `mapStream`'s
 * documentation; each is enforced where the comment says so.
 *
 * @module
 */
import { Cancelled, CancelScope, checkpoint } from "@corral/scope";
import {
  cancellationOf,
  currentScope,
  onCancelled,
  park,
  runTask,
} from "@corral/scope/plumbing";
import { type Task, type TaskGroup, taskGroup } from "@corral/taskgroup";
import type { SafeStream, StreamIterator } from "./produce.ts";
import { openSource, type Source } from "./_source.ts";
import { unwrapLone } from "./_unwrap.ts";

/** For work put on a fresh stack (rule 19). */
const resolved: Promise<void> = Promise.resolve();

/** What a `mapStream` call fixed: the same for each of its iterations. */
export interface MapPlan<T, R> {
  readonly items: Iterable<T> | AsyncIterable<T>;
  readonly kind: "sync" | "async";
  readonly fn: (item: T, index: number) => R | Promise<R>;
  /** At most this many calls of `fn` at once (one per worker). */
  readonly limit: number;
  /** At most this many items held (`limit + buffer`): the ring's size. */
  readonly window: number;
  readonly ordered: boolean;
}

/** Idle → running (first `next()`) → ended; never back. */
const IDLE = 0, RUNNING = 1, ENDED = 2;

/**
 * Rule 2 for a consumer fed from the ring, which never waits: a loop of
 * `next()` calls must still let timers and I/O run. `checkpoint()` yields
 * a macrotask once a millisecond has passed since the last turn; going
 * through it costs a few promise hops even when it does not yield, so a
 * `next()` reads the clock now and then, and only when `YIELD_QUIET_MS`
 * have passed since this run last went through `checkpoint()` does the
 * call wait on one. Timers then wait at most about `YIELD_QUIET_MS` more
 * than after a bare `checkpoint()` loop, plus the calls between two reads
 * of the clock. (Every `next()` still checks for cancellation: `#take`.)
 *
 * Reading the clock costs about as much as the rest of a `next()` (85 ns
 * for `performance.now()` measured on a Linux VM), so the calls between
 * two reads adapt to the consumer's pace: doubled while reads come less
 * than `CLOCK_EVERY_MS / 2` apart, halved while more than twice that,
 * between `CLOCK_CALLS_MIN` and `CLOCK_CALLS_MAX`. A loop whose items take
 * a millisecond each reads the clock every 8th call; one that takes 200 ns
 * an item, every 128th (once every 26 us).
 */
const YIELD_QUIET_MS = 0.5;
const CLOCK_EVERY_MS = 0.05;
const CLOCK_CALLS_MIN = 8;
const CLOCK_CALLS_MAX = 128;

const DONE: IteratorReturnResult<undefined> = Object.freeze({
  done: true,
  value: undefined,
}) as IteratorReturnResult<undefined>;

/**
 * The state of one iteration. The iterator holds the run; the run (and
 * its task) never holds the iterator, so an iterator that is dropped can
 * be collected, and its finalizer cancels the run.
 *
 * Indices `[emitted, taken)` are the items held: being mapped, or mapped
 * and waiting in the ring. A worker takes an item only while fewer than
 * `window` are held (`mapStream`'s bound on memory, whatever the source's
 * length).
 */
class MapRun<T, R> {
  readonly plan: MapPlan<T, R>;
  state = IDLE;
  /** The task's scope, once started. */
  scope: CancelScope | undefined = undefined;
  /** The consumer's scope at the first `next()`: the task's parent. */
  parent: CancelScope | undefined = undefined;
  source: Source<T> | undefined = undefined;
  taken = 0;
  emitted = 0;
  /** The item count, once the source ended. */
  total = Infinity;
  /** Workers started, and those whose tasks have not settled yet. */
  workers = 0;
  live = 0;
  /**
   * Ordered: result `i` in slot `i % window`, `filled` says which slots
   * hold one; `head` is the slot of result `emitted`, `tail` that of item
   * `taken`. As completed: a FIFO of `count` results from `head`, the next
   * one going to `tail`. (Kept as slots that wrap, not computed with `%`:
   * an integer division per item and per result was measurable.)
   */
  readonly slots: R[];
  readonly filled: Uint8Array;
  head = 0;
  tail = 0;
  count = 0;
  /** The group, while it runs. */
  group: TaskGroup | undefined = undefined;
  /**
   * Set when the group's scope is cancelled (a failure, the consumer left,
   * the consumer's scope was cancelled), to that `Cancelled`: no item is
   * taken any more, no result is handed out (the consumer waits for the
   * end), and each worker throws it (rule 1: the group sees the
   * cancellation, so an outer scope's comes out of the iteration).
   */
  halted: Cancelled | undefined = undefined;
  /** The one waiting `next()`; woken by a result or the end. */
  consumerWake: (() => void) | undefined = undefined;
  /** The waiting `next()` itself: a second concurrent call queues on it. */
  waiting: Promise<IteratorResult<R>> | undefined = undefined;
  /** Items taken and not yet mapped (or read, from an async source). */
  inFlight = 0;
  /** Workers waiting for room in the ring. */
  readonly roomWaiters: (() => void)[] = [];
  /** Resolves the group's body once every worker ended. */
  workersEnded: (() => void) | undefined = undefined;
  /** `next()` calls left until one reads the clock, and between reads. */
  untilClock = 32;
  clockCalls = 32;
  /**
   * When the clock was last read, and before when no `next()` goes through
   * `checkpoint()` (`performance.now()`). Fractions from the start (never
   * 0): a field first holding a small integer changes its hidden class when
   * a fraction comes, and the kept idle run (`keepShapes`) would keep the
   * old one.
   */
  clockRead = -Infinity;
  yieldAfter = -Infinity;
  /** True once the consumer left. */
  gone = false;
  /** Set when the task ended. */
  ended = false;
  failed = false;
  error: unknown = undefined;
  /** The task's error was handed to the consumer (rule 16: once). */
  reported = false;
  #whenEnded: (() => void) | undefined;
  readonly whenEnded: Promise<void>;

  constructor(plan: MapPlan<T, R>) {
    this.plan = plan;
    this.slots = new Array(plan.window);
    this.filled = new Uint8Array(plan.ordered ? plan.window : 0);
    this.whenEnded = new Promise((resolve) => this.#whenEnded = resolve);
  }

  start(parent: CancelScope | undefined): void {
    this.state = RUNNING;
    this.parent = parent;
    const scope = new CancelScope({ name: "mapStream" });
    this.scope = scope;
    runTask(scope, parent, this.#body, this.#settle);
  }

  /** The task: the group of workers, its lone failure thrown as itself. */
  readonly #body = () => unwrapLone(() => taskGroup(this.#group, GROUP));

  readonly #group = async (group: TaskGroup) => {
    // Opened in the task, so that a source whose iterator throws fails
    // the iteration like any other source error.
    this.source = openSource(this.plan.items, this.plan.kind);
    this.group = group;
    // One callback on the group's scope for the whole iteration (rule 17:
    // the waits for room register nothing per wait): at the first
    // failure, or when the consumer leaves or is cancelled, no further
    // item is taken and every waiting worker wakes and throws the cancellation.
    const stop = onCancelled(group.scope, this.#halt);
    try {
      this.spawnWorker();
      // Made after the spawn, and awaited at once: workers count out a
      // microtask after their tasks settle (see `spawnWorker`), so none
      // has yet; and a promise whose executor overflowed the stack (rule
      // 19) is a rejection that must not be left unwatched.
      await new Promise<void>((resolve) => this.workersEnded = resolve);
    } finally {
      stop();
      this.group = undefined;
      // Early exit (failure, the consumer left): close the source once no
      // worker reads it. After a normal end there is nothing to close.
      await this.source.close();
    }
  };

  /** Starts one more worker (at most `limit`, each once). */
  spawnWorker(): void {
    this.workers++;
    this.live++;
    let worker: Task<void>;
    try {
      worker = this.group!.spawn(this.#worker, {
        name: `mapStream worker ${this.workers}`,
      });
    } catch (error) {
      this.live--; // it never ran, so it will not count itself out
      throw error;
    }
    // Counted out when its task settles, not in a `finally` of its own: a
    // worker whose call overflowed the stack (rule 19) never reaches one,
    // and the group's body would wait for it forever. Where even this
    // overflows, on a fresh stack (`then`, a builtin, takes no stack).
    try {
      worker.result.then(this.#workerEnded, this.#workerEnded);
    } catch {
      resolved.then(() => {
        worker.result.then(this.#workerEnded, this.#workerEnded);
      });
    }
  }

  readonly #workerEnded = () => {
    if (--this.live === 0) this.workersEnded?.();
  };

  readonly #halt = (cancelled: Cancelled) => {
    this.halted = cancelled;
    this.#wakeAllRoom();
  };

  #wakeAllRoom(): void {
    const waiters = this.roomWaiters;
    for (let i = 0; i < waiters.length; i++) waiters[i]!();
    waiters.length = 0;
  }

  wakeConsumer(): void {
    const wake = this.consumerWake;
    if (wake === undefined) return;
    this.consumerWake = undefined;
    wake();
  }

  /**
   * A worker: takes the next item while there is room, maps it, puts the
   * result in the ring; ends when the source does or the group halts.
   */
  readonly #worker = async (): Promise<void> => {
    const { fn, limit, window, ordered } = this.plan;
    const source = this.source!;
    const array = source.array;
    for (;;) {
      if (this.halted !== undefined) throw this.halted;
      if (this.taken >= this.total) return;
      if (this.taken - this.emitted >= window) {
        // No room: wait until the consumer takes a result, the source
        // ends or the group halts (each wakes this waiter).
        await new Promise<void>((wake) => this.roomWaiters.push(wake));
        continue;
      }
      const index = this.taken++;
      // Ordered: the item's slot (`index % window`).
      const slot = this.tail;
      if (ordered) this.tail = slot + 1 === window ? 0 : slot + 1;
      this.inFlight++;
      let value: T;
      if (array !== undefined) {
        // An array is read by index (`taken` counts its items).
        if (index >= array.length) return this.#sourceEnded(index);
        value = array[index]!;
      } else {
        const step = source.sync
          ? source.next() as IteratorResult<T>
          : await source.next();
        if (step.done) return this.#sourceEnded(index);
        value = step.value;
      }
      // One more worker while items may wait and the limit allows.
      if (this.workers < limit && this.taken < this.total) {
        this.spawnWorker();
      }
      const result = await fn(value, index);
      // (A failure skips this count: the group halts, nothing reads it.)
      this.inFlight--;
      if (ordered) {
        this.slots[slot] = result;
        this.filled[slot] = 1;
        if (index === this.emitted) this.wakeConsumer();
      } else {
        const tail = this.tail;
        this.slots[tail] = result;
        this.tail = tail + 1 === window ? 0 : tail + 1;
        this.count++;
        this.wakeConsumer();
      }
    }
  };

  /** Item `index` is past the source's end: no worker takes another. */
  #sourceEnded(index: number): void {
    this.inFlight--;
    if (index < this.total) this.total = index;
    this.#wakeAllRoom();
    this.wakeConsumer();
  }

  readonly #settle = (
    _scope: CancelScope,
    failed: boolean,
    outcome: unknown,
  ) => {
    this.ended = true;
    if (failed) {
      this.failed = true;
      this.error = outcome;
    }
    finalizers.unregister(this);
    this.wakeConsumer();
    this.#whenEnded!();
  };

  /**
   * Reads the clock (a `next()` does every `clockCalls` calls): true if
   * this `next()` is to go through `checkpoint()` (rule 2, see
   * `YIELD_QUIET_MS`). Adapts `clockCalls` to the consumer's pace.
   */
  yieldDue(): boolean {
    const now = performance.now();
    const since = now - this.clockRead; // Infinity at the first read
    this.clockRead = now;
    let calls = this.clockCalls;
    if (since < CLOCK_EVERY_MS / 2) {
      if (calls < CLOCK_CALLS_MAX) calls *= 2;
    } else if (since > CLOCK_EVERY_MS * 2 && calls > CLOCK_CALLS_MIN) {
      calls >>= 1;
    }
    this.clockCalls = calls;
    this.untilClock = calls;
    if (now < this.yieldAfter) return false;
    this.yieldAfter = now + YIELD_QUIET_MS;
    return true;
  }

  /**
   * The next result, if one is ready (and the group has not halted),
   * taken out of the ring; `undefined` otherwise. A slot is then free:
   * one waiting worker may take the next item.
   */
  takeReady(): IteratorResult<R> | undefined {
    if (this.halted !== undefined) return undefined;
    const { window } = this.plan;
    const slot = this.head;
    if (this.plan.ordered) {
      if (this.filled[slot] === 0) return undefined;
      this.filled[slot] = 0;
    } else {
      if (this.count === 0) return undefined;
      this.count--;
    }
    const value: R = this.slots[slot]!;
    this.slots[slot] = undefined!;
    this.head = slot + 1 === window ? 0 : slot + 1;
    this.emitted++;
    // A slot is free. Each item in flight takes one as it finishes (its
    // worker loops on without waiting), so while the consumer has results
    // to take, a waiting worker is woken only for the room beyond those:
    // a consumer slower than the workers (the ring full) then costs no
    // wake-up per item. When it runs out, `fillRoom` wakes the rest.
    const waiters = this.roomWaiters;
    if (
      waiters.length > 0 &&
      window - (this.taken - this.emitted) > this.inFlight
    ) waiters.pop()!();
    return { done: false, value };
  }

  /**
   * The consumer is about to wait: wake a waiting worker for each free
   * slot, so that `limit` calls run again (a consumer that was slow must
   * not leave fewer running once it catches up).
   */
  fillRoom(): void {
    const waiters = this.roomWaiters;
    let room = this.plan.window - (this.taken - this.emitted);
    while (room-- > 0 && waiters.length > 0) waiters.pop()!();
  }

  /**
   * The consumer left: cancel the task (the group halts, every worker
   * wakes) and free a `next()` still waiting (it says done).
   */
  leave(reason: string): void {
    this.gone = true;
    this.state = ENDED;
    if (this.scope === undefined || this.ended) return;
    this.scope.cancel(reason);
    this.wakeConsumer();
  }

  /** The task's error, once; `undefined` if there is none to report. */
  takeError(): { error: unknown } | undefined {
    if (!this.failed || this.reported) return undefined;
    this.reported = true;
    return { error: this.error };
  }
}

const GROUP = { name: "mapStream" };

/** Cancels the run of an iterator dropped without `return()`. */
const finalizers = new FinalizationRegistry<MapRun<unknown, unknown>>(
  (run) => {
    if (!run.ended) run.leave("the stream's iterator was dropped");
  },
);

/**
 * What `mapStream` returns: each `[Symbol.asyncIterator]()` is a fresh
 * iteration. A class rather than an object literal: a literal with a
 * computed key gets its hidden class by a transition that V8 keeps only
 * while some object has it, so after a full collection with no stream
 * alive the next stream got a new one, and the consumer's loop (optimized
 * with the old one inlined) was thrown away, at every collection. A
 * class's instances keep the class's map for as long as the class lives.
 */
export class MapStream<T, R> implements SafeStream<R> {
  readonly #plan: MapPlan<T, R>;

  constructor(plan: MapPlan<T, R>) {
    this.#plan = plan;
  }

  [Symbol.asyncIterator](): StreamIterator<R> {
    return new MapIterator(this.#plan);
  }
}

/** The iterator of one iteration of a `mapStream`. */
export class MapIterator<T, R> implements StreamIterator<R> {
  readonly #run: MapRun<T, R>;

  constructor(plan: MapPlan<T, R>) {
    this.#run = new MapRun(plan);
  }

  [Symbol.asyncIterator](): StreamIterator<R> {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  next(): Promise<IteratorResult<R>> {
    const run = this.#run;
    if (run.state !== RUNNING) {
      if (run.state === ENDED) return this.#ended();
      // First next(): the task starts here, under the scope current here,
      // unless that scope is already cancelled (then it never runs).
      const parent = currentScope();
      const cancelled = cancellationOf(parent);
      if (cancelled !== undefined) {
        run.state = ENDED;
        return Promise.reject(cancelled);
      }
      finalizers.register(this, run as MapRun<unknown, unknown>, run);
      run.start(parent);
      try {
        return this.#next();
      } catch (error) {
        // Rule 19: the task started, and this first call overflowed the
        // stack before it could wait. `for await` calls no return() after
        // a failed next(), so the task is ended here, on a fresh stack, and
        // the call fails once it has: nothing outlives the loop.
        return resolved.then(() => {
          run.leave("the first next() overflowed the stack");
          return run.whenEnded;
        }).then(() => Promise.reject(error));
      }
    }
    return this.#next();
  }

  /** `next()` once the task runs. */
  #next(): Promise<IteratorResult<R>> {
    const run = this.#run;
    // One waiter at a time: a call made while another waits goes after it.
    // (Both ways: a failure reaches the first call alone, rule 16.)
    if (run.waiting !== undefined) {
      return run.waiting.then(this.#again, this.#again);
    }
    if (--run.untilClock === 0 && run.yieldDue()) {
      // A wait like any other: a call made meanwhile goes after this one.
      const waiting = checkpoint().then(this.#woken, this.#onWaitFailed);
      run.waiting = waiting;
      return waiting;
    }
    return this.#take();
  }

  readonly #again = () => this.next();

  /**
   * A checkpoint (rule 17): in a cancelled scope it throws, and ends the
   * iteration, even when a result is ready. Then a ready result, or the
   * end, or a wait.
   */
  #take(): Promise<IteratorResult<R>> {
    const run = this.#run;
    if (run.state === ENDED) return this.#ended();
    const scope = currentScope();
    const cancelled = cancellationOf(scope);
    if (cancelled !== undefined) return this.#waitFailed(cancelled);
    const ready = run.takeReady();
    if (ready !== undefined) {
      return Promise.resolve(ready);
    }
    if (run.ended) return this.#ended();
    run.fillRoom();
    return this.#wait(scope);
  }

  /** The task ended and no result is left to give: done, or its error. */
  #ended(): Promise<IteratorResult<R>> {
    const run = this.#run;
    run.state = ENDED;
    const failure = run.takeError();
    return failure ? Promise.reject(failure.error) : Promise.resolve(DONE);
  }

  /**
   * Waits for a result or the end. In the scope the task is a child of
   * (the usual `for await`), a plain promise suffices: cancelling that
   * scope cancels the task, whose end wakes this wait, and the check at
   * the top of `#take` then throws. From any other scope the wait is a
   * `park()`, a checkpoint of that scope.
   */
  #wait(scope: CancelScope | undefined): Promise<IteratorResult<R>> {
    const run = this.#run;
    const woken = scope === run.parent
      ? new Promise<void>((wake) => run.consumerWake = wake)
      : park<void>((wake) => {
        run.consumerWake = wake;
        return () => {
          if (run.consumerWake === wake) run.consumerWake = undefined;
        };
      });
    const waiting = woken.then(this.#woken, this.#onWaitFailed);
    run.waiting = waiting;
    return waiting;
  }

  readonly #woken = (): Promise<IteratorResult<R>> => {
    const run = this.#run;
    run.waiting = undefined;
    if (run.gone) return Promise.resolve(DONE); // return() was called
    return this.#take();
  };

  readonly #onWaitFailed = (error: unknown) => {
    this.#run.waiting = undefined;
    return this.#waitFailed(error);
  };

  /**
   * The consumer's own wait failed (its scope was cancelled): the
   * iteration is over, and `for await` calls no `return()` after a failed
   * `next()`, so end the task here before throwing.
   */
  async #waitFailed(error: unknown): Promise<IteratorResult<R>> {
    const run = this.#run;
    if (run.ended) {
      const failure = run.takeError();
      run.state = ENDED;
      if (failure) throw failure.error;
    } else if (run.gone) {
      return DONE; // return() was called while this next() waited
    }
    run.leave("the consumer's wait failed");
    await run.whenEnded;
    const failure = run.takeError();
    if (failure && !(failure.error instanceof Cancelled)) throw failure.error;
    throw error;
  }

  async return(value?: unknown): Promise<IteratorResult<R>> {
    const run = this.#run;
    if (run.state === RUNNING && !run.ended) {
      run.leave("the consumer left the loop");
      await run.whenEnded;
    }
    run.state = ENDED;
    run.gone = true;
    const failure = run.takeError();
    // The task's own error is the consumer's to handle; a Cancelled that
    // came out of it is the cancellation of an enclosing scope, which the
    // consumer's next checkpoint sees anyway.
    if (failure && !(failure.error instanceof Cancelled)) throw failure.error;
    return { done: true, value: value as undefined };
  }
}

/**
 * A stream and an iterator that never run, kept while this module lives.
 * V8 keeps the hidden classes ("maps") that the instances of `MapStream`,
 * `MapRun` and `MapIterator` share only while an object of them is alive
 * (their fields are transitions from the class's first map, held weakly);
 * once the last iteration's objects are garbage, a full collection may
 * drop them, and the next iteration gets new ones: every property access
 * of this module that was optimized for the old ones then deoptimizes,
 * once per site, and so does the consumer's own loop, which inlined
 * `next()`. A program that maps a stream now and then, with collections
 * in between, paid that each time: measured on Deno 2.9, 10,000 items
 * mapped right after a full collection took 4.5 ms instead of 2.3 ms.
 */
const idle = new MapStream<unknown, unknown>({
  items: [],
  kind: "sync",
  fn: (item) => item,
  limit: 1,
  window: 1,
  ordered: true,
});
export const keepShapes: unknown = [idle, idle[Symbol.asyncIterator]()];
