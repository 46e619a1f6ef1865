// Copyright the corral authors. MIT license.
// Tests of the plumbing's watchCancellation / unwatchCancellation: an
// observer object told once when its scope is cancelled, unregistered in
// O(1) (rule 17 of docs/rules.md: one registration on the scope per wait,
// removed in O(1), never a listener on an AbortSignal, never a timer).
import assert from "node:assert/strict";
import { CancelScope } from "./cancel_scope.ts";
import type { Cancelled } from "./cancelled.ts";
import { sleepForever } from "./checkpoint.ts";
import { MockClock } from "./mock_clock.ts";
import {
  CancellationObserver,
  onCancelled,
  park,
  pendingDeadlines,
  unwatchCancellation,
  watchCancellation,
} from "./plumbing.ts";
import { testUnderEachParent } from "./_test_parents.ts";

/** Records what it was told, in a log shared with other observers. */
class Recorder extends CancellationObserver {
  constructor(
    readonly name: string,
    readonly log: string[],
    readonly then?: (cancelled: Cancelled) => void,
  ) {
    super();
  }
  seen: Cancelled[] = [];
  cancelled(cancelled: Cancelled): void {
    this.seen.push(cancelled);
    this.log.push(this.name);
    this.then?.(cancelled);
  }
}

testUnderEachParent(
  "watchCancellation: told once, with the scope's Cancelled, and no longer watching",
  async () => {
    const log: string[] = [];
    const observer = new Recorder("a", log);
    const scope = new CancelScope({ name: "watched" });
    await scope.run(() => {
      assert.equal(observer.watching, false);
      assert.equal(watchCancellation(scope, observer), true);
      assert.equal(observer.watching, true);
      assert.deepEqual(log, [], "not told before the cancel");
      scope.cancel("why");
      assert.deepEqual(log, ["a"], "told synchronously, inside cancel()");
      assert.equal(observer.watching, false);
      assert.equal(observer.seen[0], scope.reason);
      assert.equal(observer.seen[0]?.reason, "why");
      scope.cancel("again");
    });
    assert.deepEqual(log, ["a"], "told once");
  },
);

testUnderEachParent(
  "watchCancellation: a scope already cancelled tells the observer at once and does not register it",
  async () => {
    const log: string[] = [];
    const observer = new Recorder("a", log);
    const scope = new CancelScope();
    await scope.run(() => {
      scope.cancel("early");
      assert.equal(watchCancellation(scope, observer), false);
      assert.deepEqual(log, ["a"]);
      assert.equal(observer.seen[0]?.reason, "early");
      assert.equal(observer.watching, false);
      assert.equal(unwatchCancellation(observer), false);
    });
    assert.deepEqual(log, ["a"]);
  },
);

testUnderEachParent(
  "unwatchCancellation: the observer is not told; harmless twice or unregistered",
  async () => {
    const log: string[] = [];
    const watched = new Recorder("watched", log);
    const never = new Recorder("never", log);
    const scope = new CancelScope();
    await scope.run(() => {
      assert.equal(unwatchCancellation(never), false, "never registered");
      watchCancellation(scope, watched);
      assert.equal(unwatchCancellation(watched), true);
      assert.equal(unwatchCancellation(watched), false);
      assert.equal(watched.watching, false);
      scope.cancel();
    });
    assert.deepEqual(log, []);
  },
);

testUnderEachParent(
  "watchCancellation: many observers of one scope are told oldest first; any of them can leave",
  async () => {
    const log: string[] = [];
    const observers = ["a", "b", "c", "d", "e"].map((n) =>
      new Recorder(n, log)
    );
    const scope = new CancelScope();
    await scope.run(() => {
      for (const observer of observers) watchCancellation(scope, observer);
      unwatchCancellation(observers[0]!); // the first
      unwatchCancellation(observers[2]!); // one in the middle
      unwatchCancellation(observers[4]!); // the last
      scope.cancel();
    });
    assert.deepEqual(log, ["b", "d"]);
  },
);

