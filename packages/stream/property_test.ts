// Copyright the corral authors. MIT license.
// Property tests (fast-check): a producer that sends, waits, fails at a
// random point or in its cleanup, against a consumer that breaks, throws,
// or is cancelled at a random point. After the loop, however it ended:
// nothing outlives it (the producer's finally ran), no error was lost or
// doubled (rule 16), and the producer never ran ahead by more than
// `buffer` items.
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { Cancelled, CancelScope, sleep } from "@corral/scope";
import { mapStream, produce, safeGenerator } from "./mod.ts";
import { onClock, settle } from "./_test_helpers.ts";

type Consumer =
  | { kind: "drain"; work: number }
  | { kind: "break"; at: number; work: number }
  | { kind: "throw"; at: number; work: number }
  | { kind: "cancelBetween"; at: number } // cancel, no checkpoint in the body
  | { kind: "cancelByTimer"; after: number }; // while the consumer waits

interface Plan {
  buffer: number;
  items: number;
  delays: number[];
  fail: { kind: "none" } | { kind: "at"; at: number } | { kind: "cleanup" };
  consumer: Consumer;
  generator: boolean;
}

const plans: fc.Arbitrary<Plan> = fc.record({
  buffer: fc.constantFrom(0, 1, 3),
  items: fc.integer({ min: 0, max: 8 }),
  delays: fc.array(fc.integer({ min: 0, max: 3 }), {
    minLength: 8,
    maxLength: 8,
  }),
  fail: fc.oneof(
    fc.constant({ kind: "none" as const }),
    fc.record({
      kind: fc.constant("at" as const),
      at: fc.integer({ min: 0, max: 8 }),
    }),
    fc.constant({ kind: "cleanup" as const }),
  ),
  consumer: fc.oneof(
    fc.record({
      kind: fc.constant("drain" as const),
      work: fc.integer({ min: 0, max: 3 }),
    }),
    fc.record({
      kind: fc.constant("break" as const),
      at: fc.integer({ min: 0, max: 8 }),
      work: fc.integer({ min: 0, max: 3 }),
    }),
    fc.record({
      kind: fc.constant("throw" as const),
      at: fc.integer({ min: 0, max: 8 }),
      work: fc.integer({ min: 0, max: 3 }),
    }),
    fc.record({
      kind: fc.constant("cancelBetween" as const),
      at: fc.integer({ min: 0, max: 8 }),
    }),
    fc.record({
      kind: fc.constant("cancelByTimer" as const),
      after: fc.integer({ min: 0, max: 20 }),
    }),
  ),
  generator: fc.boolean(),
});

async function check(plan: Plan): Promise<void> {
  await onClock(async () => {
    let started = false, ended = false, made = 0, consumed = 0, ahead = 0;
    let producerError: Error | undefined;
    const fail = (what: string) => {
      producerError = new Error(what);
      return producerError;
    };
    const makeItem = async (i: number) => {
      if (plan.fail.kind === "at" && plan.fail.at === i) {
        throw fail(`item ${i}`);
      }
      await sleep(plan.delays[i]!);
      made++;
      ahead = Math.max(ahead, made - consumed);
    };
    const cleanup = () => {
      ended = true;
      if (plan.fail.kind === "cleanup") throw fail("cleanup");
    };
    async function* generator() {
      started = true;
      try {
        for (let i = 0; i < plan.items; i++) {
          await makeItem(i);
          yield i;
        }
      } finally {
        cleanup();
      }
    }
    const stream = plan.generator
      ? safeGenerator(generator, { buffer: plan.buffer })()
      : produce<number>(async (send) => {
        started = true;
        try {
          for (let i = 0; i < plan.items; i++) {
            await makeItem(i);
            await send(i);
          }
        } finally {
          cleanup();
        }
      }, { buffer: plan.buffer });

    const consumer = plan.consumer;
    const scope = new CancelScope();
    const consumerError = new Error("consumer");
    const seen: number[] = [];
    if (consumer.kind === "cancelByTimer") {
      scope.deadline = consumer.after;
    }
    const outcome = await settle(scope.run(async () => {
      for await (const item of stream) {
        seen.push(item);
        consumed++;
        const index = seen.length - 1;
        if (consumer.kind === "cancelBetween" && consumer.at === index) {
          scope.cancel(); // seen by the next next()
          continue;
        }
        if ("work" in consumer) await sleep(consumer.work);
        if (consumer.kind === "break" && consumer.at === index) break;
        if (consumer.kind === "throw" && consumer.at === index) {
          throw consumerError;
        }
      }
      return "completed";
    }));

    // Nothing outlives the loop.
    assert.ok(
      !started || ended,
      "the producer's finally ran before the loop ended",
    );
    // Lock-step within the buffer (made - consumed counts the item in hand).
    assert.ok(
      ahead <= plan.buffer + 1,
      `ran ${ahead} ahead with buffer ${plan.buffer}`,
    );
    // Items arrive in order, none lost or doubled.
    assert.deepEqual(seen, [...seen.keys()]);

    const bodyThrew = consumer.kind === "throw" && seen.length > consumer.at;
    if (bodyThrew) {
      // The language ignores return()'s error after a throw in the body.
      assert.ok(!outcome.ok && outcome.error === consumerError);
      return;
    }
    if (producerError !== undefined) {
      // Reached the consumer, exactly once: as the loop's failure.
      assert.ok(!outcome.ok, "the producer's error was lost");
      assert.equal(outcome.error, producerError);
      return;
    }
    if (outcome.ok) {
      // Ended normally, or cancelled and absorbed by our scope.
      if (outcome.value === undefined) assert.ok(scope.cancelCaught);
      else if (consumer.kind !== "break") assert.equal(seen.length, plan.items);
    } else {
      const kind = outcome.error instanceof Cancelled ? "Cancelled" : "failure";
      assert.fail(`unexpected ${kind}: ${outcome.error}`);
    }
  });
}

