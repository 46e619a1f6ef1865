// Copyright the corral authors. MIT license.
/**
 * What `plumbing.ts` needs from `Receiver`: filled in by its static block,
 * which alone touches its private fields.
 *
 * @module
 */
import type { Receiver } from "./channel.ts";

/** The operations `Receiver` lends to the plumbing. */
export interface ChannelInternals {
  /** See `receiveReady` in `plumbing.ts`. */
  receiveReady<T>(
    receiver: Receiver<T>,
    onRejected: (
      error: unknown,
    ) => IteratorResult<T> | Promise<IteratorResult<T>>,
  ): Promise<IteratorResult<T>> | undefined;
}

/** Filled in when `channel.ts` is evaluated. */
export const channelInternals = {} as ChannelInternals;
