// Copyright the corral authors. MIT license.
// Helpers for the tests of this package: the fixture module, a port that
// tells when the worker started or cleaned up, and a count of workers.
import {
  loadThreadWorker,
  type NodeWorkerClass,
  threads,
  threadWorker,
} from "./_host.ts";

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

/** A worker class as `_host.ts` starts one. */
type WorkerClass = new (url: URL, options?: object) => unknown;

/**
 * Counts the workers started while `fn` runs (by wrapping the worker class
 * `_host.ts` uses: `node:worker_threads`' or the global `Worker`); `make`
 * can replace the worker started.
 */
export async function countingWorkers<T>(
  fn: (count: () => number) => Promise<T>,
  make?: (Original: WorkerClass, url: URL, options?: object) => unknown,
): Promise<T> {
  const holder = threads
    ? threadWorker
    : { Class: globalThis.Worker as unknown as NodeWorkerClass };
  if (threads) await loadThreadWorker();
  const Original = holder.Class!;
  let started = 0;
  const Counting = function (url: URL, options?: object) {
    started++;
    return make ? make(Original, url, options) : new Original(url, options);
  } as unknown as NodeWorkerClass;
  if (threads) threadWorker.Class = Counting;
  else globalThis.Worker = Counting as unknown as typeof Worker;
  try {
    return await fn(() => started);
  } finally {
    if (threads) threadWorker.Class = Original;
    else globalThis.Worker = Original as unknown as typeof Worker;
  }
}
