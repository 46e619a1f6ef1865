// Copyright the corral authors. MIT license.
// Tests of produce(): the guarantees of rule 18, and Trio's as_safe_channel
// tests (src/trio/_tests/test_channel.py) ported to a producer function.
import assert from "node:assert/strict";
import {
  CancelScope,
  checkpoint,
  moveOnAfter,
  shielded,
  sleep,
  sleepForever,
} from "@corral/scope";
import { currentScope, parentOf } from "@corral/scope/plumbing";
import { Event } from "@corral/sync";
import { taskGroup } from "@corral/taskgroup";
import { Variable } from "jsr:@corral/context@0.1.0";
import { produce } from "./mod.ts";
import {
  assertCancelled,
  collect,
  idle,
  onClock,
  rejection,
  settle,
} from "./_test_helpers.ts";

Deno.test("produce: Trio test_as_safe_channel_exhaust", async () => {
  const stream = produce<number>(async (send) => {
    await send(1);
  });
  assert.deepEqual(await onClock(() => collect(stream)), [1]);
});

Deno.test("produce: Trio test_as_safe_channel_broken_resource: next() after return() is done", async () => {
  await onClock(async () => {
    let finished = false;
    const iterator = produce<number>(async (send) => {
      try {
        await send(1);
        await send(2);
      } finally {
        finished = true;
      }
    })[Symbol.asyncIterator]();
    assert.deepEqual(await iterator.next(), { done: false, value: 1 });
    assert.deepEqual(await iterator.return!(), {
      done: true,
      value: undefined,
    });
    assert.ok(finished);
    // Trio raises ClosedResourceError; a JavaScript iterator says done.
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
  });
});

Deno.test("produce: Trio test_as_safe_channel_cancelled: a cancelled first next() never starts the producer", async () => {
  await onClock(async () => {
    let ran = false;
    const stream = produce<number>(() => {
      ran = true;
    });
    const scope = new CancelScope();
    await scope.run(async () => {
      scope.cancel();
      for await (const _ of stream) assert.fail("no item");
    });
    assert.ok(scope.cancelCaught);
    assert.ok(!ran);
  });
});

Deno.test("produce: Trio test_as_safe_channel_recv_closed: a producer busy on foreign work when the consumer leaves gets Cancelled from its send", async () => {
  await onClock(async () => {
    const { promise: foreign, resolve } = Promise.withResolvers<void>();
    let sendError: unknown;
    const iterator = produce<number>(async (send) => {
      await foreign; // not a checkpoint: cancellation cannot interrupt it
      try {
        await send(1);
      } catch (error) {
        sendError = error;
        throw error;
      }
    })[Symbol.asyncIterator]();
    const first = iterator.next();
    await idle();
    const closing = iterator.return!();
    let closed = false;
    closing.then(() => closed = true);
    await idle();
    assert.ok(!closed, "return() waits for the producer");
    resolve();
    assert.deepEqual(await closing, { done: true, value: undefined });
    assert.deepEqual(await first, { done: true, value: undefined });
    assertCancelled(sendError);
  });
});

Deno.test("produce: Trio test_as_safe_channel_no_race: an error after the last item reaches the loop", async () => {
  await onClock(async () => {
    const seen: number[] = [];
    const error = await rejection((async () => {
      for await (
        const x of produce<number>(async (send) => {
          await send(1);
          throw new RangeError("oae");
        })
      ) seen.push(x);
    })());
    assert.ok(error instanceof RangeError && error.message === "oae");
    assert.deepEqual(seen, [1]);
  });
});

Deno.test("produce: Trio test_as_safe_channel_buffer_size_too_small: buffer 0 never asks for an item the consumer did not request", async () => {
  await onClock(async () => {
    await moveOnAfter(5, async () => {
      for await (
        const x of produce<number>(async (send) => {
          await send(1);
          assert.fail("buffer 0 means we are not asked for another value");
        })
      ) {
        assert.equal(x, 1);
        await sleepForever();
      }
    });
  });
});

Deno.test("produce: Trio test_as_safe_channel_no_interleave: the producer does not run between next() calls", async () => {
  await onClock(async () => {
    const iterator = produce<number>(async (send) => {
      await send(1);
      assert.fail("not asked");
    })[Symbol.asyncIterator]();
    assert.deepEqual(await iterator.next(), { done: false, value: 1 });
    await checkpoint();
    await sleep(10);
    await iterator.return!();
  });
});

