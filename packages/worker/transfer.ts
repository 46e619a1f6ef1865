// Copyright the corral authors. MIT license.
import { TRANSFER, type Transferring } from "./_protocol.ts";
import { checkTransfer } from "./_validate.ts";

/**
 * What can be moved to or from a worker instead of copied: an `ArrayBuffer`
 * or a `MessagePort`. Spelled out here because the DOM's `Transferable` is
 * missing from a Node-only program's types.
 */
export type TransferItem = ArrayBuffer | {
  postMessage(message: unknown): void;
  close(): void;
};

/**
 * Marks the value an exported function returns so that the objects in
 * `transferList` (`ArrayBuffer`, `MessagePort`) are moved to the caller
 * rather than copied: a large result costs no copy, and is detached in the
 * worker. Call it in the worker, on the value you return; the caller gets
 * `value` itself (Piscina's `move()`). Arguments are moved with the
 * `transfer` option of `runInWorker` and `pool.run`.
 *
 * @typeParam T The value.
 * @param value What to return.
 * @param transferList The objects inside `value` to move.
 * @returns `value`, marked (typed as `T` so the function's type is
 * unchanged).
 * @throws {TypeError} If `transferList` is not an array.
 *
 * @example In the worker's module
 * ```ts
 * import { transfer } from "@corral/worker";
 *
 * export function fill(length: number): ArrayBuffer {
 *   const buffer = new ArrayBuffer(length);
 *   new Uint8Array(buffer).fill(7);
 *   return transfer(buffer, [buffer]); // moved to the caller, not copied
 * }
 * ```
 */
export function transfer<T>(value: T, transferList: TransferItem[]): T {
  const list = checkTransfer("transfer result", transferList);
  const marked: Transferring = { [TRANSFER]: true, value, list };
  return marked as T;
}
