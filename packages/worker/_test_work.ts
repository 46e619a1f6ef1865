// Copyright the corral authors. MIT license.
// The functions the tests and the doc examples run in workers.
import {
  currentEffectiveDeadline,
  currentScope,
  now,
  sleep,
} from "@corral/scope";
import { transfer } from "./transfer.ts";
import { requestId } from "./_test_context.ts";

export function add(a: number, b: number): number {
  return a + b;
}

export function echo<T>(value: T): T {
  return value;
}

export const notAFunction = 42;

/** Sleeps `ms` (a checkpoint); tells `port` when its finally block runs. */
export async function sleepy(ms: number, port?: MessagePort): Promise<string> {
  port?.postMessage("started");
  try {
    await sleep(ms);
    return "slept";
  } finally {
    port?.postMessage("cleanup");
    port?.close();
  }
}

/** Busy for `ms` with no checkpoint: only termination stops it. */
export function spin(ms: number, port?: MessagePort): number {
  port?.postMessage("started");
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

/**
 * Busy for `ms` with no checkpoint, counting its turns in `counter[0]`
 * (shared memory): a test reads the count to see whether the thread really
 * stopped, not only the call.
 */
export function spinCounting(
  ms: number,
  counter: Int32Array,
  port: MessagePort,
): number {
  port.postMessage("started");
  const end = performance.now() + ms;
  while (performance.now() < end) Atomics.add(counter, 0, 1);
  return Atomics.load(counter, 0);
}

/** Primes in [from, to): CPU work. */
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

export function fail(message: string): never {
  throw new RangeError(message, { cause: new TypeError("the cause") });
}

export function throwString(): never {
  throw "a string";
}

/** Throws from a timer: the worker dies of an uncaught error. */
export function crash(): Promise<never> {
  setTimeout(() => {
    throw new Error("boom in a timer");
  }, 0);
  return new Promise(() => {});
}

/** The worker closes itself without answering. */
export function closeSelf(): Promise<never> {
  (globalThis as unknown as { close(): void }).close();
  return new Promise(() => {});
}

/** The time left to the worker's effective deadline (Infinity if none). */
export function remaining(): number {
  const deadline = currentEffectiveDeadline();
  return deadline === Infinity ? Infinity : deadline - now();
}

export function scopeName(): string | undefined {
  return currentScope()?.name;
}

export function readRequestId(): string | undefined {
  return requestId.get();
}

/** Sums the bytes of `buffer` and returns the buffer moved back. */
export function sumBytes(
  buffer: ArrayBuffer,
): { sum: number; buffer: ArrayBuffer } {
  let sum = 0;
  for (const byte of new Uint8Array(buffer)) sum += byte;
  return transfer({ sum, buffer }, [buffer]);
}

export function makeBuffer(length: number): ArrayBuffer {
  const buffer = new ArrayBuffer(length);
  return transfer(buffer, [buffer]);
}

export function returnFunction(): () => void {
  return () => {};
}
