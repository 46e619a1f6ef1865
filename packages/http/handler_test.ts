// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";
import {
  Cancelled,
  type CancelScope,
  failAfter,
  sleep,
  sleepForever,
} from "@corral/scope";
import {
  type FetchHandler,
  handler,
  type HandlerOptions,
  type RequestHandler,
} from "./handler.ts";
import { fetchWithDeadline } from "./fetch_with_deadline.ts";
import { remainingTime } from "./deadline_header.ts";
import { deferred, startServer } from "./_test_util.ts";
import { lateSignalNeverAborts } from "./_request.ts";

/** Deno before 2.8.3: a request's signal read late never aborts. */
const OLD_DENO = /^(1\.|2\.[0-7]\.|2\.8\.[0-2]$)/.test(Deno.version.deno);

/** Serves `app` on loopback and records the status of every response. */
function serveApp(app: FetchHandler) {
  const statuses: number[] = [];
  const server = startServer(async (request, info) => {
    const response = await app(request, info);
    statuses.push(response.status);
    return response;
  });
  return Object.assign(server, { statuses });
}

/** Serves `fn` through `handler()`. */
function serveHandler(
  fn: RequestHandler,
  options?: Parameters<typeof handler>[1],
) {
  return serveApp(handler(fn, options));
}

Deno.test("handler() makes the scope's name lazily, and while Deno's request is open when the request waits", async () => {
  const scopes: CancelScope[] = [];
  // Deno.serve directly: the response is sent as the handler returns.
  await using server = startServer(handler(async (request, { scope }) => {
    scopes.push(scope);
    // The URL is not read here: Deno keeps it once read.
    if (request.headers.has("x-slow")) await sleep(5);
    return new Response("ok");
  }));
  await (await fetch(`${server.url}/slow?q`, { headers: { "x-slow": "1" } }))
    .text();
  await (await fetch(`${server.url}/fast`)).text();
  await sleep(20); // both requests are answered and closed
  // Outlived its first turn: the name was made then (`DisconnectWatch`).
  assert.equal(scopes[0]!.name, "GET /slow");
  // Answered within its first turn, and never named: Deno has closed the
  // request, so its URL cannot be read any more; the name says so, and
  // nothing throws. (Before 2.8.3 every watch starts at once, so the name
  // is made then.)
  assert.equal(
    scopes[1]!.name,
    OLD_DENO
      ? "GET /fast"
      : "(name function failed: TypeError: Request closed)",
  );
});

Deno.test("handler() runs each request in its own scope, named after method and path", async () => {
  const seen: { name: string; timeout: number; hasInfo: boolean }[] = [];
  await using server = serveHandler((_request, { scope, timeout, info }) => {
    seen.push({
      name: scope.name,
      timeout,
      hasInfo: info?.completed instanceof Promise,
    });
    return new Response("hello");
  });
  const response = await fetch(`${server.url}/users/42?x=1#frag`, {
    method: "PUT",
    body: "b",
  });
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "hello");
  assert.deepEqual(seen, [{
    name: "PUT /users/42",
    timeout: Infinity,
    hasInfo: true,
  }]);
});

Deno.test("handler() names each request's scope with scopeName when given", async () => {
  const names: string[] = [];
  await using server = serveHandler((_request, { scope }) => {
    names.push(scope.name);
    return new Response("ok");
  }, { scopeName: (request) => `request ${request.headers.get("x-id")}` });
  for (const id of ["a", "b"]) {
    const response = await fetch(`${server.url}/same`, {
      headers: { "x-id": id },
    });
    await response.text();
  }
  assert.deepEqual(names, ["request a", "request b"]);
});

Deno.test("handler() cancels the request's scope when the client disconnects", async () => {
  const entered = deferred();
  const cancelled = deferred<Cancelled>();
  let finallyRan = false;
  await using server = serveHandler(async () => {
    entered.resolve();
    try {
      await sleepForever();
    } catch (error) {
      cancelled.resolve(error as Cancelled);
      throw error;
    } finally {
      finallyRan = true;
    }
    return new Response("never");
  });
  const client = new AbortController();
  const request = fetch(server.url, { signal: client.signal });
  await entered.promise;
  client.abort();
  await assert.rejects(request, { name: "AbortError" });
  const error = await cancelled.promise;
  assert.ok(error instanceof Cancelled);
  assert.ok(
    error.reason instanceof DOMException,
    "the request signal's reason",
  );
  await server[Symbol.asyncDispose](); // waits for the handler to finish
  assert.ok(finallyRan);
  assert.deepEqual(server.statuses, [499]);
});

