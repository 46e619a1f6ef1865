// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import { Cancelled, CancelScope, moveOnAfter, shielded } from "@corral/scope";
import { fetchWithDeadline } from "./fetch_with_deadline.ts";
import { parseTimeout, type TimeoutHeader } from "./deadline_header.ts";
import { deferred, startServer } from "./_test_util.ts";

/** Resolves when `signal` aborts, or after `ms` (whichever first). */
function abortedOrAfter(signal: AbortSignal, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve(true);
    }, { once: true });
  });
}

/** A server that answers with the timeout header it received ("none"). */
function echoServer() {
  let requests = 0;
  const server = startServer((request) => {
    requests++;
    return new Response(request.headers.get("corral-timeout") ?? "none");
  });
  return Object.assign(server, { requests: () => requests });
}

Deno.test("fetchWithDeadline() sends the remaining time under a deadline, and nothing without one", async () => {
  await using server = echoServer();
  const sent = await moveOnAfter(3_000, async () => {
    const response = await fetchWithDeadline(server.url);
    return parseTimeout(await response.text());
  });
  assert.ok(
    sent !== undefined && sent <= 3_000 && sent > 2_500,
    `sent ${sent}`,
  );

  const withOffset = await moveOnAfter(3_000, async () => {
    const response = await fetchWithDeadline(server.url, {
      timeoutOffset: 1_000,
    });
    return parseTimeout(await response.text());
  });
  assert.ok(
    withOffset !== undefined && withOffset <= 2_000 && withOffset > 1_500,
  );

  const scope = new CancelScope({ name: "no deadline" });
  const none = await scope.run(async () =>
    (await fetchWithDeadline(server.url)).text()
  );
  assert.equal(none, "none");
  assert.equal(
    await (await fetchWithDeadline(server.url)).text(),
    "none",
    "outside any scope",
  );

  // A shield hides the enclosing deadlines: none to propagate.
  const shieldedText = await moveOnAfter(
    3_000,
    () => shielded(async () => (await fetchWithDeadline(server.url)).text()),
  );
  assert.equal(shieldedText, "none");
});

Deno.test("fetchWithDeadline() writes the header the caller chooses, in its format, less the offset", async () => {
  await using server = startServer((request) =>
    Response.json(
      [...request.headers].filter(([name]) => name.includes("timeout")),
    )
  );
  for (
    const [header, check] of [
      ["grpc-timeout", /^\d{1,8}u$/],
      ["connect-timeout-ms", /^\d{1,10}$/],
      ["corral-timeout", /^\d{1,10}$/],
    ] as const
  ) {
    const sent = await moveOnAfter(3_000, async () => {
      const response = await fetchWithDeadline(server.url, {
        timeoutHeader: header,
        timeoutOffset: 500,
      });
      return await response.json() as [string, string][];
    });
    assert.equal(sent!.length, 1, "only the chosen header");
    const [name, value] = sent![0]!;
    assert.equal(name, header);
    assert.match(value, check);
    const ms = parseTimeout(value, header)!;
    assert.ok(ms <= 2_500 && ms > 2_000, `${header}: ${value}`);
  }
  // A gRPC budget the caller set is kept if it is smaller.
  const kept = await moveOnAfter(3_000, async () => {
    const response = await fetchWithDeadline(server.url, {
      timeoutHeader: "grpc-timeout",
      headers: { "grpc-timeout": "100m" },
    });
    return await response.json() as [string, string][];
  });
  assert.deepEqual(kept, [["grpc-timeout", "100m"]]);
});

Deno.test("fetchWithDeadline() keeps a smaller timeout header the caller set, and its other headers", async () => {
  await using server = startServer((request) =>
    Response.json({
      timeout: request.headers.get("corral-timeout"),
      custom: request.headers.get("x-custom"),
    })
  );
  const results = await moveOnAfter(5_000, async () => {
    const smaller = await fetchWithDeadline(server.url, {
      headers: { "corral-timeout": "100", "x-custom": "kept" },
    });
    const larger = await fetchWithDeadline(
      new Request(server.url, {
        headers: { "corral-timeout": "60000", "x-custom": "from request" },
      }),
    );
    const hostile = await fetchWithDeadline(server.url, {
      headers: { "corral-timeout": "-1" },
    });
    return [await smaller.json(), await larger.json(), await hostile.json()];
  });
  assert.deepEqual(results![0], { timeout: "100", custom: "kept" });
  assert.equal(results![1].custom, "from request");
  assert.ok(Number(results![1].timeout) <= 5_000);
  assert.ok(
    Number(results![2].timeout) <= 5_000,
    "a malformed value is replaced",
  );
});

