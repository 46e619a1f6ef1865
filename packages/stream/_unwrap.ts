// Copyright the corral authors. MIT license.
import { TaskGroupError } from "@corral/taskgroup";

/**
 * Runs `body` (which runs a task group) and throws a lone failure as
 * itself, as Trio's `as_safe_channel` does
 * (`raise_single_exception_from_group`): the consumer of a stream sees the
 * error a task threw, not a group of one. Several failures stay grouped,
 * so none is lost; a group the user's own code threw stays intact (it is
 * the lone failure, one level down).
 */
export async function unwrapLone(body: () => Promise<unknown>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof TaskGroupError && error.errors.length === 1) {
      throw error.errors[0];
    }
    throw error;
  }
}
