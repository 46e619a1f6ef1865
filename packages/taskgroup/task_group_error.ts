// Copyright the corral authors. MIT license.
import { describe } from "./_validate.ts";

/**
 * What a task group throws when its body or any of its tasks failed: an
 * `AggregateError` holding every error that was not a cancellation, in the
 * order they happened (DESIGN rule 10).
 *
 * Always wrapped, even for one error (road not taken: "wrap only if more than
 * one" made every `catch` handle two shapes; Trio, AnyIO and asyncio all
 * moved to always wrapping, see Trio's "strict exception groups" history).
 * A failing nested group stays nested as one `TaskGroupError` inside.
 *
 * @example Usage
 * ```ts
 * import { taskGroup, TaskGroupError } from "@corral/taskgroup";
 * import assert from "node:assert/strict";
 *
 * const error = await taskGroup((group) => {
 *   group.spawn(() => {
 *     throw new Error("boom");
 *   });
 * }).catch((error) => error);
 * assert.ok(error instanceof TaskGroupError);
 * assert.equal(error.errors[0].message, "boom");
 * ```
 */
export class TaskGroupError extends AggregateError {
  /**
   * Creates the error of a failed group.
   *
   * @param errors Every failure, in order.
   * @param groupName The group's name, for the message.
   */
  constructor(errors: unknown[], groupName = "") {
    const group = groupName === "" ? "Task group" : `Task group "${groupName}"`;
    const shown = errors.slice(0, 3).map(describe);
    if (errors.length > 3) shown.push(`and ${errors.length - 3} more`);
    const what = shown.join("; ");
    super(
      errors,
      `${group} failed with ${errors.length} error${
        errors.length === 1 ? "" : "s"
      }: ${what}`,
    );
    this.name = "TaskGroupError";
  }
}