testUnderEachParent(
  "watchCancellation: after every observer left, a new one is still told (the scope's callback comes back)",
  async () => {
    const log: string[] = [];
    const scope = new CancelScope();
    await scope.run(() => {
      for (let round = 0; round < 3; round++) {
        const observer = new Recorder(`gone ${round}`, log);
        watchCancellation(scope, observer);
        unwatchCancellation(observer);
      }
      watchCancellation(scope, new Recorder("last", log));
      scope.cancel();
    });
    assert.deepEqual(log, ["last"]);
  },
);

testUnderEachParent(
  "watchCancellation: an observer can watch again once told or unwatched, another scope too",
  async () => {
    const log: string[] = [];
    const observer = new Recorder("a", log);
    const first = new CancelScope(), second = new CancelScope();
    await first.run(() =>
      second.run(() => {
        watchCancellation(first, observer);
        unwatchCancellation(observer);
        watchCancellation(second, observer);
        first.cancel("first"); // reaches `second` through its parent
        assert.deepEqual(log, ["a"]);
        assert.equal(observer.seen[0]?.reason, "first");
      })
    );
    const third = new CancelScope();
    await third.run(() => {
      watchCancellation(third, observer);
      third.cancel("third");
    });
    assert.deepEqual(observer.seen.map((c) => c.reason), ["first", "third"]);
  },
);

Deno.test("watchCancellation: an observer already watching is an Error, and its registration stays", async () => {
  const log: string[] = [];
  const observer = new Recorder("a", log);
  const scope = new CancelScope(), other = new CancelScope();
  await scope.run(() =>
    other.run(() => {
      watchCancellation(scope, observer);
      assert.throws(
        () => watchCancellation(other, observer),
        (error) =>
          error instanceof Error && /already watching/.test(error.message),
      );
      assert.throws(() => watchCancellation(scope, observer), Error);
      other.cancel();
      assert.deepEqual(log, [], "not registered with the other scope");
      scope.cancel();
      assert.deepEqual(log, ["a"], "told once by its own scope");
    })
  );
});

Deno.test("watchCancellation: an enclosing scope's cancel reaches the observer, a shield stops it until it is lowered", async () => {
  const log: string[] = [];
  const outer = new CancelScope(), shield = new CancelScope({ shield: true });
  await outer.run(() =>
    shield.run(() => {
      watchCancellation(shield, new Recorder("shielded", log));
      outer.cancel("outer");
      assert.deepEqual(log, [], "the shield hides the outer cancel");
      shield.shield = false;
      assert.deepEqual(log, ["shielded"]);
    })
  );
});

Deno.test("watchCancellation: a deadline tells the observer when it passes, and costs no timer of its own", async () => {
  const clock = new MockClock();
  const log: string[] = [];
  await clock.run(async () => {
    const scope = new CancelScope({ timeout: 10 });
    await scope.run(async () => {
      const pending = pendingDeadlines(scope);
      watchCancellation(scope, new Recorder("deadline", log));
      assert.equal(pendingDeadlines(scope), pending, "no timer added");
      clock.advance(9);
      assert.deepEqual(log, []);
      const waiting = sleepForever();
      clock.advance(1);
      assert.deepEqual(log, ["deadline"]);
      await waiting;
    });
    assert.ok(scope.cancelCaught);
  });
});

Deno.test("watchCancellation: a deadline that passed before its timer ran is seen when watching", async () => {
  const clock = new MockClock();
  const log: string[] = [];
  await clock.run(async () => {
    const scope = new CancelScope({ timeout: 10 });
    await scope.run(() => {
      clock.advance(10); // the timer has not run: no macrotask yet
      assert.equal(
        watchCancellation(scope, new Recorder("late", log)),
        false,
      );
      assert.deepEqual(log, ["late"]);
    });
  });
});

