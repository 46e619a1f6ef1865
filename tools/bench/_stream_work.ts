// Copyright the corral authors. MIT license.
/**
 * The stream workloads that `cases/stream.ts` (one implementation per
 * process) and `paired.ts` (interleaved in one process) both measure, so
 * the two runs time the same code.
 *
 * @module
 */
import { taskGroup } from "../../packages/taskgroup/mod.ts";
import { openChannel } from "../../packages/sync/mod.ts";
import { produce } from "../../packages/stream/mod.ts";

/** The bare channel: a sender task and a receiving loop, `capacity` buffer. */
export async function channel(n: number, capacity: number): Promise<number> {
  const [sender, receiver] = openChannel<number>(capacity);
  let sum = 0;
  await taskGroup((group) => {
    group.spawn(async () => {
      for (let i = 0; i < n; i++) await sender.send(i);
      sender.close();
    });
    group.spawn(async () => {
      for await (const item of receiver) sum += item;
    });
  });
  return sum;
}

/** The same hand-off through `produce`. */
export async function produced(n: number, buffer: number): Promise<number> {
  let sum = 0;
  const stream = produce<number>(async (send) => {
    for (let i = 0; i < n; i++) await send(i);
  }, { buffer });
  for await (const item of stream) sum += item;
  return sum;
}

/** The mapped function: one `await` per item. */
export async function double(x: number): Promise<number> {
  await null;
  return x * 2;
}

/** `limit` async workers mapping `items` by index, summing the results. */
export async function pool(
  items: readonly number[],
  limit: number,
): Promise<number> {
  let next = 0, sum = 0;
  const worker = async () => {
    while (next < items.length) sum += await double(items[next++]!);
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return sum;
}

/**
 * An async iterator over a finished array whose `next()` only wraps the
 * next item in a resolved promise: what a `for await` costs per item when
 * the iterator does nothing else.
 */
export class ArrayIterator implements AsyncIterableIterator<number> {
  readonly #values: readonly number[];
  #index = 0;

  constructor(values: readonly number[]) {
    this.#values = values;
  }

  next(): Promise<IteratorResult<number>> {
    return Promise.resolve(
      this.#index < this.#values.length
        ? { done: false, value: this.#values[this.#index++]! }
        : { done: true, value: undefined },
    );
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<number> {
    return this;
  }
}
