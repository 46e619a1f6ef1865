// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import {
  Cancelled,
  CancelScope,
  moveOnAfter,
  sleep,
  sleepForever,
} from "@corral/scope";
import { parentOf } from "@corral/scope/plumbing";
import type { RequestHandler } from "./handler.ts";
import { serve, type ServeOptions } from "./serve.ts";
import { deferred } from "./_test_util.ts";

/**
 * Starts `serve` on loopback, inside `scope` if given; resolves with its URL
 * once it listens.
 */
async function start(
  fn: RequestHandler,
  options: ServeOptions = {},
  scope?: CancelScope,
): Promise<{ url: string; served: Promise<void> }> {
  const listening = deferred<number>();
  const run = () =>
    serve(fn, {
      port: 0,
      hostname: "127.0.0.1",
      shutdownSignals: [],
      onListen: (addr) => listening.resolve(addr.port),
      ...options,
    });
  const served = scope === undefined ? run() : scope.run(run);
  served.catch(() => {}); // the test awaits it; never unhandled meanwhile
  const port = await Promise.race([listening.promise, served.then(() => 0)]);
  return { url: `http://127.0.0.1:${port}`, served };
}

/** A handler for `/short` (finishes in 10 ms) and `/long` (never does). */
function shortAndLong(
  log: string[],
  entered: Map<string, PromiseWithResolvers<void>>,
) {
  return async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    entered.get(path)?.resolve();
    try {
      if (path === "/short") {
        await sleep(10);
        return new Response("short done");
      }
      await sleepForever();
      return new Response("never");
    } catch (error) {
      log.push(
        `${path} ${error instanceof Cancelled ? "cancelled" : "failed"}`,
      );
      throw error;
    } finally {
      log.push(`${path} finally`);
    }
  };
}

Deno.test("serve() shuts down gracefully: a short request finishes, a long one is cancelled after the grace period", async () => {
  const log: string[] = [];
  const entered = new Map([["/short", deferred()], ["/long", deferred()]]);
  const stop = new AbortController();
  const { url, served } = await start(shortAndLong(log, entered), {
    signal: stop.signal,
    gracePeriod: 60,
  });
  const short = fetch(`${url}/short`);
  const long = fetch(`${url}/long`);
  await Promise.all([...entered.values()].map((entered) => entered.promise));
  const stoppedAt = performance.now();
  stop.abort();

  const shortResponse = await short;
  assert.equal(shortResponse.status, 200);
  assert.equal(await shortResponse.text(), "short done");
  const longResponse = await long;
  assert.equal(longResponse.status, 503);
  await longResponse.body?.cancel();
  const waited = performance.now() - stoppedAt;
  assert.ok(
    waited >= 55,
    `cancelled after the grace period, not at once (${waited})`,
  );

  await served;
  assert.ok(performance.now() - stoppedAt < 1_000);
  assert.deepEqual(log, ["/short finally", "/long cancelled", "/long finally"]);
  // New connections are refused once the server has stopped.
  await assert.rejects(fetch(`${url}/short`), TypeError);
});

Deno.test("serve() resolves at once when every request finishes within the grace period", async () => {
  const log: string[] = [];
  const entered = new Map([["/short", deferred()]]);
  const stop = new AbortController();
  const { url, served } = await start(shortAndLong(log, entered), {
    signal: stop.signal,
    gracePeriod: 10_000,
  });
  const short = fetch(`${url}/short`);
  await entered.get("/short")!.promise;
  const stoppedAt = performance.now();
  stop.abort();
  assert.equal(await (await short).text(), "short done");
  await served;
  assert.ok(
    performance.now() - stoppedAt < 1_000,
    "did not wait out the grace period",
  );
  assert.deepEqual(log, ["/short finally"]);
});

/**
 * Deno 2.0 to 2.4 sometimes take a signal's default action although a
 * listener is registered: strace showed the runtime's handler set SIGHUP
 * back to SIG_DFL and raise it again, and the process died. Seen in 4 to 7
 * of 60 runs of this file on 2.1.0, 2.2.0, 2.3.0 and 2.4.0, when the second
 * signal came; in none of 60 on 2.5.0 and 2.9.6. There the test sends one
 * signal and ends the server with a cancel.
 */
const SIGNAL_MAY_KILL = /^2\.[0-4]\./.test(Deno.version.deno);

Deno.test("serve() shuts down on SIGTERM, and a second signal cancels the requests at once", async () => {
  const log: string[] = [];
  const entered = new Map([["/long", deferred()]]);
  const app = new CancelScope({ name: "app" });
  const { url, served } = await start(shortAndLong(log, entered), {
    // Not SIGINT here: the test runner takes that one for itself.
    shutdownSignals: ["SIGTERM", "SIGHUP"],
    gracePeriod: 60_000,
  }, app);
  const long = fetch(`${url}/long`);
  await entered.get("/long")!.promise;
  const stoppedAt = performance.now();
  Deno.kill(Deno.pid, "SIGTERM"); // graceful: the long request may go on
  await sleep(20);
  assert.deepEqual(log, []);
  if (SIGNAL_MAY_KILL) app.cancel("this Deno may die of a second signal");
  else Deno.kill(Deno.pid, "SIGHUP"); // second signal: cancel now
  const response = await long;
  assert.equal(response.status, 503);
  await response.body?.cancel();
  await served;
  assert.ok(performance.now() - stoppedAt < 1_000, "did not wait out 60 s");
  assert.deepEqual(log, ["/long cancelled", "/long finally"]);
  // The signal listeners are gone: the ops sanitizer would flag them.
});

