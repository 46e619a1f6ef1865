// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import { Hono } from "npm:hono@4.13.23";
import { Cancelled, sleep, sleepForever } from "@corral/scope";
import { corral, type CorralOptions, type CorralVariables } from "./hono.ts";
import { remainingTime } from "./deadline_header.ts";
import { deferred, startServer } from "./_test_util.ts";

type Env = { Variables: CorralVariables };

Deno.test("corral() gives each request its scope and deadline in c.get()", async () => {
  const app = new Hono<Env>();
  app.use(corral({ maxTimeout: 2_000 }));
  app.get("/users/:id", (c) =>
    c.json({
      name: c.get("scope").name,
      timeout: c.get("timeout"),
      remaining: remainingTime(),
    }));
  for (
    const [headers, expected] of [
      [{}, 2_000],
      [{ "corral-timeout": "500" }, 500],
      [{ "grpc-timeout": "300m" }, 300],
      [{ "connect-timeout-ms": "400" }, 400],
      [{ "corral-timeout": "99999" }, 2_000],
    ] as const
  ) {
    const response = await app.request("/users/7?x=1", { headers });
    const body = await response.json();
    assert.equal(body.name, "GET /users/7");
    assert.equal(body.timeout, expected);
    assert.ok(body.remaining <= expected && body.remaining > expected - 200);
  }
});

Deno.test("corral() answers a passed deadline with 504, or in the caller's protocol, after the route's cleanup", async () => {
  let cleanups = 0;
  const app = new Hono<Env>();
  app.use(corral());
  // Hono's default onError would log each Cancelled before corral() answers.
  app.onError((error, c) => c.text(error.name, 500));
  app.post("/slow", async (c) => {
    try {
      await sleepForever();
    } finally {
      cleanups++;
    }
    return c.text("never");
  });
  const plain = await app.request("/slow", {
    method: "POST",
    headers: { "corral-timeout": "5" },
  });
  assert.equal(plain.status, 504);
  const grpc = await app.request("/slow", {
    method: "POST",
    headers: { "grpc-timeout": "5m", "content-type": "application/grpc" },
  });
  assert.equal(grpc.headers.get("grpc-status"), "4");
  const connect = await app.request("/slow", {
    method: "POST",
    headers: { "connect-timeout-ms": "5", "connect-protocol-version": "1" },
  });
  assert.equal(connect.status, 504);
  assert.equal((await connect.json()).code, "deadline_exceeded");
  assert.equal(cleanups, 3);
});

Deno.test("corral() refuses hostile deadline headers before any route runs", async () => {
  let ran = 0;
  const app = new Hono<Env>();
  app.use(corral());
  app.all("*", (c) => (ran++, c.text("ok")));
  for (const value of ["-1", "1e309", "8".repeat(8_000), "5X", "1, 2"]) {
    const ours = await app.request("/", {
      headers: { "corral-timeout": value },
    });
    assert.equal(ours.status, 400);
    const connect = await app.request("/", {
      headers: { "connect-timeout-ms": value },
    });
    assert.equal(connect.status, 400);
    assert.equal((await connect.json()).code, "invalid_argument");
    const grpc = await app.request("/", {
      method: "POST",
      headers: { "grpc-timeout": value, "content-type": "application/grpc" },
    });
    assert.equal(grpc.headers.get("grpc-status"), "3");
  }
  assert.equal(ran, 0);
});

Deno.test("corral() leaves other errors to app.onError, and sends scopeName's error there", async () => {
  const seen: string[] = [];
  const app = new Hono<Env>();
  app.use(corral({
    scopeName: (request) => {
      if (request.headers.has("x-bad")) throw new Error("bad name");
      return "named";
    },
  }));
  app.get("/throw", () => {
    throw new Error("route broke");
  });
  app.onError((error, c) => {
    seen.push(error.message);
    return c.text("handled", 418);
  });
  assert.equal((await app.request("/throw")).status, 418);
  assert.equal(
    (await app.request("/throw", { headers: { "x-bad": "1" } })).status,
    418,
  );
  assert.deepEqual(seen, ["route broke", "bad name"]);
});

Deno.test("corral() cancels the route's scope when the client disconnects (Deno.serve)", async () => {
  const entered = deferred();
  const cancelled = deferred<Cancelled>();
  const app = new Hono<Env>();
  app.use(corral());
  app.onError((error, c) => c.text(error.name, 500)); // quiet
  app.get("/", async (c) => {
    entered.resolve();
    try {
      await sleepForever();
    } catch (error) {
      cancelled.resolve(error as Cancelled);
      throw error;
    }
    return c.text("never");
  });
  const statuses: number[] = [];
  await using server = startServer(async (request) => {
    const response = await app.fetch(request);
    statuses.push(response.status);
    return response;
  });
  const client = new AbortController();
  const request = fetch(server.url, { signal: client.signal });
  await entered.promise;
  await sleep(1);
  client.abort();
  await assert.rejects(request, { name: "AbortError" });
  assert.ok((await cancelled.promise) instanceof Cancelled);
  await server[Symbol.asyncDispose]();
  assert.deepEqual(statuses, [499]);
});

Deno.test("corral() throws for bad options", () => {
  for (const bad of [null, 42]) {
    assert.throws(() => corral(bad as unknown as CorralOptions), {
      name: "TypeError",
      message: /^Cannot create corral middleware: 'options' must be an object/,
    });
  }
  assert.throws(() => corral({ maxTimeout: -1 }), {
    name: "RangeError",
    message:
      "Cannot create corral middleware: 'maxTimeout' must be a non-negative number: current value is -1",
  });
  assert.throws(
    () => corral({ onError: () => new Response() } as CorralOptions),
    {
      name: "TypeError",
      message: /'onError' is not an option here: use Hono's app.onError/,
    },
  );
});
