// Copyright the corral authors. MIT license.
/**
 * Context variables: values that follow the logical call chain across
 * `await`, promise callbacks, timers and spawned tasks, in the shape of the
 * TC39 `AsyncContext` proposal: {@linkcode Variable}, {@linkcode Snapshot},
 * {@linkcode bindGenerator}. The backend is native `AsyncContext` where the
 * runtime has it; on Deno, the context slot under Deno's `AsyncLocalStorage`,
 * used directly; else `AsyncLocalStorage` ({@linkcode contextBackend}).
 *
 * @example Usage
 * ```ts
 * import { Variable } from "@corral/context";
 * import assert from "node:assert/strict";
 *
 * const requestId = new Variable<string>({ name: "requestId" });
 * async function handle(id: string) {
 *   return await requestId.run(id, async () => {
 *     await new Promise((resolve) => setTimeout(resolve, 1));
 *     return requestId.get();
 *   });
 * }
 * assert.deepEqual(await Promise.all([handle("a"), handle("b")]), ["a", "b"]);
 * ```
 *
 * @module
 */
export * from "./variable.ts";
export * from "./snapshot.ts";
export * from "./bind_generator.ts";
export { type ContextBackend, contextBackend } from "./_storage.ts";