Deno.test("produce: Trio test_as_safe_channel_genexit_finally: the producer sees Cancelled, its finally runs, and its cleanup error is not lost on break", async () => {
  await onClock(async () => {
    const events: string[] = [];
    const stream = produce<number>(async (send) => {
      try {
        await send(1);
      } catch (error) {
        events.push((error as Error).name);
        throw error;
      } finally {
        events.push("finally");
        // deno-lint-ignore no-unsafe-finally
        throw new Error("agen");
      }
    });
    // break: the producer's cleanup error comes out of the loop.
    const error = await rejection((async () => {
      for await (const _ of stream) break;
    })());
    assert.equal((error as Error).message, "agen");
    assert.deepEqual(events, ["Cancelled", "finally"]);
    // A throw in the loop body wins: JavaScript ignores what return()
    // throws then (AsyncIteratorClose), so "agen" is dropped there.
    events.length = 0;
    const bodyError = await rejection((async () => {
      for await (const _ of stream) throw new TypeError("iterator");
    })());
    assert.equal((bodyError as Error).message, "iterator");
    assert.deepEqual(events, ["Cancelled", "finally"]);
  });
});

Deno.test("produce: Trio test_as_safe_channel_nested_loop", async () => {
  await onClock(async () => {
    const stream = () =>
      produce<number>(async (send) => {
        for (let i = 0; i < 2; i++) await send(i);
      });
    const pairs: [number, number][] = [];
    for await (const i of stream()) {
      for await (const j of stream()) pairs.push([i, j]);
    }
    assert.deepEqual(pairs, [[0, 0], [0, 1], [1, 0], [1, 1]]);
  });
});

Deno.test("produce: Trio test_as_safe_channel_doesnt_leak_cancellation: a scope the producer cancels stays inside it", async () => {
  await onClock(async () => {
    let reached = false;
    for await (
      const _ of produce<void>(async (send) => {
        await new CancelScope().run(async (scope) => {
          scope.cancel();
          await send(); // throws Cancelled, absorbed by that scope
        });
      })
    ) assert.fail("the cancelled send delivered nothing");
    reached = true;
    assert.ok(reached);
  });
});

Deno.test("produce: Trio test_as_safe_channel_dont_unwrap_user_exceptiongroup: an AggregateError from the producer arrives intact", async () => {
  await onClock(async () => {
    const thrown = new AggregateError([new TypeError("bar")], "foo");
    const error = await rejection(collect(produce(() => {
      throw thrown;
    })));
    assert.equal(error, thrown);
  });
});

Deno.test("produce: Trio test_as_safe_channel_multiple_receiver: two tasks share one iterator", async () => {
  await onClock(async () => {
    const event = new Event();
    const iterator = produce<number>(async (send) => {
      await event.wait();
      for (let i = 0; i < 2; i++) await send(i);
    })[Symbol.asyncIterator]();
    const got: number[] = [];
    await taskGroup(async (group) => {
      group.spawn(async () => got.push((await iterator.next()).value!));
      group.spawn(async () => got.push((await iterator.next()).value!));
      await idle();
      event.set();
    });
    assert.deepEqual(got, [0, 1]);
    await iterator.return!();
  });
});

Deno.test("produce: breaking out of the loop cancels the producer and waits for its async cleanup (rule 18)", async () => {
  await onClock(async (clock) => {
    const log: string[] = [];
    const stream = produce<number>(async (send) => {
      try {
        for (let i = 0;; i++) await send(i);
      } catch (error) {
        log.push(`caught ${(error as Error).name}`);
        throw error;
      } finally {
        await shielded(() => sleep(50)); // cleanup that takes time
        log.push("cleaned up");
      }
    });
    for await (const i of stream) {
      if (i === 2) break;
    }
    log.push("after the loop");
    assert.deepEqual(log, [
      "caught Cancelled",
      "cleaned up",
      "after the loop",
    ]);
    assert.equal(clock.now(), 50);
  });
});

Deno.test("produce: a throw in the loop body cancels the producer, waits for it, and propagates", async () => {
  await onClock(async () => {
    let cleaned = false;
    const stream = produce<number>(async (send) => {
      try {
        for (let i = 0;; i++) await send(i);
      } finally {
        await shielded(() => sleep(5));
        cleaned = true;
      }
    });
    const error = await rejection((async () => {
      for await (const _ of stream) throw new SyntaxError("consumer");
    })());
    assert.ok(error instanceof SyntaxError);
    assert.ok(cleaned);
  });
});

