// Copyright the corral authors. MIT license.
/**
 * Test helpers, not published: listener counting on an `EventTarget`,
 * foreign promise code that honours a signal, and loopback servers.
 *
 * @module
 */

/**
 * Counts the listeners on `target` by type, as its add/remove calls see
 * them: `live` is how many are registered now (a `once` listener that fired
 * but was never removed still counts, which is stricter), `most` the
 * largest number at any time.
 */
export function countListeners(target: EventTarget): {
  live(type: string): number;
  most(type: string): number;
} {
  const live = new Map<string, Set<unknown>>();
  const most = new Map<string, number>();
  const add = target.addEventListener.bind(target);
  const remove = target.removeEventListener.bind(target);
  target.addEventListener = (type, listener, options) => {
    const set = live.get(type) ?? new Set();
    live.set(type, set);
    set.add(listener);
    most.set(type, Math.max(most.get(type) ?? 0, set.size));
    add(type, listener, options);
  };
  target.removeEventListener = (type, listener, options) => {
    live.get(type)?.delete(listener);
    remove(type, listener, options);
  };
  return {
    live: (type) => live.get(type)?.size ?? 0,
    most: (type) => most.get(type) ?? 0,
  };
}

/**
 * Foreign promise code, like `fetch(url, { signal })`: never settles on its
 * own; rejects with `signal.reason` when the signal aborts, after running
 * `onAbort` (its cleanup).
 */
export function foreignWait(
  signal: AbortSignal,
  onAbort?: () => void,
): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    const abort = () => {
      onAbort?.();
      reject(signal.reason);
    };
    if (signal.aborted) return abort();
    signal.addEventListener("abort", abort, { once: true });
  });
}

export { deferred, delay, startServer } from "../../tools/testing/loopback.ts";
export type { TestServer } from "../../tools/testing/loopback.ts";
