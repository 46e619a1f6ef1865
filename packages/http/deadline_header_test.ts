// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import { CancelScope, moveOnAfter, shielded, sleep } from "@corral/scope";
import { MockClock } from "@corral/scope/testing";
import {
  formatTimeout,
  parseTimeout,
  remainingTime,
  TIMEOUT_HEADER,
} from "./deadline_header.ts";

Deno.test("parseTimeout() accepts 1 to 10 ASCII digits of milliseconds", () => {
  assert.equal(TIMEOUT_HEADER, "corral-timeout");
  for (
    const [value, expected] of [
      ["0", 0],
      ["1", 1],
      ["1500", 1500],
      ["0042", 42],
      ["9999999999", 9_999_999_999],
    ] as const
  ) {
    assert.equal(parseTimeout(value), expected, value);
  }
});

Deno.test("parseTimeout() ignores malformed and hostile values", () => {
  const hostile = [
    "", // empty
    "-5", // negative
    "+5", // signed
    "NaN",
    "Infinity",
    "1.5", // fractional
    "1e3", // exponent
    "0x10", // hex
    " 15", // spaces (a Headers object trims them; a raw value may not)
    "15 ",
    "5S", // a gRPC unit: not our format
    "100ms",
    "10, 20", // the header sent twice, as Headers.get() joins it
    "10,20",
    "99999999999", // 11 digits: too long
    "1".repeat(400), // absurdly long
    "١٢٣", // non-ASCII digits
  ];
  for (const value of hostile) {
    assert.equal(parseTimeout(value), undefined, value);
  }
  assert.equal(parseTimeout(null), undefined);
  assert.equal(parseTimeout(undefined), undefined);
  assert.equal(parseTimeout(42 as unknown as string), undefined);
});

Deno.test("formatTimeout() rounds down and clamps to what parseTimeout() accepts", () => {
  assert.equal(formatTimeout(0), "0");
  assert.equal(formatTimeout(0.9), "0");
  assert.equal(formatTimeout(1234.99), "1234");
  assert.equal(formatTimeout(-50), "0");
  assert.equal(formatTimeout(-Infinity), "0");
  assert.equal(formatTimeout(Infinity), "9999999999");
  assert.equal(formatTimeout(1e20), "9999999999");
  for (const ms of [0, 1, 77, 86_400_000, Infinity]) {
    assert.notEqual(parseTimeout(formatTimeout(ms)), undefined);
  }
  assert.throws(() => formatTimeout(NaN), {
    name: "RangeError",
    message:
      "Cannot format timeout: 'ms' must not be NaN: current value is NaN",
  });
});

Deno.test("remainingTime() is the time to the effective deadline, stopping at shields", async () => {
  const clock = new MockClock({ autojump: true });
  await clock.run(async () => {
    assert.equal(remainingTime(), Infinity);
    await moveOnAfter(1_000, async () => {
      assert.equal(remainingTime(), 1_000);
      await sleep(250);
      assert.equal(remainingTime(), 750);
      await moveOnAfter(5_000, () => assert.equal(remainingTime(), 750));
      await shielded(() => assert.equal(remainingTime(), Infinity));
    });
    const scope = new CancelScope({ timeout: 100 });
    await scope.run(() => {
      scope.cancel();
      assert.equal(remainingTime(), 0, "0 once cancelled");
    });
  });
});
