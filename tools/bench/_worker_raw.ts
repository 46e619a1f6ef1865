// Copyright the corral authors. MIT license.
// The raw baseline of `worker.ts`: a worker that echoes a number, and counts
// the primes of a [from, to) range, on the bare worker API of the runtime
// (a Web module worker on Deno, `node:worker_threads` on Node).
import { countPrimes } from "./_worker_work.ts";

type Port = {
  postMessage(data: unknown): void;
  on(event: "message", fn: (data: unknown) => void): void;
};

const web = typeof (globalThis as { self?: unknown }).self !== "undefined" &&
  typeof (globalThis as { postMessage?: unknown }).postMessage === "function";

if (web) {
  const self = globalThis as unknown as {
    postMessage(data: unknown): void;
    onmessage: (event: MessageEvent) => void;
  };
  self.onmessage = (event) =>
    self.postMessage(
      typeof event.data === "number"
        ? event.data
        : countPrimes(event.data[0], event.data[1]),
    );
} else {
  const { parentPort } = (globalThis as unknown as {
    process: { getBuiltinModule(id: string): { parentPort: Port } };
  }).process.getBuiltinModule("node:worker_threads");
  parentPort.on("message", (data) =>
    parentPort.postMessage(
      typeof data === "number"
        ? data
        : countPrimes((data as number[])[0]!, (data as number[])[1]!),
    ));
}
