// Copyright the corral authors. MIT license.
/**
 * Test helpers, not published: loopback servers and promises with their
 * resolvers.
 *
 * @module
 */

export { deferred, delay, startServer } from "../../tools/testing/loopback.ts";
export type { TestServer } from "../../tools/testing/loopback.ts";

/** Splits a text stream into lines (std's `TextLineStream`, which JSR would give). */
export class TextLineStream extends TransformStream<string, string> {
  constructor() {
    let rest = "";
    super({
      transform(chunk, controller) {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop()!;
        for (const line of lines) controller.enqueue(line.replace(/\r$/, ""));
      },
      flush(controller) {
        if (rest !== "") controller.enqueue(rest);
      },
    });
  }
}