Deno.test("handler() does not take Deno's legacy abort after a completed response for a disconnect", async () => {
  const completed = deferred<{ scope: CancelScope; signal: AbortSignal }>();
  await using server = serveHandler((request, { scope, info }) => {
    info!.completed!.then(() =>
      completed.resolve({ scope, signal: request.signal })
    );
    return new Response("done");
  });
  const response = await fetch(server.url);
  assert.equal(await response.text(), "done");
  const { scope, signal } = await completed.promise;
  await sleep(5);
  // In legacy mode (the default in Deno 2.9) the request's signal aborts
  // after every completed response; our scope must not care.
  // (With --unstable-no-legacy-abort, or a later Deno, it stays unaborted.)
  void signal.aborted;
  assert.equal(scope.cancelCalled, false);
  assert.deepEqual(server.statuses, [200]);
});

Deno.test("handler() ignores an abort of request.signal after the response, as Deno's legacy mode does", async () => {
  // The workspace runs Deno with no-legacy-abort, so the loopback test
  // above may not see the legacy abort: this one makes it by hand, for a
  // handler that was watched (it outlived its first turn) and one that was not.
  for (const wait of [() => sleep(5), () => Promise.resolve()]) {
    const controller = new AbortController();
    let scope: CancelScope | undefined;
    const app = handler(async (_request, context) => {
      scope = context.scope;
      await wait();
      return new Response("done");
    });
    const response = await app(
      new Request("http://example.com/", { signal: controller.signal }),
    );
    controller.abort(new DOMException("legacy abort", "AbortError"));
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "done");
    assert.equal(scope!.cancelCalled, false);
  }
});

Deno.test("handler() takes the caller's deadline from the timeout header, capped by maxTimeout", async () => {
  await using server = serveHandler(
    (_request, { timeout }) =>
      Response.json({ timeout, remaining: remainingTime() }),
    { maxTimeout: 2_000 },
  );
  const ask = async (headers: HeadersInit) => {
    const response = await fetch(server.url, { headers });
    return await response.json() as {
      timeout: number | null;
      remaining: number | null;
    };
  };
  const given = await ask({ "corral-timeout": "500" });
  assert.equal(given.timeout, 500);
  assert.ok(given.remaining! <= 500 && given.remaining! > 300);

  const capped = await ask({ "corral-timeout": "99999" });
  assert.equal(capped.timeout, 2_000, "capped at maxTimeout");
  assert.ok(capped.remaining! <= 2_000);

  for (
    const [header, value, expected] of [
      ["grpc-timeout", "300m", 300],
      ["grpc-timeout", "1S", 1_000],
      ["grpc-timeout", "1H", 2_000],
      ["grpc-timeout", "1500u", 1.5],
      ["connect-timeout-ms", "700", 700],
    ] as const
  ) {
    assert.equal((await ask({ [header]: value })).timeout, expected, value);
  }
  // Several headers: the smallest budget wins.
  assert.equal(
    (await ask({ "corral-timeout": "900", "grpc-timeout": "400m" })).timeout,
    400,
  );
});

Deno.test("handler() finds the deadline headers in any case among many headers, and refuses one sent twice", async () => {
  const app = handler((_request, { timeout }) => Response.json(timeout));
  const browser = {
    "user-agent": "Mozilla/5.0",
    "accept": "text/html",
    "accept-language": "en-US,en;q=0.9",
    "cookie": "a=1; b=2",
    "sec-fetch-mode": "navigate",
  };
  const ask = (headers: HeadersInit) =>
    app(new Request("http://example.com/", { headers }));
  for (
    const [header, value, expected] of [
      ["Corral-Timeout", "500", 500],
      ["GRPC-TIMEOUT", "300m", 300],
      ["Connect-Timeout-Ms", "700", 700],
    ] as const
  ) {
    const response = await ask({ ...browser, [header]: value });
    assert.equal(await response.json(), expected, header);
  }
  const none = await ask(browser);
  assert.equal(await none.json(), null, "no header: Infinity, as JSON null");
  // Several of them: the smallest wins, whatever the order they came in.
  const both = await ask([["grpc-timeout", "400m"], ["Corral-Timeout", "900"]]);
  assert.equal(await both.json(), 400);
  for (
    const header of ["corral-timeout", "grpc-timeout", "connect-timeout-ms"]
  ) {
    const twice = new Headers(browser);
    twice.append(header, header === "grpc-timeout" ? "10m" : "10");
    twice.append(
      header.toUpperCase(),
      header === "grpc-timeout" ? "20m" : "20",
    );
    const response = await ask(twice);
    assert.equal(response.status, 400, `${header} sent twice`);
    await response.body?.cancel();
  }
});

