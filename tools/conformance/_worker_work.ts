// Copyright the corral authors. MIT license.
// The functions `worker.ts` runs in workers, on every runtime.
import { currentEffectiveDeadline, now, sleep } from "@corral/scope";
import { Variable } from "@corral/context";
import { markTransferable, transfer } from "@corral/worker";

export const requestId: Variable<string> = markTransferable(
  new Variable<string>({ name: "conformance.requestId" }),
);

export function add(a: number, b: number): number {
  return a + b;
}

export async function sleepy(ms: number, port?: MessagePort): Promise<void> {
  port?.postMessage("started");
  try {
    await sleep(ms);
  } finally {
    port?.postMessage("cleanup");
    port?.close();
  }
}

export function spin(ms: number, port?: MessagePort): void {
  port?.postMessage("started");
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // no checkpoint
  }
}

/**
 * Busy for `ms` with no checkpoint, counting its turns in `counter[0]`
 * (shared memory): the caller reads the count to see whether the thread
 * itself stopped, not only the call.
 */
export function spinCounting(
  ms: number,
  counter: Int32Array,
  port: MessagePort,
): void {
  port.postMessage("started");
  const end = performance.now() + ms;
  while (performance.now() < end) Atomics.add(counter, 0, 1);
}

export function fail(): never {
  throw new RangeError("bad value", { cause: new TypeError("the cause") });
}

export function remaining(): number {
  return currentEffectiveDeadline() - now();
}

export function readRequestId(): string | undefined {
  return requestId.get();
}

export function double(buffer: ArrayBuffer): ArrayBuffer {
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < bytes.length; i++) bytes[i]! *= 2;
  return transfer(buffer, [buffer]);
}
