// Copyright the corral authors. MIT license.
/**
 * The backend a user asked for with the environment variable
 * `CORRAL_CONTEXT_BACKEND`. Internal: none of this is for users; the
 * variable is documented in `README.md` and on `contextBackend`.
 *
 * @module
 */

/** The name of the environment variable. */
export const BACKEND_VARIABLE = "CORRAL_CONTEXT_BACKEND";

/**
 * `"AsyncLocalStorage"` if `CORRAL_CONTEXT_BACKEND` is `AsyncLocalStorage`
 * (or `async_hooks`, the name of its module), else `undefined`. Read without ever asking for a permission or throwing:
 * on Deno only when the env permission for that variable is already
 * granted (`--allow-env` or `--allow-env=CORRAL_CONTEXT_BACKEND`), else
 * from `process.env` (Node, Bun). Other values are ignored.
 */
export const requestedBackend: "AsyncLocalStorage" | undefined = (() => {
  let value: unknown;
  try {
    const runtime = globalThis as {
      Deno?: {
        permissions?: {
          querySync?(descriptor: { name: "env"; variable: string }): {
            state: string;
          };
        };
        env?: { get(name: string): string | undefined };
      };
      process?: { env?: Record<string, string | undefined> };
    };
    const deno = runtime.Deno;
    if (deno !== undefined) {
      const state = deno.permissions?.querySync?.({
        name: "env",
        variable: BACKEND_VARIABLE,
      }).state;
      value = state === "granted" ? deno.env?.get(BACKEND_VARIABLE) : undefined;
    } else {
      value = runtime.process?.env?.[BACKEND_VARIABLE];
    }
  } catch {
    value = undefined;
  }
  return value === "AsyncLocalStorage" || value === "async_hooks"
    ? "AsyncLocalStorage"
    : undefined;
})();
