// Copyright the corral authors. MIT license.
/**
 * upstream-a's "query", run in a worker of its `WorkerPool`: CPU work in
 * short slices, with a short sleep (a checkpoint) between slices, so the
 * demo does not take both cores of a small machine from the other
 * services. When the request that asked
 * for it is cancelled (the gateway hung up, or the deadline passed), the
 * call's scope in the worker is cancelled too: the next checkpoint throws
 * and the work stops there, instead of burning a core for a dead request.
 *
 * @module
 */
import { sleep } from "@corral/scope";

/** Computes for about `ms` milliseconds; returns how many slices it did. */
export async function quote(ms: number): Promise<number> {
  const end = performance.now() + ms;
  let slices = 0;
  while (performance.now() < end) {
    const slice = performance.now() + 1;
    let x = 0;
    while (performance.now() < slice) x = (x * 31 + 7) % 1_000_003;
    slices += x >= 0 ? 1 : 0;
    await sleep(4); // a cancel of the caller's request stops it here
  }
  return slices;
}
