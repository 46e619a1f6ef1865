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

/** A short real-time delay (tests keep these to tens of milliseconds). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A loopback server on an ephemeral port, closed with `await using`. */
export interface TestServer extends AsyncDisposable {
  url: string;
  server: Deno.HttpServer<Deno.NetAddr>;
}

/** Starts `Deno.serve` on 127.0.0.1, port 0, silently. */
export function startServer(
  handler: Deno.ServeHandler<Deno.NetAddr>,
): TestServer {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    handler,
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    server,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** A promise with its resolvers, and whether it settled. */
export function deferred<T = void>(): PromiseWithResolvers<T> {
  return Promise.withResolvers<T>();
}
