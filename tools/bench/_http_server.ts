// Copyright the corral authors. MIT license.
/**
 * The servers of `http.ts`, in a process of their own so that the load
 * generator and the other runtime do not share its event loop, and its CPU
 * time can be read per round. Runs on Deno (`Deno.serve`) or Bun
 * (`Bun.serve`), one server per variant, each on 127.0.0.1 port 0, and
 * prints one line, `PORTS {"bare": 1234, ...}`, then serves until killed.
 *
 * Variants, each answering `hello world`:
 * - `bare`: the handler alone, as the runtime calls it;
 * - `bare + url, header`: the same as an async function that reads its URL
 *   and one header, as a handler that routes or checks a token does. Deno
 *   makes both lazily, so a handler that never looks at them does not pay
 *   for them; and Deno answers a returned `Response` on a faster path than
 *   a returned promise, which every async handler pays (about 0.7 µs of
 *   server CPU on Deno 2.9). `handler()` does not: it returns the
 *   `Response` of a handler that answered synchronously as it is;
 * - `bare + deadline headers`: `bare` after reading the deadline headers
 *   `handler()` reads (`TIMEOUT_HEADERS`), the least a wrapper that honours
 *   a deadline does;
 * - `handler()`: `bare` through `@corral/http`'s `handler()` (which reads
 *   the deadline headers, and the URL only if the scope's name is read);
 * - `hono`: a Hono app with one route;
 * - `hono + empty middleware`: the same app behind a middleware that only
 *   calls `next()` (a Hono route behind any middleware leaves Hono's
 *   one-handler fast path for its `compose` chain);
 * - `hono + middleware`: the same behind a trivial middleware that reads
 *   one header, as an auth check does;
 * - `hono + deadline headers`: the same behind a middleware that reads the
 *   deadline headers;
 * - `hono + corral()`: `hono` with the `corral()` middleware.
 *
 * On Bun, Hono is loaded from the `node_modules` npx made (`npx -p hono`),
 * found through its `.bin` on `PATH`.
 *
 * @module
 */
import { createRequire } from "node:module";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { handler, TIMEOUT_HEADERS } from "@corral/http";
import { corral } from "@corral/http/hono";

type HonoModule = typeof import("npm:hono@4.13.23");

interface Runtime {
  Deno?: {
    serve(
      options: { port: number; hostname: string; onListen(): void },
      fetch: (request: Request) => Response | Promise<Response>,
    ): { addr: { port: number } };
  };
  Bun?: {
    serve(options: {
      port: number;
      hostname: string;
      fetch: (request: Request) => Response | Promise<Response>;
    }): { port: number };
  };
}

async function loadHono(): Promise<HonoModule> {
  if ((globalThis as Runtime).Deno) return await import("npm:hono@4.13.23");
  const bin = (process.env.PATH ?? "").split(":").find((dir) =>
    dir.includes("_npx") && dir.endsWith("/node_modules/.bin")
  );
  if (bin === undefined) throw new Error("start Bun with npx -p hono");
  const require = createRequire(`${bin.slice(0, -".bin".length)}package.json`);
  return await import(pathToFileURL(require.resolve("hono")).href);
}

/** The handler every variant runs: as small as a real one gets. */
function hello(): Response {
  return new Response("hello world");
}

const { Hono } = await loadHono();
const bareHono = new Hono();
bareHono.get("/hello", (c) => c.text("hello world"));
const middlewareHono = new Hono();
middlewareHono.use(async (c, next) => {
  if (c.req.header("authorization") === "") throw new Error("unreachable");
  await next();
});
middlewareHono.get("/hello", (c) => c.text("hello world"));
// The least any middleware costs: Hono answers a route with one handler
// without its middleware chain (synchronously, for a synchronous handler),
// and any middleware puts the request through the chain.
const emptyMiddlewareHono = new Hono();
emptyMiddlewareHono.use(async (_c, next) => {
  await next();
});
emptyMiddlewareHono.get("/hello", (c) => c.text("hello world"));
// The least a middleware that honours a deadline costs: the three headers.
const headersHono = new Hono();
headersHono.use(async (c, next) => {
  if (TIMEOUT_HEADERS.some((name) => c.req.header(name) === "")) {
    throw new Error("unreachable");
  }
  await next();
});
headersHono.get("/hello", (c) => c.text("hello world"));
const corralHono = new Hono();
corralHono.use(corral());
corralHono.get("/hello", (c) => c.text("hello world"));

const variants: Record<
  string,
  (request: Request) => Response | Promise<Response>
> = {
  "bare": hello,
  "bare + url, header": async (request) =>
    request.url === "" || request.headers.get("authorization") !== null
      ? await new Response(null, { status: 400 })
      : await hello(),
  // What reading a deadline costs before any scope: the three headers
  // `handler()` looks at (on Deno.serve each read is a call into the
  // runtime), answered synchronously, as `handler()` answers `hello`.
  "bare + deadline headers": (request) => {
    const headers = request.headers;
    return TIMEOUT_HEADERS.some((name) => headers.get(name) === "")
      ? new Response(null, { status: 400 })
      : hello();
  },
  "handler()": handler(hello),
  "hono": (request) => bareHono.fetch(request),
  "hono + empty middleware": (request) => emptyMiddlewareHono.fetch(request),
  "hono + middleware": (request) => middlewareHono.fetch(request),
  "hono + deadline headers": (request) => headersHono.fetch(request),
  "hono + corral()": (request) => corralHono.fetch(request),
};

const runtime = globalThis as Runtime;
const ports: Record<string, number> = {};
for (const [name, fetch] of Object.entries(variants)) {
  const listen = { port: 0, hostname: "127.0.0.1" };
  ports[name] = runtime.Deno
    ? runtime.Deno.serve({ ...listen, onListen() {} }, fetch).addr.port
    : runtime.Bun!.serve({ ...listen, fetch }).port;
}
process.stdout.write(`PORTS ${JSON.stringify({ ports, pid: process.pid })}\n`);
