// Copyright the corral authors. MIT license.
// Tests of the error classes Cancelled and TimeoutError (rule 5 of docs/rules.md).
import assert from "node:assert/strict";
import { CancelScope } from "./cancel_scope.ts";
import { Cancelled, TimeoutError } from "./cancelled.ts";
import { checkpoint } from "./checkpoint.ts";

Deno.test("Cancelled is an Error with name, source and reason", () => {
  // JS stand-in for trio: test_cancelled.py::test_Cancelled_init (semantics
  // #10). Trio hides the constructor and derives from BaseException so that
  // `except Exception` misses it; JS has one catch for everything, so
  // Cancelled is a plain Error subclass and level triggering (rule 1) is
  // what keeps a careless catch from stopping the cancellation.
  const cancelled = new Cancelled();
  assert.ok(cancelled instanceof Error);
  assert.equal(cancelled.name, "Cancelled");
  assert.equal(cancelled.source, "explicit");
  assert.equal(cancelled.reason, undefined);
  assert.equal(cancelled.message, "Scope was cancelled explicitly");
  assert.equal(String(cancelled), "Cancelled: Scope was cancelled explicitly");
  assert.ok(typeof cancelled.stack === "string");
});

Deno.test("Cancelled builds its message from its fields", () => {
  // trio: test_cancelled.py::test_cancel_reason ("cancelled due to explicit
  // with reason 'hello'") (docs/semantics.md #14)
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const cases: [ConstructorParameters<typeof Cancelled>[0], string][] = [
    [
      { source: "explicit", reason: "hello", scopeName: "job" },
      'Scope "job" was cancelled explicitly: hello',
    ],
    [
      { source: "deadline", scopeName: "req" },
      'Scope "req" was cancelled by its deadline',
    ],
    [
      { source: "group", reason: new RangeError("bad") },
      "Scope was cancelled by its task group: RangeError: bad",
    ],
    [{ reason: { code: 7 } }, 'Scope was cancelled explicitly: {"code":7}'],
    [{ reason: 42 }, "Scope was cancelled explicitly: 42"],
    [{ reason: null }, "Scope was cancelled explicitly: null"],
    [{ reason: circular }, "Scope was cancelled explicitly: [object Object]"],
    [{ reason: 10n }, "Scope was cancelled explicitly: 10"],
    [
      { reason: Symbol.for("why") },
      "Scope was cancelled explicitly: Symbol(why)",
    ],
  ];
  for (const [options, message] of cases) {
    const cancelled = new Cancelled(options);
    assert.equal(cancelled.message, message);
    assert.equal(cancelled.reason, options?.reason);
  }
});

Deno.test("Cancelled thrown by a checkpoint names the scope", async () => {
  const scope = new CancelScope({ name: "fetch-user" });
  let seen: unknown;
  await scope.run(async () => {
    scope.cancel(new Error("user logged out"));
    try {
      await checkpoint();
    } catch (error) {
      seen = error;
      throw error;
    }
  });
  assert.ok(seen instanceof Cancelled);
  assert.equal(
    seen.message,
    'Scope "fetch-user" was cancelled explicitly: Error: user logged out',
  );
  assert.equal(seen, scope.reason);
});

Deno.test("TimeoutError is an Error named TimeoutError that keeps its cause", () => {
  const timeout = new TimeoutError();
  assert.ok(timeout instanceof Error);
  assert.equal(timeout instanceof Cancelled, false);
  assert.equal(timeout.name, "TimeoutError");
  assert.equal(timeout.message, "Deadline exceeded");
  const cause = new Cancelled({ source: "deadline" });
  const withCause = new TimeoutError("Timed out after 5 ms", { cause });
  assert.equal(withCause.message, "Timed out after 5 ms");
  assert.equal(withCause.cause, cause);
});
