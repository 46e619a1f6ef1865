// Copyright the corral authors. MIT license.
// Helpers for the tests of this package: the fixture module, a port that
// tells when the worker started or cleaned up, and a count of workers.

/** The module the tests run in workers. */
export const work: URL = new URL("./_test_work.ts", import.meta.url);

/** A channel whose far end goes to the worker (transferred). */
export function probe(): {
  port: MessagePort;
  next: () => Promise<string>;
  seen: string[];
  close: () => void;
} {
  const { port1, port2 } = new MessageChannel();
  const seen: string[] = [];
  const waiting: ((value: string) => void)[] = [];
  port1.onmessage = (event) => {
    seen.push(event.data);
    waiting.shift()?.(event.data);
  };
  let read = 0;
  return {
    port: port2,
    seen,
    next: () =>
      read < seen.length
        ? Promise.resolve(seen[read++]!)
        : new Promise((resolve) => {
          read++;
          waiting.push(resolve);
        }),
    close: () => port1.close(),
  };
}

/**
 * Counts the workers started while `fn` runs (by wrapping the global
 * `Worker`); `make` can replace the worker started.
 */
export async function countingWorkers<T>(
  fn: (count: () => number) => Promise<T>,
  make?: (
    Original: typeof Worker,
    url: string | URL,
    options?: WorkerOptions,
  ) => Worker,
): Promise<T> {
  const Original = globalThis.Worker;
  let started = 0;
  globalThis.Worker = function (url: string | URL, options?: WorkerOptions) {
    started++;
    return make ? make(Original, url, options) : new Original(url, options);
  } as unknown as typeof Worker;
  try {
    return await fn(() => started);
  } finally {
    globalThis.Worker = Original;
  }
}
