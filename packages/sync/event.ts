// Copyright the corral authors. MIT license.
import type { CancelScope } from "@corral/scope";
import { checkpoint } from "@corral/scope";
import { taskOf } from "./_task.ts";
import { checkName, checkOptions, label } from "./_validate.ts";
import { currentScope, wait, WaitNode, WaitQueue } from "./_wait.ts";

/** Options for {@linkcode Event}. */
export interface EventOptions {
  /** Shown by the task tree while tasks wait on the event. @default {""} */
  name?: string;
}

/** What {@linkcode Event.statistics} returns. */
export interface EventStatistics {
  /** How many waits are blocked on the event. */
  tasksWaiting: number;
  /** The tasks blocked on it, oldest first (see `blockedOn`). */
  waiters: object[];
  /** The scopes those waits were called in, oldest first. */
  waitingScopes: (CancelScope | undefined)[];
}

/**
 * A one-shot flag (Trio's `Event`): `wait()` blocks until `set()` is
 * called, and returns at once ever after. There is no `clear()`: an event
 * that happened cannot un-happen; make a new `Event` for the next one
 * (Trio's reasoning, followed by AnyIO 2.0).
 *
 * `wait()` is a checkpoint (rule 17): it throws `Cancelled` in a cancelled
 * scope even when the event is set, and a cancelled wait leaves the
 * event's queue.
 *
 * @example Usage
 * ```ts
 * import { Event } from "@corral/sync";
 * import { taskGroup } from "@corral/taskgroup";
 * import assert from "node:assert/strict";
 *
 * const ready = new Event({ name: "ready" });
 * const log: string[] = [];
 * await taskGroup((group) => {
 *   group.spawn(async () => {
 *     await ready.wait();
 *     log.push("woken");
 *   });
 *   group.spawn(() => {
 *     log.push("setting");
 *     ready.set();
 *   });
 * });
 * assert.deepEqual(log, ["setting", "woken"]);
 * ```
 */
export class Event {
  readonly #name: string;
  #set = false;
  readonly #waiters: WaitQueue;

  /**
   * Makes an event that is not set.
   *
   * @param options The event's name.
   */
  constructor(options?: EventOptions) {
    checkOptions("create event", options);
    this.#name = checkName("create event", options?.name);
    this.#waiters = new WaitQueue(this, "waiting on event", this.#name);
  }

  /** The name given to the constructor. */
  get name(): string {
    return this.#name;
  }

  /** Whether `set()` was called. */
  get isSet(): boolean {
    return this.#set;
  }

  /** Sets the event and wakes every waiter. Idempotent; not a checkpoint. */
  set(): void {
    if (this.#set) return;
    this.#set = true;
    for (let node = this.#waiters.shift(); node; node = this.#waiters.shift()) {
      node.wake(undefined);
    }
  }

  /**
   * Waits until the event is set. A checkpoint: in a cancelled scope it
   * throws `Cancelled`, set or not; on a set event it still yields.
   *
   * @returns When the event is set.
   */
  wait(): Promise<void> {
    if (this.#set) return checkpoint();
    const scope = currentScope();
    return wait<void>(this.#waiters, new WaitNode(scope, undefined, undefined));
  }

  /**
   * How many tasks wait, and which.
   *
   * @returns A fresh snapshot.
   */
  statistics(): EventStatistics {
    const nodes = this.#waiters.nodes();
    return {
      tasksWaiting: nodes.length,
      waiters: nodes.map((node) => taskOf(node.scope)),
      waitingScopes: nodes.map((node) => node.scope),
    };
  }

  /** `Event "ready" (set)`, `Event (2 waiting)`. */
  toString(): string {
    const state = this.#set ? "set" : `${this.#waiters.size} waiting`;
    return `Event${label(this.#name)} (${state})`;
  }
}
