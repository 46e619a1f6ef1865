// Copyright the corral authors. MIT license.
/**
 * The libraries we compare against, pinned in one place. `main.ts` reads the
 * versions from the specifiers below for the report header, so a bump here
 * is the whole change.
 *
 * @module
 */
export * as effection from "npm:effection@4.1.1";
export { Effect, Fiber } from "npm:effect@4.1.0";