Deno.test("produce: a producer error reaches the consumer once, as itself with its stack, at its next next()", async () => {
  await onClock(async () => {
    let thrown: Error | undefined;
    const iterator = produce<number>(async function failingProducer(send) {
      await send(1);
      await sleep(10);
      throw thrown = new URIError("producer failed");
    }, { buffer: 2 })[Symbol.asyncIterator]();
    assert.deepEqual(await iterator.next(), { done: false, value: 1 });
    const error = await rejection(iterator.next());
    assert.equal(error, thrown);
    assert.match(thrown!.stack!, /failingProducer/);
    // Once: the iteration is over, and return() does not throw it again.
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
    assert.deepEqual(await iterator.return!(), {
      done: true,
      value: undefined,
    });
  });
});

Deno.test("produce: a producer error that happens while the consumer works comes out of the loop when it breaks", async () => {
  await onClock(async () => {
    const thrown = new Error("late");
    const error = await rejection((async () => {
      for await (
        const _ of produce<number>(async (send) => {
          await send(1);
          throw thrown;
        }, { buffer: 1 })
      ) {
        await sleep(10); // the producer fails meanwhile
        break;
      }
    })());
    assert.equal(error, thrown);
  });
});

Deno.test("produce: an error thrown synchronously by the producer reaches the first next()", async () => {
  await onClock(async () => {
    const error = await rejection(collect(produce(() => {
      throw "a string"; // not an Error: a failure like any other
    })));
    assert.equal(error, "a string");
  });
});

Deno.test("produce: cancelling the consumer's scope during next() cancels the producer, and next() rejects after its cleanup", async () => {
  await onClock(async () => {
    let cleaned = false;
    let producerSaw: unknown;
    const outer = new CancelScope({ timeout: 100 });
    await outer.run(async () => {
      for await (
        const _ of produce<number>(async () => {
          try {
            await sleepForever();
          } catch (error) {
            producerSaw = error;
            throw error;
          } finally {
            await shielded(() => sleep(5));
            cleaned = true;
          }
        })
      ) assert.fail("no item");
    });
    // The scope was cancelled by its deadline while the loop waited.
    assert.ok(outer.cancelCaught && cleaned);
    assertCancelled(producerSaw);
  });
  await onClock(async () => {
    let cleaned = false;
    const result = await moveOnAfter(100, async () => {
      for await (
        const _ of produce<number>(async () => {
          try {
            await sleepForever();
          } finally {
            cleaned = true;
          }
        })
      ) assert.fail("no item");
      return "not reached";
    });
    assert.equal(result, undefined);
    assert.ok(cleaned);
  });
});

Deno.test("produce: cancelling the consumer's scope while it works ends the loop at its next checkpoint, producer ended", async () => {
  await onClock(async () => {
    let cleaned = false;
    const scope = new CancelScope();
    await scope.run(async () => {
      for await (
        const i of produce<number>(async (send) => {
          try {
            for (let i = 0;; i++) await send(i);
          } finally {
            cleaned = true;
          }
        })
      ) {
        if (i === 3) scope.cancel();
        await checkpoint();
      }
    });
    assert.ok(scope.cancelCaught && cleaned);
  });
});

Deno.test("produce: the producer never runs ahead of the consumer by more than `buffer` items", async () => {
  for (const buffer of [0, 1, 3]) {
    await onClock(async () => {
      let made = 0, consumed = 0, most = 0;
      const stream = produce<number>(async (send) => {
        for (let i = 0; i < 20; i++) {
          made++;
          most = Math.max(most, made - consumed);
          await send(i);
        }
      }, { buffer });
      for await (const _ of stream) {
        consumed++;
        await sleep(1);
      }
      // made - consumed counts the item being made; the consumer holds one.
      assert.equal(most, buffer + 1, `buffer ${buffer}`);
      assert.equal(consumed, 20);
    });
  }
});

Deno.test("produce: the producer sees the context variables of the first next(), not of produce()", async () => {
  const user = new Variable<string>({ name: "user" });
  await onClock(async () => {
    const stream = user.run(
      "creator",
      () =>
        produce<string | undefined>(async (send) => {
          await send(user.get());
          await sleep(1);
          await send(user.get());
        }),
    );
    const seen = await user.run("consumer", () => collect(stream));
    assert.deepEqual(seen, ["consumer", "consumer"]);
  });
});

Deno.test("produce: iterating the same stream twice runs the producer twice", async () => {
  await onClock(async () => {
    let runs = 0;
    const stream = produce<number>(async (send) => {
      runs++;
      await send(runs);
    });
    assert.deepEqual(await collect(stream), [1]);
    assert.deepEqual(await collect(stream), [2]);
    // Two iterators at once are two independent runs.
    const a = stream[Symbol.asyncIterator](),
      b = stream[Symbol.asyncIterator]();
    assert.deepEqual([(await a.next()).value, (await b.next()).value], [3, 4]);
    await a.return!();
    await b.return!();
  });
});

