// Copyright the corral authors. MIT license.
/**
 * Test helpers, not published: short real-time delays, loopback servers on
 * 127.0.0.1 and promises with their resolvers, shared by the tests of
 * `@corral/http` and `@corral/interop`.
 *
 * @module
 */

/** A short real-time delay (tests keep these to a few milliseconds). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A loopback server on an ephemeral port, closed with `await using`. */
export interface TestServer extends AsyncDisposable {
  url: string;
  server: Deno.HttpServer<Deno.NetAddr>;
}

/** Starts `Deno.serve` on 127.0.0.1, port 0, silently. */
export function startServer(
  handler: Deno.ServeHandler<Deno.NetAddr>,
): TestServer {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    handler,
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    server,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** A promise with its resolvers. */
export function deferred<T = void>(): PromiseWithResolvers<T> {
  return Promise.withResolvers<T>();
}