/** Hostile values every format must refuse: the same list for all three. */
const HOSTILE = [
  "-1", // negative
  "-5S",
  "1e309", // Infinity as a number
  "NaN",
  "abc",
  "12.5",
  "8".repeat(8_000), // 8,000 digits
  "99999999999", // 11 digits
  "5X", // an unknown unit
  "5s", // a unit of the wrong case
  "",
  " ",
  "10, 20", // sent twice, as Headers joins it
];

Deno.test("handler() refuses hostile deadline headers in every format with its protocol's answer", async () => {
  let ran = 0;
  const app = handler(() => {
    ran++;
    return new Response("ok");
  }, { maxTimeout: 2_000 });
  const send = (headers: HeadersInit) =>
    app(new Request("http://example.com/x", { method: "POST", headers }));
  for (const value of HOSTILE) {
    // Our own header: a plain 400 that says which header.
    const ours = await send({ "corral-timeout": value });
    assert.equal(ours.status, 400, `corral-timeout: ${value}`);
    assert.equal(await ours.text(), "malformed corral-timeout header");

    // Connect: HTTP 400 and the error JSON with invalid_argument.
    const connect = await send({
      "connect-timeout-ms": value,
      "connect-protocol-version": "1",
      "content-type": "application/json",
    });
    assert.equal(connect.status, 400, `connect-timeout-ms: ${value}`);
    assert.equal(connect.headers.get("content-type"), "application/json");
    assert.deepEqual(await connect.json(), {
      code: "invalid_argument",
      message: "malformed connect-timeout-ms header",
    });

    // gRPC and gRPC-Web: Trailers-Only, HTTP 200, grpc-status 3.
    for (const type of ["application/grpc", "application/grpc-web+proto"]) {
      const grpc = await send({ "grpc-timeout": value, "content-type": type });
      assert.equal(grpc.status, 200, `grpc-timeout: ${value}`);
      assert.equal(grpc.headers.get("grpc-status"), "3");
      assert.equal(grpc.headers.get("content-type"), type);
      assert.equal(
        decodeURIComponent(grpc.headers.get("grpc-message")!),
        "malformed grpc-timeout header",
      );
      assert.equal(await grpc.text(), "");
    }
  }
  // Repeated headers, appended one by one, in each format.
  for (
    const header of ["corral-timeout", "grpc-timeout", "connect-timeout-ms"]
  ) {
    const twice = new Headers();
    const value = header === "grpc-timeout" ? "100m" : "100";
    twice.append(header, value);
    twice.append(header, value);
    assert.equal((await send(twice)).status, 400, header);
  }
  assert.equal(ran, 0, "the handler never ran");
  // A Connect streaming call gets HTTP 200 and an end-stream message.
  const stream = await send({
    "connect-timeout-ms": "-1",
    "content-type": "application/connect+json",
  });
  assert.equal(stream.status, 200);
  const bytes = new Uint8Array(await stream.arrayBuffer());
  assert.equal(bytes[0], 0b10, "end-stream flag");
  const length = new DataView(bytes.buffer).getUint32(1);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(bytes.slice(5))), {
    error: {
      code: "invalid_argument",
      message: "malformed connect-timeout-ms header",
    },
  });
  assert.equal(length, bytes.length - 5);
});

Deno.test("handler() applies defaultTimeout without a header, and ignores headers when told to", async () => {
  await using server = serveHandler(
    (_request, { timeout }) => new Response(String(timeout)),
    { defaultTimeout: 750, timeoutHeaders: [] },
  );
  const plain = await fetch(server.url);
  assert.equal(await plain.text(), "750");
  const withHeader = await fetch(server.url, {
    headers: { "corral-timeout": "10" },
  });
  assert.equal(await withHeader.text(), "750", "the header is not read");

  const app = handler(
    (_request, { timeout }) => new Response(String(timeout)),
    {
      timeoutHeaders: ["grpc-timeout"],
      defaultTimeout: 9_000,
      maxTimeout: 5_000,
    },
  );
  const grpcOnly = await app(
    new Request("http://x/", {
      headers: { "grpc-timeout": "300m", "corral-timeout": "-1" },
    }),
  );
  assert.equal(await grpcOnly.text(), "300", "only the listed header is read");
  assert.equal(await (await app(new Request("http://x/"))).text(), "5000");
});

