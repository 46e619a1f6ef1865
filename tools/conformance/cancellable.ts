// Copyright the corral authors. MIT license.
/**
 * The cancellation contract (rules 1, 3, 4, 5, 6, 7 of docs/rules.md), written once
 * and applied to every kind in `kinds.ts`. Each row of the table is
 * `<kind>: <behaviour>`.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Cancelled,
  CancelScope,
  checkpoint,
  currentEffectiveDeadline,
  now,
  shielded,
  sleep,
  sleepForever,
  sleepUntil,
} from "@corral/scope";
import { test } from "./harness.ts";
import { type Handle, type Kind, kinds, onMockClock } from "./kinds.ts";

/** Awaits `wait()` and returns what it threw; fails if it did not throw. */
async function thrownBy(wait: () => Promise<unknown>): Promise<unknown> {
  try {
    await wait();
  } catch (error) {
    return error;
  }
  assert.fail("expected the checkpoint to throw");
}

function assertCancelled(
  error: unknown,
  reason: unknown,
  source: Cancelled["source"],
): asserts error is Cancelled {
  assert.ok(error instanceof Cancelled, `not a Cancelled: ${error}`);
  assert.equal(error.name, "Cancelled");
  assert.equal(error.reason, reason);
  assert.equal(error.source, source);
}

