// Copyright the corral authors. MIT license.
/**
 * Task groups after Trio's nurseries: {@linkcode taskGroup} runs a body that
 * spawns tasks, waits for all of them, cancels the rest when one fails and
 * reports every failure in a {@linkcode TaskGroupError}; `group.cancel()`
 * stops everything and leaves cleanly; `group.start()` waits for a task to
 * be ready. On top: {@linkcode race} (Happy Eyeballs with `stagger`),
 * {@linkcode all}, {@linkcode allSettled}, {@linkcode map}, and
 * {@linkcode taskTree} to see what is running. {@linkcode TaskGroupError}
 * can be searched through any nesting (`find`, `split`, `flatten`).
 *
 * @example Usage
 * ```ts
 * import { race, taskGroup } from "@corral/taskgroup";
 * import { sleep } from "@corral/scope";
 * import { MockClock } from "@corral/scope/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new MockClock({ autojump: true });
 * await clock.run(async () => {
 *   const fastest = await race([
 *     async () => (await sleep(300), "mirror-a"),
 *     async () => (await sleep(100), "mirror-b"),
 *   ]);
 *   assert.equal(fastest, "mirror-b");
 *
 *   const value = await taskGroup(async (group) => {
 *     group.spawn(async () => await sleep(1_000_000)); // a background job
 *     await sleep(5);
 *     group.cancel(); // stop it; the group exits cleanly
 *     return "done";
 *   });
 *   assert.equal(value, "done");
 * });
 * ```
 *
 * @module
 */
export * from "./task_group.ts";
export { Task } from "./task.ts";
export * from "./task_group_error.ts";
export * from "./race.ts";
export * from "./all.ts";
export * from "./all_settled.ts";
export * from "./map.ts";
export * from "./task_tree.ts";
