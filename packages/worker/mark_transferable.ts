// Copyright the corral authors. MIT license.
import { Variable } from "@corral/context";
import { registry } from "./_registry.ts";
import { show } from "./_validate.ts";

/**
 * The shape of a `Variable` of `@corral/context`, as
 * {@linkcode markTransferable} uses it (only real `Variable`s are
 * accepted).
 */
export interface ContextVariable {
  /** The name that matches the variable across threads. */
  readonly name: string;
  /** The current value. */
  get(): unknown;
}

/**
 * Marks a context variable as one whose value crosses into workers: on
 * every call (`runInWorker`, `pool.run`) its current value, if it has one,
 * is cloned to the worker, where the same variable holds it while the
 * exported function runs (a request id, a tenant, a trace id).
 *
 * A worker has its own copy of every module, so the variable of the
 * calling thread and that of the worker are two objects; they are matched
 * by name. Mark the variable where it is created, in a module that both
 * sides import, with a name no other transferable variable has. Only what
 * can be cloned crosses: a value that cannot fails the call before its
 * worker starts. Unmarked variables stay behind (most context, such as an
 * open span or a database handle, means nothing in another thread).
 *
 * @typeParam V The variable.
 * @param variable The variable to carry.
 * @returns `variable`, so that it can be marked where it is made.
 * @throws {TypeError} If `variable` is not a `Variable` or has no name.
 * @throws {Error} If another variable with the same name is marked.
 *
 * @example Usage
 * ```ts
 * import { Variable } from "@corral/context";
 * import { markTransferable } from "@corral/worker";
 * import assert from "node:assert/strict";
 *
 * // In a module that the caller and the worker's module both import:
 * const requestId = markTransferable(new Variable<string>({ name: "example.requestId" }));
 * assert.equal(requestId.name, "example.requestId");
 * ```
 */
export function markTransferable<V extends ContextVariable>(variable: V): V {
  const action = "mark context variable transferable";
  if (!(variable instanceof Variable)) {
    throw new TypeError(
      `Cannot ${action}: 'variable' must be a Variable of @corral/context: current value is ${
        show(variable)
      }`,
    );
  }
  const name = variable.name;
  if (name === "") {
    throw new TypeError(
      `Cannot ${action}: the variable has no name; give it one (new Variable({ name })) to match it in the worker`,
    );
  }
  const known = registry.get(name);
  if (known !== undefined && known !== variable) {
    throw new Error(
      `Cannot ${action}: another variable named "${name}" is already transferable; names match variables across threads, so each must be unique`,
    );
  }
  registry.set(name, variable as Variable<unknown>);
  return variable;
}
