// Copyright the corral authors. MIT license.
/**
 * The context variables marked transferable, by name, in this realm. Each
 * realm (the calling thread, each worker) has its own registry and its own
 * `Variable` objects: a module that marks a variable runs once per realm,
 * and the name is what matches them across the thread boundary.
 *
 * @module
 */
import type { Variable } from "@corral/context";

/** Name → the variable of this realm. Only writer: `markTransferable`. */
export const registry: Map<string, Variable<unknown>> = new Map();
