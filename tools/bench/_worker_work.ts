// Copyright the corral authors. MIT license.
// The functions `worker.ts` runs in workers.

/** The trivial call: what a round trip costs. */
export function echo<T>(value: T): T {
  return value;
}

/** Primes in [from, to): CPU-bound work that splits evenly by range size. */
export function countPrimes(from: number, to: number): number {
  let count = 0;
  for (let n = Math.max(2, from); n < to; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

/**
 * Busy with no checkpoint for `ms`, counting its turns in `counter[0]`
 * (shared memory, so the benchmark sees whether the thread really
 * stopped) and writing the time of each turn, as `performance.timeOrigin
 * + performance.now()`, into `last[0]` (so it sees when); says when it
 * started.
 */
export function spin(
  port: MessagePort,
  counter: Int32Array,
  ms: number,
  last?: Float64Array,
): number {
  port.postMessage("started");
  const origin = performance.timeOrigin;
  const end = performance.now() + ms;
  for (let now = performance.now(); now < end; now = performance.now()) {
    Atomics.add(counter, 0, 1);
    if (last !== undefined) last[0] = origin + now;
  }
  return Atomics.load(counter, 0);
}

/**
 * Busy with no checkpoint and no call out of JavaScript: only counting its
 * turns in `counter[0]` (the benchmark watches the count to see when it
 * stops). Bun is slower to stop a loop that reads a clock (`spin`), so the
 * two are measured apart. Says when it started; stops itself after
 * `turns` turns.
 */
export function spinPlain(
  port: MessagePort,
  counter: Int32Array,
  turns: number,
): number {
  port.postMessage("started");
  while (Atomics.add(counter, 0, 1) < turns) {
    // Nothing else: this is the loop a terminate() must interrupt.
  }
  return Atomics.load(counter, 0);
}
