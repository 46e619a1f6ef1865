// Copyright the corral authors. MIT license.
// @corral/http as installed from its npm tarball: a fetch handler called
// directly with a Request, as Bun.serve, workers and Node adapters call it.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  formatTimeout,
  handler,
  parseTimeout,
  remainingTime,
  TIMEOUT_HEADER,
} from "@corral/http";

test("formatTimeout and parseTimeout round-trip the three deadline headers", () => {
  assert.equal(parseTimeout(formatTimeout(1500)), 1500);
  assert.equal(formatTimeout(1500, "grpc-timeout"), "1500000u");
  assert.equal(parseTimeout("not a number"), undefined);
});

test("handler() runs the request under the caller's deadline from the header", async () => {
  const fetchHandler = handler(() =>
    new Response(String(Math.round(remainingTime())))
  );

  const response = await fetchHandler(
    new Request("http://127.0.0.1/", {
      headers: { [TIMEOUT_HEADER]: formatTimeout(500) },
    }),
  );
  const left = Number(await response.text());

  assert.equal(response.status, 200);
  assert.ok(left > 0 && left <= 500, String(left));
});
