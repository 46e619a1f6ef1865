// Copyright the corral authors. MIT license.
// Type-checked only (`tsc` with Node's types and no DOM, no Deno): what a
// TypeScript user of the npm packages writes, with the types they get.
import { type ContextBackend, contextBackend, Variable } from "@corral/context";
import {
  CancelScope,
  Cancelled,
  type CancelScopeOptions,
  moveOnAfter,
} from "@corral/scope";
import { MockClock } from "@corral/scope/testing";
import {
  type Task,
  type TaskGroup,
  taskGroup,
  TaskGroupError,
} from "@corral/taskgroup";
import { abortable } from "@corral/interop";

const backend: ContextBackend = contextBackend;
const requestId = new Variable<string>({ name: "requestId" });
const id: string | undefined = requestId.get();
const options: CancelScopeOptions = { timeout: 10, name: "typed" };
const scope = new CancelScope(options);
const signal: AbortSignal = scope.signal;
const clock = new MockClock({ autojump: true });

export async function typed(): Promise<number | undefined> {
  const fromGroup: string | undefined = await taskGroup(
    (group: TaskGroup) => {
      const task: Task<number> = group.spawn(async () => 1);
      void task.result;
      return "body";
    },
    { limit: 2 },
  );
  const response: number | undefined = await moveOnAfter(
    5,
    () => abortable(async (signal: AbortSignal) => (signal.aborted ? 0 : 1)),
  );
  try {
    await scope.run(() => undefined);
  } catch (error) {
    if (error instanceof TaskGroupError || error instanceof Cancelled) throw error;
  }
  void [backend, id, signal, clock, fromGroup];
  return response;
}
