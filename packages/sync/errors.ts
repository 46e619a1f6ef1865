// Copyright the corral authors. MIT license.
import { show } from "@corral/scope/plumbing";
/**
 * The errors of `@corral/sync` (Trio's names): a nowait form that would
 * have to wait, the end of a channel, a channel whose other side is gone,
 * a handle used after `close()`.
 *
 * @module
 */

/**
 * Thrown by a nowait form that would have to wait: `tryReceive()` on an
 * empty channel (Trio's `WouldBlock`). The nowait forms that carry no value
 * (`tryAcquire()`, `trySend()`) answer `false` instead.
 *
 * @example Usage
 * ```ts
 * import { openChannel, WouldBlock } from "@corral/sync";
 * import assert from "node:assert/strict";
 *
 * const [, receiver] = openChannel<number>(1);
 * assert.throws(() => receiver.tryReceive(), WouldBlock);
 * ```
 */
export class WouldBlock extends Error {
  /**
   * Makes the error.
   *
   * @param message What would have waited.
   */
  constructor(message = "The operation would block") {
    super(messageOf("WouldBlock", message));
    this.name = "WouldBlock";
  }
}

/**
 * Thrown by `receive()` when every sender of the channel is closed and the
 * buffer is drained (Trio's `EndOfChannel`). `for await` ends quietly on it.
 *
 * @example Usage
 * ```ts
 * import { EndOfChannel, openChannel } from "@corral/sync";
 * import assert from "node:assert/strict";
 *
 * const [sender, receiver] = openChannel<number>(1);
 * sender.close();
 * await assert.rejects(receiver.receive(), EndOfChannel);
 * ```
 */
export class EndOfChannel extends Error {
  /**
   * Makes the error.
   *
   * @param message Which channel ended.
   */
  constructor(message = "The channel has ended: every sender is closed") {
    super(messageOf("EndOfChannel", message));
    this.name = "EndOfChannel";
  }
}

/**
 * Thrown by `send()` when no receiver of the channel is left open, so the
 * item could never be received (Trio's `BrokenResourceError`).
 *
 * @example Usage
 * ```ts
 * import { BrokenResourceError, openChannel } from "@corral/sync";
 * import assert from "node:assert/strict";
 *
 * const [sender, receiver] = openChannel<number>(1);
 * receiver.close();
 * await assert.rejects(sender.send(1), BrokenResourceError);
 * ```
 */
export class BrokenResourceError extends Error {
  /**
   * Makes the error.
   *
   * @param message What broke.
   */
  constructor(message = "The resource is broken") {
    super(messageOf("BrokenResourceError", message));
    this.name = "BrokenResourceError";
  }
}

/**
 * Thrown when a handle is used after its own `close()`, also by a wait that
 * was blocked on it when it was closed (Trio's `ClosedResourceError`).
 *
 * @example Usage
 * ```ts
 * import { ClosedResourceError, openChannel } from "@corral/sync";
 * import assert from "node:assert/strict";
 *
 * const [sender] = openChannel<number>(1);
 * sender.close();
 * await assert.rejects(sender.send(1), ClosedResourceError);
 * ```
 */
export class ClosedResourceError extends Error {
  /**
   * Makes the error.
   *
   * @param message What was closed.
   */
  constructor(message = "The resource is closed") {
    super(messageOf("ClosedResourceError", message));
    this.name = "ClosedResourceError";
  }
}

/**
 * The message of an error of this module: a string, or a clear `TypeError`
 * (`super()` would turn a Symbol into an engine message).
 */
function messageOf(name: string, message: unknown): string {
  if (typeof message !== "string") {
    throw new TypeError(
      `Cannot create ${name}: 'message' must be a string: current value is ${
        show(message)
      }`,
    );
  }
  return message;
}
