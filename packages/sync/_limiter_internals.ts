// Copyright the corral authors. MIT license.
/**
 * What `plumbing.ts` needs from `CapacityLimiter`: filled in by its static
 * block, which alone touches its private fields.
 *
 * @module
 */
import type { CapacityLimiter } from "./capacity_limiter.ts";

/** The operations `CapacityLimiter` lends to the plumbing. */
export interface LimiterInternals {
  /** See `waitForToken` in `plumbing.ts`. */
  waitForToken(
    limiter: CapacityLimiter,
    borrower: unknown,
    granted: () => void,
  ): () => boolean;
}

/** Filled in when `capacity_limiter.ts` is evaluated. */
export const limiterInternals = {} as LimiterInternals;