Deno.test("watchCancellation: an observer unwatched by an earlier one's cancelled() is not told", async () => {
  const log: string[] = [];
  const scope = new CancelScope();
  const second = new Recorder("second", log);
  const first = new Recorder("first", log, () => unwatchCancellation(second));
  await scope.run(() => {
    watchCancellation(scope, first);
    watchCancellation(scope, second);
    watchCancellation(scope, new Recorder("third", log));
    scope.cancel();
  });
  assert.deepEqual(log, ["first", "third"]);
});

Deno.test("watchCancellation: an observer watching from inside cancelled() is told at once", async () => {
  const log: string[] = [];
  const scope = new CancelScope();
  const late = new Recorder("late", log);
  const first = new Recorder("first", log, () => {
    assert.equal(watchCancellation(scope, late), false);
  });
  await scope.run(() => {
    watchCancellation(scope, first);
    scope.cancel();
  });
  assert.deepEqual(log, ["first", "late"]);
  assert.equal(late.watching, false);
});

Deno.test("watchCancellation: an observer that throws does not stop the others; its error is reported as uncaught", async () => {
  const log: string[] = [];
  const uncaught: unknown[] = [];
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    uncaught.push(event.error);
  };
  globalThis.addEventListener("error", onError);
  try {
    const scope = new CancelScope();
    const boom = new Error("boom");
    await scope.run(() => {
      watchCancellation(
        scope,
        new Recorder("throws", log, () => {
          throw boom;
        }),
      );
      watchCancellation(scope, new Recorder("after", log));
      scope.cancel();
      assert.deepEqual(log, ["throws", "after"]);
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(uncaught, [boom]);
  } finally {
    globalThis.removeEventListener("error", onError);
  }
});

Deno.test("watchCancellation: observers, onCancelled callbacks and parked waits of one scope are all told", async () => {
  const log: string[] = [];
  const scope = new CancelScope();
  await scope.run(async () => {
    watchCancellation(scope, new Recorder("observer", log));
    onCancelled(scope, () => log.push("callback"));
    const parked = park<void>(() => () => log.push("parked"));
    scope.cancel();
    await parked;
  });
  assert.deepEqual(log.toSorted(), ["callback", "observer", "parked"]);
  assert.ok(scope.cancelCaught);
});

Deno.test("watchCancellation: an observer still registered when its scope exits is never told", async () => {
  const log: string[] = [];
  const scope = new CancelScope();
  const observer = new Recorder("left behind", log);
  await scope.run(() => {
    watchCancellation(scope, observer);
  });
  scope.cancel();
  assert.deepEqual(log, []);
  unwatchCancellation(observer); // harmless after the exit
  assert.equal(observer.watching, false);
});

Deno.test("watchCancellation: 10,000 observers of one scope leave one by one in O(1) and the last is told", async () => {
  const log: string[] = [];
  const scope = new CancelScope();
  const observers = Array.from(
    { length: 10_000 },
    (_, i) => new Recorder(String(i), log),
  );
  await scope.run(() => {
    for (const observer of observers) watchCancellation(scope, observer);
    // From the middle outwards: every unlink touches only its neighbours.
    for (let i = 0; i < observers.length - 1; i++) {
      unwatchCancellation(observers[(i * 7919) % (observers.length - 1)]!);
    }
    scope.cancel();
  });
  assert.deepEqual(log, [String(observers.length - 1)]);
});

Deno.test("watchCancellation: a shield raised by an earlier observer's cancelled() does not leave a later one registered nowhere", async () => {
  const log: string[] = [];
  const outer = new CancelScope(), inner = new CancelScope();
  const later = new Recorder("later", log);
  await outer.run(() =>
    inner.run(() => {
      watchCancellation(
        inner,
        new Recorder("raises the shield", log, () => (inner.shield = true)),
      );
      watchCancellation(inner, later);
      outer.cancel();
    })
  );
  assert.deepEqual(log, ["raises the shield", "later"]);
  assert.equal(later.watching, false);
});
