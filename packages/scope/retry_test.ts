// Copyright the corral authors. MIT license.
// retry() after @std/async retry (async/retry_test.ts: defaults, backoff,
// bad input), the AWS architecture blog's "Exponential Backoff And Jitter"
// (full jitter) and gRPC A6 (one deadline spans every attempt). Time comes
// from MockClock; randomness from a seeded source.
import assert from "node:assert/strict";
import {
  Cancelled,
  CancelScope,
  failAfter,
  now,
  retry,
  type RetryOptions,
  sleep,
  TimeoutError,
} from "./mod.ts";
import { MockClock } from "./testing.ts";

/** mulberry32: a small seeded generator, numbers in [0, 1). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A function that fails `failures` times, recording when each call began. */
function flaky(failures: number, value = "ok") {
  const starts: number[] = [];
  const errors: Error[] = [];
  const fn = () => {
    starts.push(now());
    if (starts.length <= failures) {
      const error = new Error(`failure ${starts.length}`);
      errors.push(error);
      throw error;
    }
    return value;
  };
  return { fn, starts, errors };
}

function onClock<T>(fn: () => Promise<T>): Promise<T | undefined> {
  return new MockClock({ autojump: true }).run(fn);
}

Deno.test("retry() returns the first success; the waits double from 100 ms (@std/async retry)", async () => {
  const { fn, starts } = flaky(3);
  const value = await onClock(() => retry(fn, { random: () => 0 }));
  assert.equal(value, "ok");
  // random() = 0 takes the whole delay: 100, 200, 400 ms.
  assert.deepEqual(starts, [0, 100, 300, 700]);
});

Deno.test("retry() uses full jitter by default: the wait is delay · (1 − random()) (AWS Exponential Backoff And Jitter)", async () => {
  const { fn, starts } = flaky(3);
  const randoms = [0.25, 0.75, 0.5];
  await onClock(() => retry(fn, { random: () => randoms.shift()! }));
  assert.deepEqual(starts, [0, 75, 75 + 50, 75 + 50 + 200]);
});

Deno.test("retry() is deterministic under MockClock with a seeded random source", async () => {
  const run = async () => {
    const { fn, starts } = flaky(4);
    await onClock(() => retry(fn, { random: seeded(42) }));
    return starts;
  };
  const first = await run();
  assert.deepEqual(await run(), first);
  // Each wait lies in (0, delay]: full jitter.
  const bases = [100, 200, 400, 800];
  first.slice(1).forEach((start, index) => {
    const wait = start - first[index]!;
    assert.ok(wait > 0 && wait <= bases[index]!, `wait ${wait}`);
  });
  const { fn, starts } = flaky(4);
  await onClock(() => retry(fn, { random: seeded(7) }));
  assert.notDeepEqual(starts, first, "another seed, other waits");
});

Deno.test("retry() jitter: 0 waits exactly, 0.5 is equal jitter; maxDelay caps before jitter", async () => {
  {
    const { fn, starts } = flaky(2);
    await onClock(() => retry(fn, { jitter: 0, backoff: 1_000 }));
    assert.deepEqual(starts, [0, 1_000, 3_000]);
  }
  {
    const { fn, starts } = flaky(2);
    await onClock(() =>
      retry(fn, { jitter: 0.5, backoff: 1_000, random: () => 0.5 })
    );
    assert.deepEqual(starts, [0, 750, 750 + 1_500]);
  }
  {
    const { fn, starts } = flaky(4);
    await onClock(() =>
      retry(fn, {
        backoff: { initial: 100, factor: 10 },
        maxDelay: 5_000,
        random: () => 0.5,
      })
    );
    // 100, 1000, min(5000, 10000), min(5000, 100000) — then halved.
    assert.deepEqual(starts, [0, 50, 550, 3_050, 5_550]);
  }
});