Deno.test("serve() stops hard when its enclosing scope is cancelled, then throws that Cancelled", async () => {
  const log: string[] = [];
  const entered = new Map([["/long", deferred()]]);
  const outer = new CancelScope({ name: "app" });
  const { url, served: done } = await start(
    shortAndLong(log, entered),
    { gracePeriod: 60_000 },
    outer,
  );
  const long = fetch(`${url}/long`);
  await entered.get("/long")!.promise;
  outer.cancel("application exit");
  const response = await long;
  assert.equal(response.status, 503);
  await response.body?.cancel();
  assert.equal(await done, undefined, "the app scope absorbed the Cancelled");
  assert.ok(outer.cancelCaught);
  assert.deepEqual(log, ["/long cancelled", "/long finally"]);
});

Deno.test("serve(): an enclosing cancellation during the grace period ends it, and goes on out", async () => {
  const log: string[] = [];
  const entered = new Map([["/long", deferred()]]);
  const outer = new CancelScope({ name: "app" });
  const stop = new AbortController();
  const { url, served: done } = await start(
    shortAndLong(log, entered),
    { signal: stop.signal, gracePeriod: 60_000 },
    outer,
  );
  const long = fetch(`${url}/long`);
  await entered.get("/long")!.promise;
  stop.abort(); // graceful: the long request may go on for a minute
  await sleep(10);
  assert.deepEqual(log, []);
  outer.cancel("the application must exit now");
  const response = await long;
  assert.equal(response.status, 503);
  await response.body?.cancel();
  assert.equal(await done, undefined);
  assert.ok(outer.cancelCaught, "the Cancelled reached its owner");
  assert.deepEqual(log, ["/long cancelled", "/long finally"]);
});

Deno.test("serve() nests every request scope in the server's scope, under the caller", async () => {
  const stop = new AbortController();
  const app = new CancelScope({ name: "app" });
  let chain: string[] = [];
  const { url, served } = await start(
    (_request, { scope, timeout }) => {
      chain = [];
      for (
        let s: CancelScope | undefined = scope;
        s !== undefined;
        s = parentOf(s)
      ) chain.push(s.name);
      return new Response(String(timeout));
    },
    { signal: stop.signal, name: "api", maxTimeout: 1_000 },
    app,
  );
  const response = await fetch(`${url}/items`, {
    method: "POST",
    body: "x",
    headers: { "corral-timeout": "99999" },
  });
  assert.equal(await response.text(), "1000");
  assert.deepEqual(chain, ["POST /items", "api", "app"]);
  stop.abort();
  await served;
});

Deno.test("serve() with an already aborted signal returns without listening", async () => {
  let listened = false;
  await serve(() => new Response(), {
    signal: AbortSignal.abort(),
    onListen: () => listened = true,
  });
  assert.equal(listened, false);
});

Deno.test("serve() under a deadline: the deadline is a hard stop", async () => {
  // moveOnAfter around serve: the deadline is a hard stop.
  const result = await moveOnAfter(20, () =>
    serve(() => new Response("x"), {
      port: 0,
      hostname: "127.0.0.1",
      shutdownSignals: [],
      onListen() {},
    }));
  assert.equal(result, undefined);
});

Deno.test("serve() throws for bad input before listening", async () => {
  await assert.rejects(serve(42 as unknown as RequestHandler), {
    name: "TypeError",
    message: "Cannot serve: 'fn' must be a function: current value is 42",
  });
  const fn = () => new Response();
  await assert.rejects(serve(fn, { gracePeriod: -5 }), {
    name: "RangeError",
    message:
      "Cannot serve: 'gracePeriod' must be a non-negative number: current value is -5",
  });
  await assert.rejects(
    serve(fn, { signal: {} as AbortSignal }),
    {
      name: "TypeError",
      message:
        "Cannot serve: 'signal' must be an AbortSignal: current value is [object Object]",
    },
  );
  await assert.rejects(
    serve(fn, { shutdownSignals: "SIGINT" as unknown as Deno.Signal[] }),
    {
      name: "TypeError",
      message:
        `Cannot serve: 'shutdownSignals' must be an array of signal names: current value is "SIGINT"`,
    },
  );
  await assert.rejects(serve(fn, { maxTimeout: NaN }), RangeError);
  for (const bad of [null, 42]) {
    await assert.rejects(serve(fn, bad as unknown as ServeOptions), {
      name: "TypeError",
      message:
        `Cannot serve: 'options' must be an object: current value is ${bad}`,
    });
  }
  await assert.rejects(serve(fn, { name: 42 as unknown as string }), {
    name: "TypeError",
    message: "Cannot serve: 'name' must be a string: current value is 42",
  });
  await assert.rejects(serve(fn, { port: -1 }), {
    name: "RangeError",
    message:
      "Cannot serve: 'port' must be an integer from 0 to 65535: current value is -1",
  });
  await assert.rejects(serve(fn, { port: "80" as unknown as number }), {
    name: "TypeError",
    message:
      `Cannot serve: 'port' must be an integer from 0 to 65535: current value is "80"`,
  });
  await assert.rejects(serve(fn, { hostname: 1 as unknown as string }), {
    name: "TypeError",
    message: "Cannot serve: 'hostname' must be a string: current value is 1",
  });
  await assert.rejects(
    serve(fn, { onListen: 42 as unknown as () => void }),
    {
      name: "TypeError",
      message:
        "Cannot serve: 'onListen' must be a function: current value is 42",
    },
  );
});