Deno.test("produce: a send after the consumer left throws Cancelled, even in a shielded scope", async () => {
  await onClock(async () => {
    const errors: unknown[] = [];
    for await (
      const _ of produce<number>(async (send) => {
        try {
          await send(1); // the consumer leaves while this waits
        } catch (error) {
          errors.push(error);
        }
        // Every later send refuses, shielded or not.
        await shielded(async () => {
          try {
            await send(2);
          } catch (error) {
            errors.push(error);
          }
        });
        await send(3).catch((error) => errors.push(error));
      })
    ) break;
    assert.equal(errors.length, 3);
    errors.forEach(assertCancelled);
  });
});

Deno.test("produce: a shielded send blocked when the consumer leaves throws Cancelled, it does not hang", async () => {
  await onClock(async () => {
    let error: unknown;
    const iterator = produce<number>(async (send) => {
      await send(1);
      await shielded(async () => {
        try {
          await send(2); // waits for demand, shielded
          await send(3);
        } catch (e) {
          error = e;
        }
      });
    }, { buffer: 1 })[Symbol.asyncIterator]();
    await iterator.next();
    await sleep(1);
    await iterator.return!();
    assertCancelled(error);
  });
});

Deno.test("produce: return() before the first next() never starts the producer", async () => {
  let ran = false;
  const iterator = produce(() => {
    ran = true;
  })[Symbol.asyncIterator]();
  assert.deepEqual(await iterator.return!("x"), { done: true, value: "x" });
  assert.deepEqual(await iterator.next(), { done: true, value: undefined });
  assert.ok(!ran);
});

Deno.test("produce: outside any scope the producer runs as a root, and break still ends it", async () => {
  let cleaned = false;
  for await (
    const i of produce<number>(async (send) => {
      try {
        for (let i = 0;; i++) await send(i);
      } finally {
        cleaned = true;
      }
    })
  ) if (i === 5) break;
  assert.ok(cleaned);
});

Deno.test("produce: an iterator dropped without return() leaves no timer and no unhandled rejection", async () => {
  await onClock(async () => {
    const iterator = produce<number>(async (send) => {
      for (let i = 0;; i++) await send(i);
    })[Symbol.asyncIterator]();
    assert.deepEqual(await iterator.next(), { done: false, value: 0 });
    // Dropped here: the producer waits for demand, which holds no timer,
    // so the process (and this test's sanitizers) are not held.
  });
});

Deno.test({
  name:
    "produce: a dropped iterator's producer is cancelled when the iterator is collected",
  ignore: typeof (globalThis as { gc?: unknown }).gc !== "function",
  async fn() {
    const gc = (globalThis as unknown as { gc: () => void }).gc;
    let cleaned = false;
    await (async () => {
      const iterator = produce<number>(async (send) => {
        try {
          for (let i = 0;; i++) await send(i);
        } finally {
          cleaned = true;
        }
      })[Symbol.asyncIterator]();
      await iterator.next();
    })();
    for (let i = 0; i < 20 && !cleaned; i++) {
      gc();
      await idle();
    }
    assert.ok(cleaned);
  },
});

Deno.test("produce: the producer gets its own scope, a child of the consumer's", async () => {
  await onClock(async () => {
    const outer = new CancelScope({ name: "consumer" });
    await outer.run(async () => {
      for await (
        const name of produce<string>(async (send) => {
          const scope = currentScope()!;
          assert.equal(parentOf(scope), outer);
          await send(scope.name);
        }, { name: "sensor" })
      ) assert.equal(name, "sensor");
    });
  });
});

Deno.test("produce: bad input throws before anything starts", () => {
  const good = () => {};
  assert.throws(() => produce(42 as never), {
    name: "TypeError",
    message:
      "Cannot produce: 'producer' must be a function: current value is 42",
  });
  const promise = Promise.reject(new Error("never awaited"));
  assert.throws(
    () => produce(promise as never),
    /must be a function, not a promise/,
  );
  assert.throws(
    () => produce(async function* () {} as never),
    /must not be a generator function/,
  );
  assert.throws(() => produce(good, null as never), TypeError);
  for (const buffer of [-1, 1.5, NaN, Infinity]) {
    assert.throws(() => produce(good, { buffer }), {
      name: "RangeError",
      message:
        `Cannot produce: 'buffer' must be a non-negative integer: current value is ${buffer}`,
    });
  }
  assert.throws(() => produce(good, { buffer: "1" as never }), TypeError);
  assert.throws(() => produce(good, { name: 1 as never }), TypeError);
});