Deno.test("produce/safeGenerator property: break, throw and cancel at random points; nothing outlives the loop, no error lost or doubled", async () => {
  await fc.assert(fc.asyncProperty(plans, check), { numRuns: 400 });
});

interface MapPlan {
  items: number;
  limit: number;
  ordered: boolean;
  buffer: number;
  delays: number[];
  failAt: number | undefined;
  breakAt: number | undefined;
  work: number;
  asyncSource: boolean;
}

const mapPlans: fc.Arbitrary<MapPlan> = fc.record({
  items: fc.integer({ min: 0, max: 30 }),
  limit: fc.integer({ min: 1, max: 5 }),
  ordered: fc.boolean(),
  buffer: fc.integer({ min: 0, max: 2 }),
  delays: fc.array(fc.integer({ min: 0, max: 5 }), {
    minLength: 30,
    maxLength: 30,
  }),
  failAt: fc.option(fc.integer({ min: 0, max: 29 }), { nil: undefined }),
  breakAt: fc.option(fc.integer({ min: 0, max: 29 }), { nil: undefined }),
  work: fc.integer({ min: 0, max: 3 }),
  asyncSource: fc.boolean(),
});

async function checkMap(plan: MapPlan): Promise<void> {
  await onClock(async () => {
    let pulled = 0, consumed = 0, running = 0, most = 0, ahead = 0;
    let sourceDone = false;
    function* sync() {
      try {
        for (let i = 0; i < plan.items; i++) {
          pulled++;
          ahead = Math.max(ahead, pulled - consumed);
          yield i;
        }
      } finally {
        sourceDone = true;
      }
    }
    async function* asyncItems() {
      yield* sync();
    }
    const failure = new Error("fn failed");
    const seen: number[] = [];
    const outcome = await settle((async () => {
      for await (
        const value of mapStream(
          plan.asyncSource ? asyncItems() : sync(),
          async (i) => {
            running++;
            most = Math.max(most, running);
            try {
              await sleep(plan.delays[i]!);
              if (i === plan.failAt) throw failure;
              return i;
            } finally {
              running--;
            }
          },
          { limit: plan.limit, ordered: plan.ordered, buffer: plan.buffer },
        )
      ) {
        seen.push(value);
        consumed++;
        await sleep(plan.work);
        if (seen.length - 1 === plan.breakAt) break;
      }
    })());
    // Nothing outlives the loop: no call runs, the source is closed.
    assert.equal(running, 0, "a call outlived the loop");
    assert.ok(sourceDone, "the source was not closed");
    assert.ok(most <= plan.limit, `${most} calls at once, limit ${plan.limit}`);
    assert.ok(
      ahead <= plan.limit + plan.buffer + 1,
      `pulled ${ahead} ahead, limit ${plan.limit}, buffer ${plan.buffer}`,
    );
    const failed = plan.failAt !== undefined && plan.failAt < plan.items;
    if (!outcome.ok) {
      assert.equal(outcome.error, failure, `unexpected ${outcome.error}`);
      assert.ok(failed);
      assert.ok(!seen.includes(plan.failAt!));
    } else if (plan.breakAt === undefined || plan.breakAt >= plan.items) {
      // Not broken off: every item, once (a failure would have thrown).
      assert.ok(!failed);
      const expected = [...Array(plan.items).keys()];
      assert.deepEqual(
        plan.ordered ? seen : [...seen].sort((a, b) => a - b),
        expected,
      );
    }
    if (plan.ordered) assert.deepEqual(seen, [...seen.keys()]);
    assert.equal(new Set(seen).size, seen.length, "an item came twice");
  });
}

Deno.test("mapStream property: random failures and breaks; nothing outlives the loop, limits hold, no item or error lost or doubled", async () => {
  await fc.assert(fc.asyncProperty(mapPlans, checkMap), { numRuns: 300 });
});