Deno.test("retry() backoff as a function sees the attempt number and the error (Retry-After)", async () => {
  class RateLimited extends Error {
    constructor(readonly retryAfterMs: number) {
      super("429");
    }
  }
  let calls = 0;
  const seen: [number, unknown][] = [];
  const starts: number[] = [];
  await onClock(() =>
    retry(() => {
      starts.push(now());
      if (++calls < 3) throw new RateLimited(calls * 1_000);
      return "ok";
    }, {
      jitter: 0,
      backoff: (attempt, error) => {
        seen.push([attempt, error]);
        return (error as RateLimited).retryAfterMs;
      },
    })
  );
  assert.deepEqual(seen.map(([attempt]) => attempt), [1, 2]);
  assert.ok(seen.every(([, error]) => error instanceof RateLimited));
  assert.deepEqual(starts, [0, 1_000, 3_000]);
});

Deno.test("retry() throws the last error itself when the attempts run out", async () => {
  const { fn, starts, errors } = flaky(10);
  const error = await onClock(() => retry(fn, { attempts: 3 })).catch((e) => e);
  assert.equal(error, errors[2]);
  assert.equal(starts.length, 3);
  const once = flaky(10);
  assert.equal(
    await onClock(() => retry(once.fn, { attempts: 1 })).catch((e) => e),
    once.errors[0],
  );
  assert.equal(once.starts.length, 1);
});

Deno.test("retry() retryIf sees the error and the attempt; false stops at once", async () => {
  class Fatal extends Error {}
  const seen: [unknown, number][] = [];
  const fatal = new Fatal("stop");
  let calls = 0;
  const error = await onClock(() =>
    retry(() => {
      calls++;
      throw calls === 2 ? fatal : new Error("transient");
    }, {
      retryIf: (error, attempt) => {
        seen.push([error, attempt]);
        return !(error instanceof Fatal);
      },
    })
  ).catch((e) => e);
  assert.equal(error, fatal);
  assert.equal(calls, 2);
  assert.deepEqual(seen.map(([, attempt]) => attempt), [1, 2]);
  assert.equal(seen[1]![0], fatal);
});

Deno.test("retry() never retries a Cancelled: the caller's cancellation comes out at once", async () => {
  let calls = 0;
  let retryIfCalls = 0;
  const outer = new CancelScope();
  await onClock(() =>
    outer.run(() =>
      retry(async () => {
        calls++;
        outer.cancel("stop");
        await sleep(10);
      }, { retryIf: () => (retryIfCalls++, true) })
    )
  );
  assert.ok(outer.cancelCaught);
  assert.equal(calls, 1);
  assert.equal(retryIfCalls, 0);
});

Deno.test("retry() never starts an attempt the deadline leaves no time for: it gives up with the last error (gRPC A6)", async () => {
  {
    const { fn, starts, errors } = flaky(10);
    const clock = new MockClock({ autojump: true });
    const error = await clock.run(() =>
      failAfter(250, () => retry(fn, { attempts: 10, jitter: 0 }))
    ).catch((e) => e);
    // Attempts at 0 and 100; the next would start at 300, past 250.
    assert.deepEqual(starts, [0, 100]);
    assert.equal(error, errors[1], "the real error, not a TimeoutError");
    assert.equal(clock.now(), 100, "gave up at once, without waiting");
  }
  {
    // A wait that ends exactly at the deadline gives up too: an attempt
    // starting at its deadline is cancelled on entry (rule 6).
    const { fn, starts, errors } = flaky(10);
    const error = await onClock(() =>
      failAfter(300, () => retry(fn, { jitter: 0 }))
    ).catch((e) => e);
    assert.deepEqual(starts, [0, 100]);
    assert.equal(error, errors[1]);
  }
  {
    // attempts: Infinity retries until the deadline.
    const { fn, starts, errors } = flaky(1_000);
    const error = await onClock(() =>
      failAfter(
        10_000,
        () => retry(fn, { attempts: Infinity, jitter: 0, maxDelay: 1_000 }),
      )
    ).catch((e) => e);
    assert.deepEqual(starts, [
      0,
      100,
      300,
      700,
      1_500,
      2_500,
      3_500,
      4_500,
      5_500,
      6_500,
      7_500,
      8_500,
      9_500,
    ]);
    assert.equal(error, errors.at(-1));
  }
});