Deno.test("fetchWithDeadline() is a checkpoint: a cancelled scope sends nothing", async () => {
  await using server = echoServer();
  const scope = new CancelScope();
  let caught: unknown;
  await scope.run(async () => {
    scope.cancel("not now");
    try {
      await fetchWithDeadline(server.url);
    } catch (error) {
      caught = error;
      throw error;
    }
  });
  assert.ok(caught instanceof Cancelled);
  assert.ok(scope.cancelCaught);
  assert.equal(server.requests(), 0);
});

Deno.test("fetchWithDeadline() is cancelled with the scope, and the server sees the client go", async () => {
  const serverSawAbort = deferred<boolean>();
  const arrived = deferred();
  await using server = startServer(async (request) => {
    arrived.resolve();
    serverSawAbort.resolve(await abortedOrAfter(request.signal, 2_000));
    return new Response("late");
  });
  const scope = new CancelScope({ name: "client" });
  let caught: unknown;
  await scope.run(async () => {
    arrived.promise.then(() => scope.cancel("client gave up"));
    try {
      await fetchWithDeadline(server.url);
    } catch (error) {
      caught = error;
      throw error;
    }
  });
  assert.ok(caught instanceof Cancelled, `got ${caught}`);
  assert.equal(caught, scope.reason, "fetch rejected with the signal's reason");
  assert.ok(scope.cancelCaught);
  assert.equal(await serverSawAbort.promise, true);
});

Deno.test("fetchWithDeadline() gives up at the deadline", async () => {
  const serverSawAbort = deferred<boolean>();
  await using server = startServer(async (request) => {
    serverSawAbort.resolve(await abortedOrAfter(request.signal, 2_000));
    return new Response("too late");
  });
  const started = performance.now();
  const result = await moveOnAfter(30, () => fetchWithDeadline(server.url));
  assert.equal(result, undefined);
  assert.ok(performance.now() - started < 1_000);
  assert.equal(await serverSawAbort.promise, true);
});

Deno.test("fetchWithDeadline() also cancels the reading of the body", async () => {
  const bodyCancelled = deferred<unknown>();
  await using server = startServer(() =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("first chunk"));
        },
        cancel(reason) {
          bodyCancelled.resolve(reason);
        },
      }),
    )
  );
  const scope = new CancelScope({ name: "reader" });
  let caught: unknown;
  await scope.run(async () => {
    const response = await fetchWithDeadline(server.url);
    setTimeout(() => scope.cancel("stop reading"), 10);
    try {
      await response.text(); // the body never ends by itself
    } catch (error) {
      caught = error;
      throw error;
    }
  });
  assert.ok(caught instanceof Cancelled, `got ${caught}`);
  assert.ok(scope.cancelCaught);
  await bodyCancelled.promise;
});

Deno.test("fetchWithDeadline() lets the caller's own signal abort as a foreign abort", async () => {
  await using server = startServer(async (request) => {
    await abortedOrAfter(request.signal, 2_000);
    return new Response("late");
  });
  const mine = new AbortController();
  const scope = new CancelScope({ name: "caller" });
  const error = await scope.run(() => {
    setTimeout(() => mine.abort(), 10);
    return fetchWithDeadline(server.url, { signal: mine.signal }).catch((
      error,
    ) => error);
  });
  assert.ok(error instanceof DOMException && error.name === "AbortError");
  assert.equal(scope.cancelCalled, false, "a foreign abort is not our cancel");
});

Deno.test("fetchWithDeadline() throws for bad options", async () => {
  for (const bad of [NaN, -1]) {
    await assert.rejects(
      fetchWithDeadline("http://127.0.0.1:9/", { timeoutOffset: bad }),
      {
        name: "RangeError",
        message:
          `Cannot call fetchWithDeadline(): 'timeoutOffset' must be a non-negative number: current value is ${bad}`,
      },
    );
  }
  for (const bad of [null, 42, "init"]) {
    await assert.rejects(
      fetchWithDeadline("http://127.0.0.1:9/", bad as unknown as RequestInit),
      {
        name: "TypeError",
        message: new RegExp(
          "^Cannot call fetchWithDeadline\\(\\): 'init' must be an object: current value is ",
        ),
      },
    );
  }
  await assert.rejects(
    fetchWithDeadline("http://127.0.0.1:9/", {
      timeoutHeader: "x-timeout" as TimeoutHeader,
    }),
    {
      name: "TypeError",
      message:
        `Cannot call fetchWithDeadline(): 'timeoutHeader' must be "corral-timeout", "grpc-timeout" or "connect-timeout-ms": current value is "x-timeout"`,
    },
  );
  await assert.rejects(
    fetchWithDeadline("http://127.0.0.1:9/", {
      signal: "stop" as unknown as AbortSignal,
    }),
    {
      name: "TypeError",
      message:
        `Cannot call fetchWithDeadline(): 'init.signal' must be an AbortSignal: current value is "stop"`,
    },
  );
});
