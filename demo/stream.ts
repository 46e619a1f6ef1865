// Copyright the corral authors. MIT license.
/**
 * Part 3: one streamed response, made by a producer (`@corral/stream`).
 *
 * The "ticker" service answers `GET /ticks` with a body streamed from a
 * `produce()` producer. Each tick is read from a slow feed under its own
 * timeout: `failAfter` wraps the read alone, never the `send`, so the time
 * the client takes to read never counts against it (the PEP 789 bug an
 * async generator with a timeout around its `yield` would have). The
 * producer runs in lock-step with the response body: it reads the next
 * tick only when the body asks for one.
 *
 * The client reads three ticks and hangs up. Deno cancels the response
 * body, which calls the stream iterator's `return()`: the producer is
 * cancelled in the middle of its next read, and its `finally` runs. (It
 * made more than three ticks: the body hands each to the socket, whose
 * buffers take them faster than the client reads.)
 *
 * The producer starts at the first `next()`, in the handler, so it runs
 * under the request's scope and sees the request's id in the context: its
 * log lines carry `[req-8]` like every other line of the request.
 *
 * @module
 */
import {
  Cancelled,
  failAfter,
  sleep,
  waitUnlessCancelled,
} from "@corral/scope";
import { produce } from "@corral/stream";
import { type TaskGroup, taskGroup } from "@corral/taskgroup";
import { elapsed, log, ms, REQUEST_ID_HEADER, requestId, say } from "./log.ts";
import { startServer } from "./server.ts";

/** How long one read of the feed may take. */
const READ_TIMEOUT_MS = 150;
/** How long one read of the feed does take. */
const FEED_MS = 40;
/** The client hangs up after this many ticks. */
const TICKS_READ = 3;

/** What part 3 saw, for the checks. */
export const streamed: { ticks: number; producerEnded: boolean } = {
  ticks: 0,
  producerEnded: false,
};

/** Part 3: start the ticker, read three ticks, hang up, stop the ticker. */
export async function streaming(group: TaskGroup): Promise<void> {
  say("part 3: a response streamed from a producer, per-read timeout");
  const ended = Promise.withResolvers<void>();
  const ticker = await startServer(
    group,
    "ticker",
    (request) => ticks(request, ended.resolve),
    300,
  );
  await taskGroup((clients) => {
    requestId.run("req-8", () => {
      clients.spawn(() => readTicks(ticker.url), { name: "req-8" });
    });
  }, { name: "stream client" });
  // The producer ends on the server's side of the hang-up: wait for it.
  await failAfter(2_000, () => waitUnlessCancelled(ended.promise));
  streamed.producerEnded = true;
  await ticker.stop();
}

/** The handler: a text body streamed from a producer. */
async function ticks(request: Request, ended: () => void): Promise<Response> {
  const id = request.headers.get(REQUEST_ID_HEADER) ?? "no-id";
  const stream = produce<string>(async (send) => {
    log("ticker", "producer started");
    let sent = 0;
    try {
      for (let i = 1;; i++) {
        // The timeout covers the read alone.
        const reading = await failAfter(READ_TIMEOUT_MS, async () => {
          await sleep(FEED_MS); // the feed: a checkpoint, cancellable
          return `tick ${i}, read at ${ms(elapsed())}`;
        });
        await send(`${reading}\n`); // waits for the body to ask for more
        sent++;
      }
    } catch (error) {
      if (error instanceof Cancelled) {
        log(
          "ticker",
          `producer cancelled after ${sent} ticks: ${error.reason}`,
        );
      }
      throw error;
    } finally {
      log("ticker", "producer finally: feed closed");
      ended();
    }
  }, { name: "ticker producer" });
  const iterator = stream[Symbol.asyncIterator]();
  // The first next() starts the producer here, under the request's scope
  // and in its context; the body pulls the rest and ends the stream.
  const first = await iterator.next();
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (!first.done) controller.enqueue(encoder.encode(first.value));
    },
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      // The client hung up: leaving the loop cancels the producer and
      // waits for its finally.
      requestId.run(
        id,
        () => log("ticker", "client hung up: closing the stream"),
      );
      await iterator.return?.();
    },
  }, { highWaterMark: 0 });
  return new Response(body, { headers: { "content-type": "text/plain" } });
}

/** The client: reads ticks as they come, hangs up after three. */
async function readTicks(url: string): Promise<void> {
  log("client", "GET /ticks (streamed)");
  const response = await fetch(`${url}/ticks`, {
    headers: { [REQUEST_ID_HEADER]: requestId.get() ?? "" },
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream())
    .getReader();
  let buffered = "";
  try {
    while (streamed.ticks < TICKS_READ) {
      const { value, done } = await waitUnlessCancelled(reader.read());
      if (done) break;
      buffered += value;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        log("client", `read "${buffered.slice(0, newline)}"`);
        buffered = buffered.slice(newline + 1);
        streamed.ticks++;
      }
      await sleep(200); // slow reading: longer than the read timeout
    }
    log("client", `hangs up after ${streamed.ticks} ticks`);
  } finally {
    await reader.cancel();
  }
}
