// Copyright the corral authors. MIT license.
/**
 * The libraries we compare against, pinned in one place. `main.ts` reads the
 * versions from the specifiers below for the report header, so a bump here
 * is the whole change.
 *
 * @module
 */
export * as effection from "npm:effection@4.1.1";
export {
  Effect,
  Fiber,
  Queue,
  Semaphore as EffectSemaphore,
  Stream,
} from "npm:effect@4.1.0";
export { Mutex, Semaphore as AsyncMutexSemaphore } from "npm:async-mutex@0.5.0";
export { default as pLimit } from "npm:p-limit@7.3.1";
