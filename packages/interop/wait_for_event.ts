// Copyright the corral authors. MIT license.
import { park } from "@corral/scope/plumbing";
import { checkFunction, checkOptions, show } from "./_validate.ts";

/** Options for {@linkcode waitForEvent}. */
export interface WaitForEventOptions<E extends Event = Event> {
  /**
   * Only an event for which this returns true ends the wait; others are
   * ignored. @default {undefined} (the first event of the type)
   */
  filter?: (event: E) => boolean;
}

/**
 * Waits for the next `type` event on an `EventTarget`, as a checkpoint of
 * the current scope. Like `new Promise((r) => target.addEventListener(type,
 * r, { once: true }))`, but cancellable: when the scope is cancelled the
 * listener is removed and the wait throws the scope's `Cancelled`, so a
 * cancelled wait leaves nothing behind on the target. A wait inside a
 * scope already cancelled throws without adding a listener (rule 2).
 *
 * @typeParam E The event's type.
 * @param target What dispatches the event: a `WebSocket`, a `Worker`, an
 * `AbortSignal`, any `EventTarget`.
 * @param type The event type, such as `"message"`.
 * @param options A filter for the events that end the wait.
 * @returns The event.
 * @throws {Cancelled} If the scope is or becomes cancelled first.
 * @throws {TypeError} If `target` is not an `EventTarget`, or `filter` is
 * given and not a function.
 *
 * @example Usage
 * ```ts
 * import { waitForEvent } from "@corral/interop";
 * import { moveOnAfter } from "@corral/scope";
 * import assert from "node:assert/strict";
 *
 * const target = new EventTarget();
 * setTimeout(() => target.dispatchEvent(new CustomEvent("ready", { detail: 42 })), 1);
 * const event = await waitForEvent<CustomEvent<number>>(target, "ready");
 * assert.equal(event.detail, 42);
 *
 * // Under a timeout: the listener is gone when the wait is cancelled.
 * assert.equal(await moveOnAfter(5, () => waitForEvent(target, "never")), undefined);
 * ```
 */
export function waitForEvent<E extends Event = Event>(
  target: EventTarget,
  type: string,
  options?: WaitForEventOptions<E>,
): Promise<E> {
  checkOptions("wait for event", options);
  const filter = options?.filter;
  if (
    typeof (target as EventTarget | undefined)?.addEventListener !==
      "function" ||
    typeof target.removeEventListener !== "function"
  ) {
    throw new TypeError(
      `Cannot wait for event: 'target' must be an EventTarget: current value is ${
        show(target)
      }`,
    );
  }
  if (filter !== undefined) {
    checkFunction(`wait for event "${type}"`, filter, "filter");
  }
  const eventType = String(type);
  return park<E>((wake, fail) => {
    const listener = (event: Event) => {
      try {
        if (filter !== undefined && !filter(event as E)) return;
      } catch (error) {
        // A throwing filter ends the wait with its error, rather than being
        // reported from inside dispatchEvent where nobody awaits it.
        stop();
        fail(error);
        return;
      }
      stop();
      wake(event as E);
    };
    const stop = () => target.removeEventListener(eventType, listener);
    target.addEventListener(eventType, listener);
    return stop;
  });
}