Deno.test("retry() waits are checkpoints: a cancel during the wait stops it, and no attempt follows", async () => {
  const { fn, starts } = flaky(10);
  const clock = new MockClock({ autojump: true });
  const outer = new CancelScope();
  let settledAt = -1;
  await clock.run(() =>
    Promise.all([
      outer.run(async () => {
        try {
          await retry(fn, { jitter: 0 });
        } finally {
          settledAt = now();
        }
      }),
      (async () => {
        await sleep(25); // in the middle of the first 100 ms wait
        outer.cancel("shutting down");
      })(),
    ])
  );
  assert.ok(outer.cancelCaught, "retry threw the Cancelled, the scope took it");
  assert.deepEqual(starts, [0]);
  assert.equal(settledAt, 25);
});

Deno.test("retry() gives up with the last error when the caller is already cancelled", async () => {
  const outer = new CancelScope();
  const failure = new Error("failed while cancelled");
  let calls = 0;
  const error = await outer.run(() => {
    outer.cancel();
    return retry(() => {
      calls++;
      throw failure; // no checkpoint: the attempt fails on its own
    });
  }).catch((e) => e);
  assert.equal(error, failure);
  assert.equal(calls, 1);
});

Deno.test("retry() runs each attempt in its own scope; a failed attempt's finally finishes before the next starts", async () => {
  const events: string[] = [];
  const scopes: CancelScope[] = [];
  let outerScope: CancelScope | undefined;
  await onClock(async () => {
    outerScope = new CancelScope({ name: "caller" });
    await outerScope.run(() =>
      retry(async (scope, attempt) => {
        scopes.push(scope);
        events.push(`start ${attempt} at ${now()}`);
        try {
          if (attempt < 3) throw new Error(`attempt ${attempt}`);
          return attempt;
        } finally {
          await sleep(30); // slow cleanup
          events.push(`cleaned ${attempt} at ${now()}`);
        }
      }, { jitter: 0, backoff: 10 })
    );
  });
  assert.deepEqual(events, [
    "start 1 at 0",
    "cleaned 1 at 30",
    "start 2 at 40",
    "cleaned 2 at 70",
    "start 3 at 90",
    "cleaned 3 at 120",
  ]);
  assert.equal(new Set(scopes).size, 3);
  assert.equal(scopes[0]!.name, "retry attempt 1");
});

Deno.test("retry() an attempt's own deadline is a per-attempt timeout: TimeoutError, retried", async () => {
  const errors: unknown[] = [];
  let calls = 0;
  const value = await onClock(() =>
    retry(async (scope) => {
      calls++;
      scope.deadline = now() + 50;
      if (calls < 3) await sleep(1_000); // hangs; the timeout cuts it
      return "fast enough";
    }, {
      jitter: 0,
      retryIf: (error) => (errors.push(error), true),
    })
  );
  assert.equal(value, "fast enough");
  assert.equal(calls, 3);
  assert.ok(errors.every((error) => error instanceof TimeoutError));
  assert.match((errors[0] as Error).message, /^Attempt 1 of retry timed out$/);
  assert.ok((errors[0] as Error).cause instanceof Cancelled);
  // An attempt that cancels its own scope failed too, with a plain Error.
  const error = await onClock(() =>
    retry(async (scope) => {
      scope.cancel("giving up on this one");
      await sleep(1);
    }, { attempts: 2, jitter: 0 })
  ).catch((e) => e) as Error;
  assert.match(error.message, /^Attempt 2 of retry cancelled its own scope$/);
  assert.equal((error.cause as Cancelled).reason, "giving up on this one");
});

