// Copyright the corral authors. MIT license.
// Tests of CancelScope.signal: rules 5 and 7 of docs/rules.md.
import assert from "node:assert/strict";
import { CancelScope } from "./cancel_scope.ts";
import { Cancelled } from "./cancelled.ts";
import { checkpoint, sleepForever } from "./checkpoint.ts";
import { MockClock } from "./mock_clock.ts";
import { assertCancelled, testUnderEachParent } from "./_test_parents.ts";

/**
 * Stands in for `fetch(url, { signal })`: foreign promise code that
 * rejects with `signal.reason` when the signal aborts.
 */
function foreignWork(signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), {
      once: true,
    });
    void resolve; // never finishes on its own
  });
}

Deno.test("CancelScope.signal is made once and aborts with scope.reason", async () => {
  const scope = new CancelScope({ name: "signalled" });
  const signal = scope.signal;
  assert.equal(scope.signal, signal, "the same signal on every read");
  assert.equal(signal.aborted, false);
  await scope.run(async () => {
    scope.cancel("why");
    assert.ok(signal.aborted, "aborted at once, before any checkpoint");
    assert.ok(signal.reason instanceof Cancelled);
    assert.equal(signal.reason, scope.reason);
    assert.equal(await assertCancelled(checkpoint()), signal.reason);
    await checkpoint();
  });
  assert.ok(signal.aborted, "stays aborted after exit");
});

Deno.test("CancelScope.signal read after the cancellation is already aborted", async () => {
  // The signal is lazy: a scope whose signal nobody read has none, and one
  // made later must still show the cancellation.
  const scope = new CancelScope({ name: "lazy" });
  await scope.run(async () => {
    scope.cancel("before the read");
    const signal = scope.signal;
    assert.ok(signal.aborted);
    assert.equal(signal.reason, scope.reason);
    await checkpoint();
  });
  const exited = new CancelScope();
  await exited.run(() => exited.cancel());
  assert.ok(exited.signal.aborted);
  assert.equal(exited.signal.reason, exited.reason);

  const parent = new CancelScope({ name: "parent" });
  await parent.run(() =>
    new CancelScope({ name: "child" }).run((child) => {
      parent.cancel();
      assert.ok(child.signal.aborted);
      assert.equal(child.signal.reason, parent.reason);
    })
  );
});

Deno.test("CancelScope.signal aborts when the deadline passes", async () => {
  const clock = new MockClock();
  await clock.run(async () => {
    const scope = new CancelScope({ name: "timed", timeout: 100 });
    await scope.run(async () => {
      const signal = scope.signal;
      clock.advance(99);
      assert.equal(signal.aborted, false);
      clock.advance(1);
      assert.ok(signal.aborted);
      assert.equal((signal.reason as Cancelled).source, "deadline");
      assert.equal(signal.reason, scope.reason);
      await checkpoint();
    });
    assert.ok(scope.cancelCaught);
  });
});

testUnderEachParent(
  "rule 5: foreign code rejecting with signal.reason is absorbed by the owning scope",
  async () => {
    // rule 5 of docs/rules.md: fetch(url, { signal }) rejects with the Cancelled and
    // the owning scope recognises it.
    const scope = new CancelScope({ name: "fetching" });
    let afterFetch = false;
    const result = await scope.run(async () => {
      const pending = foreignWork(scope.signal);
      scope.cancel("user left");
      await pending; // a plain await: the rejection alone ends the body
      afterFetch = true;
    });
    assert.equal(result, undefined);
    assert.equal(afterFetch, false);
    assert.ok(scope.cancelCaught);

    // Through an inner scope's own signal, an outer cancellation reaches the
    // foreign code and the outer scope owns the rejection (rule 3).
    const outer = new CancelScope({ name: "outer" });
    const inner = new CancelScope({ name: "inner" });
    await outer.run(async () => {
      await inner.run(async () => {
        const pending = foreignWork(inner.signal);
        outer.cancel("outer");
        const error = await pending.catch((error) => error);
        assert.equal(error, outer.reason);
        throw error;
      });
      assert.fail("the outer cancellation passes the inner scope");
    });
    assert.ok(outer.cancelCaught);
    assert.equal(inner.cancelCaught, false);
  },
);