Deno.test("handler() answers 504 when the request's deadline passes, after the handler's cleanup", async () => {
  let finallyRan = false;
  await using server = serveHandler(async () => {
    try {
      await sleepForever();
    } finally {
      finallyRan = true;
    }
    return new Response("never");
  }, { defaultTimeout: 20 });
  const response = await fetch(server.url);
  assert.equal(response.status, 504);
  assert.equal(await response.text(), "");
  assert.ok(finallyRan);
});

Deno.test("handler() answers 500 for an error, 504 for a TimeoutError, 503 for a cancel", async () => {
  const errors: unknown[] = [];
  const app = handler((request, { scope }) => {
    const path = new URL(request.url).pathname;
    if (path === "/throw") throw new Error("handler broke");
    if (path === "/not-a-response") return "text" as unknown as Response;
    if (path === "/timeout") {
      return failAfter(5, sleepForever) as Promise<never>;
    }
    if (path === "/cancel") {
      scope.cancel("the handler gave up");
      return sleepForever();
    }
    return new Response("ok");
  }, {
    onError(error) {
      errors.push(error);
      return new Response("custom", { status: 502 });
    },
  });
  const statusOf = async (path: string) => {
    const response = await app(new Request(`http://example.com${path}`));
    await response.body?.cancel();
    return response.status;
  };
  assert.equal(await statusOf("/throw"), 502);
  assert.equal(await statusOf("/not-a-response"), 502);
  assert.equal(await statusOf("/timeout"), 504);
  assert.equal(await statusOf("/cancel"), 503);
  assert.equal(await statusOf("/ok"), 200);
  assert.equal((errors[0] as Error).message, "handler broke");
  assert.match(
    (errors[1] as Error).message,
    /^Cannot respond to GET \/not-a-response: the handler must return a Response: current value is "text"$/,
  );
  assert.equal(errors.length, 2);
});

Deno.test("handler() logs an error with console.error by default, and gives a bare 500", async () => {
  const logged: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => logged.push(...args);
  try {
    const app = handler(() => {
      throw new Error("secret detail");
    });
    const response = await app(new Request("http://example.com/"));
    assert.equal(response.status, 500);
    assert.equal(await response.text(), "", "no detail leaks to the client");
    const failingHook = handler(() => Promise.reject(new Error("x")), {
      onError() {
        throw new Error("hook broke");
      },
    });
    assert.equal(
      (await failingHook(new Request("http://example.com/"))).status,
      500,
    );
  } finally {
    console.error = original;
  }
  assert.equal((logged[0] as Error).message, "secret detail");
  assert.equal((logged[1] as Error).message, "hook broke");
});

Deno.test("handler() works as a plain fetch handler, without the runtime's info", async () => {
  const app = handler((request, { info }) => {
    assert.equal(info, undefined);
    return new Response(request.method);
  });
  const response = await app(
    new Request("http://example.com/", { method: "DELETE" }),
  );
  assert.equal(await response.text(), "DELETE");
});

Deno.test("handler() answers a synchronous Response synchronously, its scope exited; anything else in a promise", async () => {
  let scope: CancelScope | undefined;
  const sync = handler((_request, context) => {
    scope = context.scope;
    return new Response("sync");
  });
  const answer = sync(new Request("http://example.com/"));
  assert.ok(answer instanceof Response);
  assert.equal(await answer.text(), "sync");
  assert.equal(scope!.toString(), 'CancelScope "GET /" (exited)');

  const later = handler(async () => {
    await Promise.resolve();
    return new Response("later");
  })(new Request("http://example.com/"));
  assert.ok(later instanceof Promise);
  assert.equal(await (await later).text(), "later");

  // A synchronous throw, a value that is no Response, a refused header:
  // the same answers as ever, whatever their form.
  const original = console.error;
  console.error = () => {};
  try {
    const thrown = handler(() => {
      throw new Error("boom");
    })(new Request("http://example.com/"));
    assert.equal((await thrown).status, 500);
    const wrong = handler(() => "text" as unknown as Response)(
      new Request("http://example.com/"),
    );
    assert.equal((await wrong).status, 500);
  } finally {
    console.error = original;
  }
  const refused = sync(
    new Request("http://example.com/", { headers: { "grpc-timeout": "1x" } }),
  );
  assert.equal((await refused).status, 400);
});