Deno.test("retry() throws bad input from the call, before the first attempt (@std/async retry)", () => {
  let calls = 0;
  const fn = () => {
    calls++;
  };
  const cases: [RetryOptions, ErrorConstructor, RegExp][] = [
    [
      { attempts: 0 },
      RangeError,
      /^Cannot retry: 'attempts' must be a positive integer or Infinity: current value is 0$/,
    ],
    [{ attempts: -1 }, RangeError, /'attempts' must be a positive integer/],
    [{ attempts: 1.5 }, RangeError, /'attempts' must be a positive integer/],
    [{ attempts: NaN }, RangeError, /'attempts' must be a positive integer/],
    [
      { attempts: "3" as never },
      TypeError,
      /^Cannot retry: 'attempts' must be a number: current value is "3"$/,
    ],
    [
      { backoff: -1 },
      RangeError,
      /^Cannot retry: 'backoff' must be a non-negative number: current value is -1$/,
    ],
    [{ backoff: NaN }, RangeError, /'backoff' must be a non-negative number/],
    [
      { backoff: { initial: -5 } },
      RangeError,
      /'backoff.initial' must be a non-negative number/,
    ],
    [
      { backoff: { factor: 0.5 } },
      RangeError,
      /^Cannot retry: 'backoff.factor' must be a finite number of at least 1: current value is 0.5$/,
    ],
    [{ backoff: { factor: Infinity } }, RangeError, /'backoff.factor'/],
    [
      { backoff: "fast" as never },
      TypeError,
      /^Cannot retry: 'backoff' must be a number, an object or a function/,
    ],
    [
      { maxDelay: -1 },
      RangeError,
      /^Cannot retry: 'maxDelay' must be a non-negative number: current value is -1$/,
    ],
    [{ maxDelay: NaN }, RangeError, /'maxDelay'/],
    [
      { jitter: 1.5 },
      RangeError,
      /^Cannot retry: 'jitter' must be a number from 0 to 1: current value is 1.5$/,
    ],
    [{ jitter: -0.1 }, RangeError, /'jitter'/],
    [
      { retryIf: true as never },
      TypeError,
      /^Cannot retry: 'retryIf' must be a function: current value is true$/,
    ],
    [
      { random: 0.5 as never },
      TypeError,
      /^Cannot retry: 'random' must be a function: current value is 0.5$/,
    ],
    [
      null as never,
      TypeError,
      /^Cannot retry: 'options' must be an object: current value is null$/,
    ],
    [
      42 as never,
      TypeError,
      /'options' must be an object: current value is 42/,
    ],
  ];
  for (const [options, errorClass, message] of cases) {
    assert.throws(
      () => retry(fn, options),
      (error: Error) =>
        error instanceof errorClass && message.test(error.message),
      JSON.stringify(options),
    );
  }
  assert.throws(
    () => retry(null as never),
    /^TypeError: Cannot retry: 'fn' must be a function: current value is null$/,
  );
  assert.throws(
    () => retry(Object.create(null)),
    /'fn' must be a function: current value is \[object Object\]/,
  );
  assert.throws(
    () => retry(function* () {} as never),
    /^TypeError: Cannot retry: 'fn' must not be a generator function/,
  );
  assert.equal(calls, 0);
});

Deno.test("retry() given a promise says to pass a function and marks the promise handled", () => {
  // If it were not marked handled, the rejection would fail this test.
  const promise = Promise.reject(new Error("started too early"));
  assert.throws(
    () => retry(promise as never),
    (error: Error) =>
      error instanceof TypeError &&
      /^Cannot retry: 'fn' must be a function, not a promise: pass a function .*\(\) => work\(\)/
        .test(error.message),
  );
});

Deno.test("retry() a backoff or random source that returns nonsense fails clearly", async () => {
  const { fn } = flaky(10);
  await assert.rejects(
    onClock(() => retry(fn, { backoff: () => -1 })),
    /^RangeError: Cannot retry: 'backoff' must return a non-negative number: current value is -1$/,
  );
  await assert.rejects(
    onClock(() => retry(fn, { random: () => 1 })),
    /^RangeError: Cannot retry: 'random' must return a number in \[0, 1\): current value is 1$/,
  );
  // An infinite delay with no deadline: no attempt can follow, so give up.
  const infinite = flaky(10);
  assert.equal(
    await onClock(() =>
      retry(infinite.fn, { backoff: () => Infinity, maxDelay: Infinity })
    ).catch((e) => e),
    infinite.errors[0],
  );
});