testUnderEachParent(
  "rule 7: a shielded scope's signal stays unaborted while only an ancestor is cancelled",
  async () => {
    const outer = new CancelScope({ name: "outer" });
    const shielded = new CancelScope({ name: "shielded", shield: true });
    const nested = new CancelScope({ name: "nested" });
    await outer.run(() =>
      shielded.run(() =>
        nested.run(async () => {
          const signal = shielded.signal;
          outer.cancel("outer");
          assert.ok(outer.signal.aborted);
          assert.equal(signal.aborted, false);
          assert.equal(nested.signal.aborted, false);
          await checkpoint(); // no throw inside the shield

          shielded.shield = false; // lowered: the ancestor's cancel arrives
          assert.ok(signal.aborted);
          assert.equal(signal.reason, outer.reason);
          assert.ok(nested.signal.aborted);
          assert.equal(nested.signal.reason, outer.reason);
          await checkpoint();
        })
      )
    );
    assert.ok(outer.cancelCaught);
  },
);

testUnderEachParent(
  "rule 7: a shielded scope's signal aborts on its own cancellation",
  async () => {
    const outer = new CancelScope({ name: "outer" });
    const shielded = new CancelScope({ name: "shielded", shield: true });
    await outer.run(() =>
      shielded.run(async () => {
        outer.cancel();
        assert.equal(shielded.signal.aborted, false);
        shielded.cancel("own");
        assert.ok(shielded.signal.aborted);
        assert.equal((shielded.signal.reason as Cancelled).reason, "own");
        await sleepForever();
      })
    );
    assert.ok(shielded.cancelCaught);
  },
);

testUnderEachParent(
  "CancelScope.signal fires its abort event once, however many causes",
  async () => {
    // Stand-in for trio: test_run.py::test_slow_abort_edge_cases ("the abort
    // callback runs once even if two enclosing scopes are cancelled")
    // (docs/semantics.md #55)
    const outer = new CancelScope({ name: "outer" });
    const middle = new CancelScope({ name: "middle" });
    const inner = new CancelScope({ name: "inner" });
    let aborts = 0;
    await outer.run(() =>
      middle.run(() =>
        inner.run(async () => {
          inner.signal.addEventListener("abort", () => aborts++);
          middle.cancel();
          outer.cancel();
          inner.cancel();
          middle.deadline = -Infinity;
          await checkpoint();
        })
      )
    );
    assert.equal(aborts, 1);
    assert.ok(outer.cancelCaught);
  },
);

testUnderEachParent(
  "CancelScope.signal listeners see the whole tree already cancelled",
  async () => {
    // cancel_scope.ts #recalculate: waiters and signals are told only after
    // the walk, so an abort listener never sees a half-updated tree.
    const outer = new CancelScope({ name: "outer" });
    const inner = new CancelScope({ name: "inner" });
    const seen: string[] = [];
    await outer.run(() =>
      inner.run(async () => {
        outer.signal.addEventListener("abort", () => {
          seen.push(String(inner));
          seen.push(String(inner.reason === outer.reason));
        });
        outer.cancel();
        await checkpoint();
      })
    );
    assert.deepEqual(seen, [
      'CancelScope "inner" (active, cancelled by an enclosing scope)',
      "true",
    ]);
  },
);

Deno.test("CancelScope.signal listener may cancel other scopes", async () => {
  // User code runs inside the delivery; a nested cancel must work.
  const a = new CancelScope({ name: "a" });
  const b = new CancelScope({ name: "b" });
  await Promise.all([
    a.run(() => sleepForever()),
    b.run(async () => {
      a.signal.addEventListener("abort", () => b.cancel("because a"));
      a.cancel();
      await sleepForever();
    }),
  ]);
  assert.ok(a.cancelCaught && b.cancelCaught);
  assert.equal(b.reason?.reason, "because a");
});
