// Copyright the corral authors. MIT license.
// The raw baseline of `worker.ts`: a module worker that echoes each message.
(globalThis as unknown as { onmessage: (event: MessageEvent) => void })
  .onmessage = (event) =>
    (globalThis as unknown as { postMessage(data: unknown): void })
      .postMessage(event.data);
