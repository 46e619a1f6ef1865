// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import { CancelScope, moveOnAfter, shielded, sleep } from "@corral/scope";
import { MockClock } from "@corral/scope/testing";
import {
  formatTimeout,
  parseTimeout,
  remainingTime,
  TIMEOUT_HEADER,
  TIMEOUT_HEADERS,
  type TimeoutHeader,
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

Deno.test("parseTimeout() reads grpc-timeout: 1 to 8 digits and a unit H M S m u n", () => {
  for (
    const [value, expected] of [
      ["0n", 0],
      ["1H", 3_600_000],
      ["2M", 120_000],
      ["3S", 3_000],
      ["400m", 400],
      ["1500u", 1.5],
      ["20000000n", 20],
      ["99999999H", 99_999_999 * 3_600_000],
    ] as const
  ) {
    assert.equal(parseTimeout(value, "grpc-timeout"), expected, value);
  }
});

Deno.test("parseTimeout() reads connect-timeout-ms: 1 to 10 digits", () => {
  assert.equal(parseTimeout("250", "connect-timeout-ms"), 250);
  assert.equal(parseTimeout("9999999999", "connect-timeout-ms"), 9_999_999_999);
});

Deno.test("parseTimeout() refuses the same hostile values in every format", () => {
  const hostile = [
    "",
    "-5",
    "-5S",
    "+5",
    "NaN",
    "Infinity",
    "1e309", // Infinity as a number
    "1.5",
    "1.5S",
    "0x10",
    " 15",
    "15 ",
    "10, 20", // sent twice
    "10S, 20S",
    "8".repeat(8_000), // 8,000 digits
    "8".repeat(8_000) + "S",
    "123456789S", // 9 digits: too long for gRPC
    "99999999999", // 11 digits
    "5X", // unknown units
    "5s",
    "5ms",
    "5h",
    "S",
    "١٢٣",
  ];
  for (const header of TIMEOUT_HEADERS) {
    for (const value of hostile) {
      assert.equal(
        parseTimeout(value, header),
        undefined,
        `${header}: ${value}`,
      );
    }
    assert.equal(parseTimeout(null, header), undefined);
    assert.equal(parseTimeout(42 as unknown as string, header), undefined);
  }
  // Our formats take no unit; gRPC's needs one.
  assert.equal(parseTimeout("5", "grpc-timeout"), undefined);
  assert.equal(parseTimeout("5S"), undefined);
  assert.equal(parseTimeout("5S", "connect-timeout-ms"), undefined);
});

Deno.test("formatTimeout() writes grpc-timeout in the finest unit that fits 8 digits, rounded down", () => {
  for (
    const [ms, expected] of [
      [0, "0n"],
      [-1, "0n"],
      [-Infinity, "0n"],
      [0.0000005, "0n"],
      [1.5, "1500000n"],
      [20, "20000000n"],
      [99.9999999, "99999999n"],
      [100, "100000u"],
      [1_500, "1500000u"],
      [30_000, "30000000u"],
      [100_000, "100000m"],
      [86_400_000, "86400000m"],
      [100_000_000, "100000S"],
      [Infinity, "99999999H"],
      [1e300, "99999999H"],
    ] as const
  ) {
    const value = formatTimeout(ms, "grpc-timeout");
    assert.equal(value, expected, String(ms));
    const back = parseTimeout(value, "grpc-timeout")!;
    assert.ok(back <= Math.max(0, ms), `never more time than given: ${ms}`);
  }
  assert.equal(formatTimeout(1234.9, "connect-timeout-ms"), "1234");
  assert.equal(formatTimeout(Infinity, "connect-timeout-ms"), "9999999999");
});

Deno.test("formatTimeout() and parseTimeout() throw for bad arguments", () => {
  for (const bad of [undefined, null, "5", {}]) {
    assert.throws(() => formatTimeout(bad as unknown as number), {
      name: "TypeError",
      message:
        /^Cannot format timeout: 'ms' must be a number: current value is /,
    });
  }
  for (const header of ["x-timeout", null, 5]) {
    assert.throws(
      () => formatTimeout(5, header as unknown as TimeoutHeader),
      {
        name: "TypeError",
        message:
          /^Cannot format timeout: 'header' must be "corral-timeout", "grpc-timeout" or "connect-timeout-ms": current value is /,
      },
    );
    assert.throws(() => parseTimeout("5", header as unknown as TimeoutHeader), {
      name: "TypeError",
      message: /^Cannot parse timeout: 'header' must be /,
    });
  }
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
