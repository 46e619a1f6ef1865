// Copyright the corral authors. MIT license.
/**
 * Deadlines across real Connect peers from npm (connect-es 2.3), both
 * ways: a corral client calling a Connect service, and Connect clients
 * (Connect and gRPC-Web transports) calling a corral handler.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Code,
  ConnectError,
  createClient,
} from "npm:@connectrpc/connect@2.3.0";
import {
  createConnectTransport,
  createGrpcWebTransport,
} from "npm:@connectrpc/connect-web@2.3.0";
import { Cancelled, moveOnAfter, sleepForever } from "@corral/scope";
import { fetchWithDeadline } from "./fetch_with_deadline.ts";
import { handler } from "./handler.ts";
import type { TimeoutHeader } from "./deadline_header.ts";
import { deferred, startServer } from "./_test_util.ts";
import {
  connectFetchHandler,
  SLEEP_PATH,
  SleepService,
} from "./_test_connect_service.ts";

/** What the Connect service saw of one call. */
interface Seen {
  timeoutMs: number | undefined;
  gaveUpAfter?: number;
}

/** A Connect service whose one method waits until its context aborts. */
function startSleepService() {
  const seen: Seen[] = [];
  const gaveUp = deferred();
  const server = startServer(connectFetchHandler({
    async sleep(_request, context) {
      const started = performance.now();
      const entry: Seen = { timeoutMs: context.timeoutMs() };
      seen.push(entry);
      // Gives up with the context's reason when its signal aborts.
      return await new Promise<never>((_resolve, reject) =>
        context.signal.addEventListener("abort", () => {
          entry.gaveUpAfter = performance.now() - started;
          gaveUp.resolve();
          reject(context.signal.reason);
        }, { once: true })
      );
    },
  }));
  return Object.assign(server, { seen, gaveUp: gaveUp.promise });
}

for (
  const [protocol, header, headers, body] of [
    [
      "Connect",
      "connect-timeout-ms",
      { "content-type": "application/json", "connect-protocol-version": "1" },
      "{}",
    ],
    [
      "gRPC-Web",
      "grpc-timeout",
      { "content-type": "application/grpc-web+proto" },
      new Uint8Array(5), // one empty, uncompressed message
    ],
  ] as const
) {
  Deno.test(`fetchWithDeadline() to a connect-es service over ${protocol}: the service sees the deadline (${header}) and gives up in time`, async () => {
    await using service = startSleepService();
    // 2 s for us, 20 ms for the service: its own deadline must stop it,
    // long before we would give up and disconnect. (150 ms for us was too
    // little on a loaded CI machine: the first call to a cold connect-es
    // handler took 266 ms there.)
    const response = await moveOnAfter(
      2_000,
      () =>
        fetchWithDeadline(`${service.url}${SLEEP_PATH}`, {
          method: "POST",
          headers,
          body,
          timeoutHeader: header as TimeoutHeader,
          timeoutOffset: 1_980,
        }),
    );
    assert.ok(
      response !== undefined,
      "the service answered before our deadline",
    );
    await service.gaveUp;
    const [seen] = service.seen;
    assert.ok(
      seen!.timeoutMs! > 0 && seen!.timeoutMs! <= 20,
      `the service got ${seen!.timeoutMs} ms`,
    );
    assert.ok(
      // Late timers on a busy machine: far short of our 2 s all the same.
      seen!.gaveUpAfter! >= seen!.timeoutMs! - 2 &&
        seen!.gaveUpAfter! < seen!.timeoutMs! + 1_000,
      `it gave up after ${seen!.gaveUpAfter} ms`,
    );
    // And said so in its protocol: deadline_exceeded.
    if (protocol === "Connect") {
      assert.equal(response.status, 504);
      assert.equal((await response.json()).code, "deadline_exceeded");
    } else {
      // In the headers (Trailers-Only) or in the body's trailer frame.
      assert.equal(response.status, 200);
      const trailer = new TextDecoder().decode(await response.arrayBuffer());
      assert.equal(
        response.headers.get("grpc-status") ??
          /grpc-status:\s*(\d+)/.exec(trailer)?.[1],
        "4",
      );
    }
  });
}

for (
  const [protocol, transport, header] of [
    ["Connect", createConnectTransport, "connect-timeout-ms"],
    ["gRPC-Web", createGrpcWebTransport, "grpc-timeout"],
  ] as const
) {
  Deno.test(`a connect-es client over ${protocol} with timeoutMs calling handler(): the scope gets the deadline (${header}), the client deadline_exceeded`, async () => {
    const cancelled = deferred<Cancelled>();
    const timeouts: number[] = [];
    await using server = startServer(handler(async (request, { timeout }) => {
      timeouts.push(timeout);
      if (request.headers.get("x-mode") === "answer") {
        // A valid Connect / gRPC-Web answer for an Empty message.
        return protocol === "Connect"
          ? Response.json({})
          : new Response(grpcWebOk(), {
            headers: { "content-type": "application/grpc-web+proto" },
          });
      }
      try {
        await sleepForever();
      } catch (error) {
        cancelled.resolve(error as Cancelled);
        throw error;
      }
      return new Response("never");
    }, { maxTimeout: 60_000 }));
    const client = createClient(
      SleepService,
      transport({ baseUrl: server.url }),
    );
    // A call that finishes: the deadline arrived in the protocol's header.
    await client.sleep({}, {
      timeoutMs: 5_000,
      headers: { "x-mode": "answer" },
    });
    assert.ok(timeouts[0]! <= 5_000 && timeouts[0]! > 4_000, `${timeouts[0]}`);

    // A call that does not: the client gets deadline_exceeded, and the
    // scope is cancelled.
    const error = await client.sleep({}, { timeoutMs: 20 }).then(
      () => assert.fail("no answer was expected"),
      (error) => ConnectError.from(error),
    );
    assert.equal(error.code, Code.DeadlineExceeded);
    assert.ok((await cancelled.promise) instanceof Cancelled);
    assert.ok(timeouts[1]! <= 20 && timeouts[1]! > 0, `${timeouts[1]}`);
  });
}

/** A gRPC-Web body: one empty message, then the trailer frame with OK. */
function grpcWebOk(): Uint8Array<ArrayBuffer> {
  const trailer = new TextEncoder().encode("grpc-status: 0\r\n");
  const body = new Uint8Array(10 + trailer.length);
  body[5] = 0x80; // trailer frame
  new DataView(body.buffer).setUint32(6, trailer.length);
  body.set(trailer, 10);
  return body;
}