function contract(kind: Kind): void {
  const each = (what: string, fn: () => Promise<void>) =>
    test(`${kind.name}: ${what}`, fn, { needs: kind.needs });

  each(
    "cancel(reason) makes every checkpoint throw Cancelled (rule 1, 5)",
    async () => {
      let handle!: Handle;
      const thrown: unknown[] = [];
      const outcome = await onMockClock(() =>
        kind.run(async (h) => {
          handle = h;
          h.cancel("stop");
          for (
            const wait of [
              () => checkpoint(),
              () => sleep(0),
              () => sleep(10),
              () => sleepUntil(now() + 10),
              () => sleepForever(),
            ]
          ) {
            thrown.push(await thrownBy(wait));
          }
          throw thrown[0];
        })
      );
      assert.equal(outcome, undefined);
      assert.equal(thrown.length, 5);
      for (const error of thrown) {
        assertCancelled(error, "stop", "explicit");
        assert.equal(error, handle.scope.reason, "the scope's own Cancelled");
      }
    },
  );

  each(
    "level-triggered: a swallowed Cancelled is thrown again at the next checkpoint (rule 1)",
    async () => {
      let handle!: Handle;
      const thrown: unknown[] = [];
      let after = 0;
      const outcome = await onMockClock(() =>
        kind.run(async (h) => {
          handle = h;
          h.cancel("again");
          for (let i = 0; i < 3; i++) {
            thrown.push(await thrownBy(() => sleep(1_000)));
            // A plain await is not a checkpoint (rule 2): code runs on.
            await Promise.resolve();
            after++;
          }
          assert.ok(h.scope.signal.aborted, "the signal stays aborted");
          await checkpoint();
          assert.fail("the fourth checkpoint did not throw");
        })
      );
      assert.equal(outcome, undefined);
      assert.equal(after, 3);
      assert.equal(thrown.length, 3);
      for (const error of thrown) {
        assertCancelled(error, "again", "explicit");
        assert.equal(error, thrown[0], "the same Cancelled every time");
      }
      assert.ok(handle.scope.cancelCaught);
    },
  );

  each(
    "its signal, read before the cancel, aborts with the same Cancelled (rule 5)",
    async () => {
      const events: unknown[] = [];
      let signal!: AbortSignal;
      let thrown: unknown;
      await onMockClock(() =>
        kind.run(async (h) => {
          signal = h.scope.signal;
          assert.equal(signal.aborted, false);
          signal.addEventListener("abort", () => events.push(signal.reason));
          h.cancel("why");
          assert.equal(signal.aborted, true, "aborted as soon as cancelled");
          thrown = await thrownBy(checkpoint);
          throw thrown;
        })
      );
      assertCancelled(thrown, "why", "explicit");
      assert.equal(signal.reason, thrown);
      assert.deepEqual(events, [thrown], "one abort event");
    },
  );

  each(
    "its signal, read after the cancel, is already aborted with the same Cancelled (rule 5)",
    async () => {
      let thrown: unknown;
      let signal!: AbortSignal;
      await onMockClock(() =>
        kind.run(async (h) => {
          h.cancel("late reader");
          signal = h.scope.signal;
          assert.equal(signal.aborted, true);
          thrown = await thrownBy(checkpoint);
          throw thrown;
        })
      );
      assertCancelled(thrown, "late reader", "explicit");
      assert.equal(signal.reason, thrown);
    },
  );

  each(
    "foreign code that rejects with signal.reason is absorbed as its cancellation (rule 5)",
    async () => {
      let handle!: Handle;
      const outcome = await onMockClock(() =>
        kind.run(async (h) => {
          handle = h;
          const { signal } = h.scope;
          // What `fetch(url, { signal })` does: reject with signal.reason.
          const foreign = new Promise((_, reject) =>
            signal.addEventListener("abort", () => reject(signal.reason))
          );
          h.cancel("client left");
          await foreign;
          return "not reached";
        })
      );
      assert.equal(outcome, undefined);
      assert.ok(handle.scope.cancelCaught);
    },
  );

  each(
    "cancelCalled is true at once, cancelCaught only once it absorbed (rule 4)",
    async () => {
      let handle!: Handle;
      const seen: boolean[] = [];
      await onMockClock(() =>
        kind.run(async (h) => {
          handle = h;
          seen.push(h.scope.cancelCalled, h.scope.cancelCaught);
          // Always a reason: `AbortController.abort()` would make one up.
          h.cancel("done");
          seen.push(h.scope.cancelCalled, h.scope.cancelCaught);
          try {
            await checkpoint();
          } finally {
            seen.push(h.scope.cancelCaught);
          }
        })
      );
      assert.deepEqual(seen, [false, false, true, false, false]);
      assert.equal(handle.scope.cancelCalled, true);
      assert.equal(handle.scope.cancelCaught, true);
      assertCancelled(handle.scope.reason, "done", "explicit");
    },
  );

  each(
    "a cancel after the last checkpoint is never delivered (rule 4)",
    async () => {
      let handle!: Handle;
      const outcome = await onMockClock(() =>
        kind.run(async (h) => {
          handle = h;
          await checkpoint();
          h.cancel("too late");
          return "value";
        })
      );
      assert.equal(outcome, "value");
      assert.equal(handle.scope.cancelCalled, true);
      assert.equal(handle.scope.cancelCaught, false);
    },
  );

  each("the first cause wins (rule 5)", async () => {
    let thrown: unknown;
    await onMockClock(() =>
      kind.run(async (h) => {
        h.cancel("first");
        h.cancel("second");
        h.scope.deadline = now();
        thrown = await thrownBy(checkpoint);
        throw thrown;
      })
    );
    assertCancelled(thrown, "first", "explicit");
  });

  each(
    'a deadline on its scope cancels it with source "deadline" (rule 4, 6)',
    async () => {
      let handle!: Handle;
      let thrown: unknown;
      let at = -1;
      await onMockClock((clock) =>
        kind.run(async (h) => {
          handle = h;
          h.scope.deadline = now() + 1_000;
          assert.equal(currentEffectiveDeadline(), now() + 1_000);
          thrown = await thrownBy(() => sleep(5_000));
          at = clock.now();
          throw thrown;
        })
      );
      assertCancelled(thrown, undefined, "deadline");
      assert.equal(at, 1_000);
      assert.ok(handle.scope.cancelCalled && handle.scope.cancelCaught);
    },
  );

  each(
    "a deadline equal to now() has passed: cancelCalled at once (rule 4)",
    async () => {
      await onMockClock(() =>
        kind.run(async (h) => {
          h.scope.deadline = now();
          assert.equal(h.scope.cancelCalled, true);
          assertCancelled(await thrownBy(checkpoint), undefined, "deadline");
          await checkpoint();
        })
      );
    },
  );

  each(
    "cancelled through an enclosing scope: cancelCalled stays false, the enclosing scope absorbs (rule 3, 4)",
    async () => {
      const outer = new CancelScope({ name: "outer" });
      let handle!: Handle;
      let thrown: unknown;
      const outcome = await onMockClock(() =>
        outer.run(() =>
          kind.run(async (h) => {
            handle = h;
            outer.cancel("outer reason");
            thrown = await thrownBy(checkpoint);
            throw thrown;
          })
        )
      );
      assert.equal(outcome, undefined);
      assertCancelled(thrown, "outer reason", "explicit");
      assert.equal(thrown, outer.reason);
      assert.equal(handle.scope.reason, outer.reason, "sees the outer reason");
      assert.equal(handle.scope.cancelCalled, false);
      assert.equal(handle.scope.cancelCaught, false);
      assert.equal(outer.cancelCaught, true);
    },
  );

  each(
    "a scope nested in it sees its reason and lets its Cancelled pass (rule 3, 5)",
    async () => {
      const inner = new CancelScope({ name: "inner" });
      let handle!: Handle;
      let thrown: unknown;
      const outcome = await onMockClock(() =>
        kind.run((h) => {
          handle = h;
          return inner.run(async () => {
            const signal = inner.signal;
            h.cancel("from outside");
            assert.equal(signal.reason, h.scope.reason);
            thrown = await thrownBy(() => sleep(1));
            throw thrown;
          });
        })
      );
      assert.equal(outcome, undefined);
      assertCancelled(thrown, "from outside", "explicit");
      assert.equal(inner.reason, handle.scope.reason);
      assert.equal(inner.cancelCalled, false);
      assert.equal(inner.cancelCaught, false);
      assert.equal(handle.scope.cancelCaught, true);
    },
  );

  each(
    "a shield inside it keeps its cancellation out, but not the shielded scope's own (rule 7)",
    async () => {
      const shield = new CancelScope({ shield: true, name: "shield" });
      const log: string[] = [];
      await onMockClock(() =>
        kind.run(async (h) => {
          await shield.run(async () => {
            h.cancel("outside");
            await checkpoint();
            await sleep(10);
            assert.equal(shield.signal.aborted, false);
            assert.equal(currentEffectiveDeadline(), Infinity);
            log.push("shielded work ran");
            assert.equal(await shielded(() => sleep(5).then(() => "ok")), "ok");
            shield.cancel("own");
            assertCancelled(await thrownBy(checkpoint), "own", "explicit");
            log.push("own cancel delivered");
            await checkpoint();
          });
          log.push(`shield absorbed: ${shield.cancelCaught}`);
          assertCancelled(await thrownBy(checkpoint), "outside", "explicit");
          log.push("outside cancel delivered after the shield");
          await checkpoint();
        })
      );
      assert.deepEqual(log, [
        "shielded work ran",
        "own cancel delivered",
        "shield absorbed: true",
        "outside cancel delivered after the shield",
      ]);
    },
  );

  each(
    "lowering a shield inside it lets its cancellation in (rule 7)",
    async () => {
      const shield = new CancelScope({ shield: true, name: "shield" });
      let handle!: Handle;
      let thrown: unknown;
      const outcome = await onMockClock(() =>
        kind.run((h) => {
          handle = h;
          return shield.run(async () => {
            const signal = shield.signal;
            h.cancel("let in");
            await checkpoint();
            assert.equal(signal.aborted, false);
            shield.shield = false;
            assert.equal(signal.aborted, true, "aborts when the shield drops");
            assert.equal(currentEffectiveDeadline(), -Infinity);
            thrown = await thrownBy(checkpoint);
            throw thrown;
          });
        })
      );
      assert.equal(outcome, undefined);
      assertCancelled(thrown, "let in", "explicit");
      assert.equal(shield.signal.reason, thrown);
      assert.equal(shield.cancelCaught, false);
      assert.equal(handle.scope.cancelCaught, true);
    },
  );
}

for (const kind of kinds) contract(kind);