Deno.test("handler() sees a disconnect that happened before it started watching", async () => {
  // The signal is read once the handler outlives its first turn (waits for
  // real I/O); a client gone before that is seen then, since it stays aborted.
  const app = handler(async () => {
    await sleep(10_000);
    return new Response("never");
  });
  const client = new AbortController();
  client.abort();
  const started = performance.now();
  const response = await app(
    new Request("http://example.com/", { signal: client.signal }),
  );
  assert.equal(response.status, 499);
  assert.ok(performance.now() - started < 2_000, "waited for the sleep");

  // A handler that finishes within its first turn never reads the signal.
  let read = 0;
  const request = new Request("http://example.com/");
  Object.defineProperty(request, "signal", {
    get: () => (read++, client.signal),
  });
  const quick = handler(async () => {
    await Promise.resolve(); // microtasks only
    return new Response("quick");
  });
  assert.equal(await (await quick(request)).text(), "quick");
  // Except on Deno before 2.8.3, where a signal read late never aborts: there
  // it is read at once (see DisconnectWatch).
  assert.equal(read, OLD_DENO ? 1 : 0);
});

Deno.test("handler() reads request.signal at once on Deno before 2.8.3 only, where a signal read after the client went never aborts", () => {
  for (const version of ["1.46.3", "2.0.0", "2.1.0", "2.7.9", "2.8.2"]) {
    assert.equal(lateSignalNeverAborts(version), true, version);
  }
  for (
    const version of ["2.8.3", "2.8.10", "2.9.0", "2.9.6", "2.10.0", "3.0.0"]
  ) {
    assert.equal(lateSignalNeverAborts(version), false, version);
  }
  // Not Deno (Bun, Node, workers): read late.
  assert.equal(lateSignalNeverAborts(undefined), false);
});

Deno.test("deadline propagation: A calls B with fetchWithDeadline, and B sees at most A's remaining time", async () => {
  const seenByB: number[] = [];
  await using b = serveHandler(() => {
    seenByB.push(remainingTime());
    return new Response("from B");
  }, { maxTimeout: 60_000 });
  const remainingInA: number[] = [];
  await using a = serveHandler(async () => {
    remainingInA.push(remainingTime());
    const response = await fetchWithDeadline(b.url);
    return new Response(`A got: ${await response.text()}`);
  }, { maxTimeout: 60_000 });
  const response = await fetch(a.url, {
    headers: { "corral-timeout": "1500" },
  });
  assert.equal(await response.text(), "A got: from B");
  assert.equal(remainingInA.length, 1);
  assert.equal(seenByB.length, 1);
  assert.ok(remainingInA[0]! <= 1_500);
  assert.ok(
    seenByB[0]! <= remainingInA[0]!,
    `B ${seenByB[0]} > A ${remainingInA[0]}`,
  );
  assert.ok(seenByB[0]! > 1_000, "and not much less: the budget was forwarded");
});

Deno.test("deadline propagation: when A's deadline passes, B is cancelled too, and A answers 504", async () => {
  const bCancelled = deferred<Cancelled>();
  await using b = serveHandler(async () => {
    try {
      await sleepForever();
    } catch (error) {
      bCancelled.resolve(error as Cancelled);
      throw error;
    }
    return new Response("never");
  });
  await using a = serveHandler(async () => {
    const response = await fetchWithDeadline(b.url);
    // B may time out first (it got the same budget, less the transit):
    // relay its answer, which is then B's 504.
    return new Response(await response.text(), { status: response.status });
  });
  const response = await fetch(a.url, { headers: { "corral-timeout": "40" } });
  assert.equal(response.status, 504);
  await response.body?.cancel();
  const cancelled = await bCancelled.promise;
  // B was told the same deadline (40 ms, less the time in transit): its
  // own deadline or A's disconnect, whichever B noticed first, stopped it.
  assert.ok(cancelled instanceof Cancelled);
  await b[Symbol.asyncDispose]();
  assert.ok(
    b.statuses[0] === 504 || b.statuses[0] === 499,
    `B answered ${b.statuses[0]}`,
  );
});

