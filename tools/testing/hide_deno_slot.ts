// Copyright the corral authors. MIT license.
/**
 * Preload for a second run of the tests on Deno with the
 * `AsyncLocalStorage` backend of `@corral/context`, the one Node and Bun use
 * (and Deno, should its context slot ever change):
 *
 * ```sh
 * deno test --allow-all --preload tools/testing/hide_deno_slot.ts packages/
 * ```
 *
 * It hides the getter of Deno's context slot, as a Deno without it would,
 * and tells `packages/context/storage_test.ts` which backend to expect.
 *
 * @module
 */
const internal = (Deno as unknown as Record<symbol, { core: object }>)[
  (Deno as unknown as { internal: symbol }).internal
]!;
internal.core = { ...internal.core, getAsyncContext: undefined };
(globalThis as { corralExpectedBackend?: string }).corralExpectedBackend =
  "AsyncLocalStorage";
