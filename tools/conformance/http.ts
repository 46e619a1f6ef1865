// Copyright the corral authors. MIT license.
/**
 * `@corral/http` on every runtime, without a server: a `handler()` called
 * with a `Request` reads the three deadline headers alike, refuses hostile
 * ones in its caller's protocol, and runs each request in a scope of its
 * own. (The servers themselves, Deno, Bun and Node, are tested in
 * `packages/http/runtimes_test.ts`.)
 *
 * @module
 */
import assert from "node:assert/strict";
import { sleepForever } from "@corral/scope";
import {
  formatTimeout,
  handler,
  parseTimeout,
  remainingTime,
} from "@corral/http";
import { test } from "./harness.ts";

test(
  "http: handler() takes the deadline from corral-timeout, grpc-timeout or connect-timeout-ms alike, capped by maxTimeout",
  async () => {
    const app = handler(
      (_request, { scope, timeout }) =>
        Response.json({ name: scope.name, timeout, left: remainingTime() }),
      { maxTimeout: 2_000 },
    );
    const formats: [Record<string, string>, number][] = [
      [{ "corral-timeout": "500" }, 500],
      [{ "grpc-timeout": "500m" }, 500],
      [{ "connect-timeout-ms": "500" }, 500],
      [{ "grpc-timeout": "1H" }, 2_000],
      [{}, 2_000],
    ];
    for (const [headers, expected] of formats) {
      const response = await app(
        new Request("http://example.com/a/b?c", { headers }),
      );
      const body = await response.json();
      assert.equal(body.name, "GET /a/b");
      assert.equal(body.timeout, expected);
      assert.ok(body.left <= expected && body.left > expected - 200);
    }
  },
);

test(
  "http: hostile deadline headers get their protocol's answer, and the deadline its own",
  async () => {
    let ran = 0;
    const app = handler(() => (ran++, sleepForever()), { maxTimeout: 5 });
    const send = (headers: Record<string, string>) =>
      app(new Request("http://example.com/", { method: "POST", headers }));
    for (const value of ["-1", "1e309", "8".repeat(8_000), "5X", "1, 2"]) {
      assert.equal((await send({ "corral-timeout": value })).status, 400);
      const connect = await send({ "connect-timeout-ms": value });
      assert.equal(connect.status, 400);
      assert.equal((await connect.json()).code, "invalid_argument");
      const grpc = await send({
        "grpc-timeout": value,
        "content-type": "application/grpc",
      });
      assert.equal(grpc.headers.get("grpc-status"), "3");
    }
    assert.equal(ran, 0);
    assert.equal((await send({})).status, 504);
    assert.equal(
      parseTimeout(formatTimeout(1_500, "grpc-timeout"), "grpc-timeout"),
      1_500,
    );
  },
);