Deno.test("produce: a producer waiting on a send settles nothing twice when next() and return() race", async () => {
  await onClock(async () => {
    const iterator = produce<number>(async (send) => {
      await sleep(10);
      await send(1);
    })[Symbol.asyncIterator]();
    const next = settle(iterator.next());
    const returned = await iterator.return!();
    assert.deepEqual(returned, { done: true, value: undefined });
    assert.deepEqual(await next, {
      ok: true,
      value: { done: true, value: undefined },
    });
  });
});

Deno.test("produce: a producer error is reported nowhere else: no unhandled rejection, whatever the consumer does", async () => {
  const unhandled: unknown[] = [];
  const listener = (event: PromiseRejectionEvent) => {
    unhandled.push(event.reason);
    event.preventDefault();
  };
  globalThis.addEventListener("unhandledrejection", listener);
  try {
    await onClock(async () => {
      const failing = () =>
        produce<number>(async (send) => {
          await send(1);
          throw new Error("producer");
        }, { buffer: 1 });
      // Seen by next().
      await rejection(collect(failing()));
      // Seen by return() on break.
      await rejection((async () => {
        for await (const _ of failing()) {
          await sleep(1);
          break;
        }
      })());
      // Dropped with the loop body's own error (the language's rule).
      await rejection((async () => {
        for await (const _ of failing()) {
          await sleep(1);
          throw new Error("body");
        }
      })());
      // An iterator dropped after the producer failed.
      const iterator = failing()[Symbol.asyncIterator]();
      await iterator.next();
      await sleep(1);
    });
    await idle();
    await idle();
  } finally {
    globalThis.removeEventListener("unhandledrejection", listener);
  }
  assert.deepEqual(unhandled, []);
});

Deno.test("produce: `await using` an iterator ends the producer when the block exits, even by a throw", async () => {
  await onClock(async () => {
    let ended = 0;
    const numbers = produce<number>(async (send) => {
      try {
        for (let i = 0;; i++) await send(i);
      } finally {
        await shielded(() => sleep(5));
        ended++;
      }
    });
    {
      await using iterator = numbers[Symbol.asyncIterator]();
      assert.equal((await iterator.next()).value, 0);
    }
    assert.equal(ended, 1);
    await rejection((async () => {
      await using iterator = numbers[Symbol.asyncIterator]();
      await iterator.next();
      throw new Error("block");
    })());
    assert.equal(ended, 2);
  });
});

Deno.test("produce: a thenable item reaches the consumer settled, buffered or not; its rejection fails the iteration and cancels the producer", async () => {
  for (const buffer of [0, 4]) {
    assert.deepEqual(
      await collect(produce<unknown>(async (send) => {
        await send(Promise.resolve("a"));
        await send({ then: (resolve: (v: unknown) => void) => resolve("b") });
        await send("c");
      }, { buffer })),
      ["a", "b", "c"],
    );
    const boom = new Error("boom");
    let cleanedUp = false;
    const stream = produce<unknown>(async (send) => {
      try {
        await send(1);
        // Marked handled: it may wait in the buffer across a turn.
        const rejected = Promise.reject(boom);
        rejected.catch(() => {});
        await send(rejected);
        await sleepForever();
      } finally {
        cleanedUp = true;
      }
    }, { buffer });
    const seen: unknown[] = [];
    const error = await rejection((async () => {
      for await (const item of stream) seen.push(item);
    })());
    assert.equal(error, boom);
    assert.deepEqual(seen, [1]);
    assert.ok(cleanedUp, `buffer ${buffer}: the producer outlived the loop`);
  }
});

Deno.test("produce: with items buffered, a next() in a cancelled scope throws Cancelled and ends the producer (rule 1)", async () => {
  let cleanedUp = false;
  const stream = produce<number>(async (send) => {
    try {
      for (let i = 0;; i++) await send(i);
    } finally {
      cleanedUp = true;
    }
  }, { buffer: 8 });
  const iterator = stream[Symbol.asyncIterator]();
  assert.deepEqual(await iterator.next(), { done: false, value: 0 });
  await idle(); // the producer fills the buffer
  const scope = new CancelScope();
  await scope.run(async () => {
    scope.cancel();
    assertCancelled(await rejection(iterator.next()));
  });
  assert.ok(cleanedUp);
  assert.deepEqual(await iterator.next(), { done: true, value: undefined });
});