Deno.test("handler() throws for bad input", () => {
  assert.throws(() => handler(42 as unknown as RequestHandler), {
    name: "TypeError",
    message:
      "Cannot create handler: 'fn' must be a function: current value is 42",
  });
  const fn = () => new Response();
  for (
    const [key, value] of [["maxTimeout", -1], ["defaultTimeout", NaN]] as const
  ) {
    assert.throws(() => handler(fn, { [key]: value }), {
      name: "RangeError",
      message:
        `Cannot create handler: '${key}' must be a non-negative number: current value is ${value}`,
    });
  }
  for (const bad of [null, 5, "corral-timeout", ["x-timeout"]]) {
    assert.throws(
      () => handler(fn, { timeoutHeaders: bad as unknown as [] }),
      {
        name: "TypeError",
        message: new RegExp(
          `^Cannot create handler: 'timeoutHeaders' must be an array of "corral-timeout", "grpc-timeout", "connect-timeout-ms": current value is `,
        ),
      },
    );
  }
  for (const bad of [null, 42, "options"]) {
    assert.throws(() => handler(fn, bad as unknown as HandlerOptions), {
      name: "TypeError",
      message: new RegExp(
        "^Cannot create handler: 'options' must be an object: current value is ",
      ),
    });
  }
  assert.throws(() => handler(Promise.resolve() as unknown as () => Response), {
    name: "TypeError",
    message: /^Cannot create handler: 'fn' must be a function, not a promise/,
  });
  assert.throws(
    () => handler(fn, { onError: "log" as unknown as () => Response }),
    {
      name: "TypeError",
      message:
        `Cannot create handler: 'onError' must be a function: current value is "log"`,
    },
  );
  assert.throws(
    () => handler(fn, { scopeName: "id" as unknown as () => string }),
    {
      name: "TypeError",
      message:
        `Cannot create handler: 'scopeName' must be a function: current value is "id"`,
    },
  );
});

Deno.test("handler() answers through onError when scopeName throws, never rejecting", async () => {
  const errors: unknown[] = [];
  const app = handler(() => new Response("never"), {
    scopeName() {
      throw new Error("no request id");
    },
    onError(error) {
      errors.push(error);
      return new Response("named badly", { status: 502 });
    },
  });
  const response = await app(new Request("http://example.com/"));
  assert.equal(response.status, 502);
  assert.equal(await response.text(), "named badly");
  assert.equal((errors[0] as Error).message, "no request id");

  // Without onError: logged, and a bare 500. A name that is not a string
  // (a Symbol) is shown, not a crash.
  const logged: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => logged.push(...args);
  try {
    const plain = handler(() => new Response("never"), {
      scopeName() {
        throw new Error("again");
      },
    });
    assert.equal((await plain(new Request("http://example.com/"))).status, 500);
  } finally {
    console.error = original;
  }
  assert.equal((logged[0] as Error).message, "again");
  const symbolic = handler((_request, { scope }) => new Response(scope.name), {
    scopeName: () => Symbol("id") as unknown as string,
  });
  assert.equal(
    await (await symbolic(new Request("http://example.com/"))).text(),
    "Symbol(id)",
  );
});

Deno.test("handler() answers a gRPC or Connect caller in its protocol when the deadline passes", async () => {
  const app = handler(() => sleepForever(), { maxTimeout: 5 });
  const grpc = await app(
    new Request("http://example.com/pkg.Service/Method", {
      method: "POST",
      headers: { "content-type": "application/grpc", "grpc-timeout": "2m" },
    }),
  );
  assert.equal(grpc.status, 200);
  assert.equal(grpc.headers.get("grpc-status"), "4");
  const connect = await app(
    new Request("http://example.com/pkg.Service/Method", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "connect-protocol-version": "1",
        "connect-timeout-ms": "2",
      },
    }),
  );
  assert.equal(connect.status, 504);
  assert.equal((await connect.json()).code, "deadline_exceeded");
});

Deno.test("handler(): the remaining time is the same however the deadline arrived", async () => {
  const app = handler((_request, { timeout }) =>
    Response.json({ timeout, remaining: remainingTime() })
  );
  const formats: Record<string, string>[] = [
    { "corral-timeout": "500" },
    { "grpc-timeout": "500m" },
    { "grpc-timeout": "500000u" },
    { "connect-timeout-ms": "500" },
  ];
  for (const headers of formats) {
    const response = await app(new Request("http://example.com/", { headers }));
    const { timeout, remaining } = await response.json();
    assert.equal(timeout, 500, JSON.stringify(headers));
    assert.ok(remaining <= 500 && remaining > 400, `${remaining}`);
  }
});
