// Copyright the corral authors. MIT license.
/**
 * Test helper, not published: serves `handler()` and a Hono app with the
 * `corral()` middleware on the runtime that runs this file, Bun
 * (`Bun.serve`) or Node (`@hono/node-server`), on 127.0.0.1, port 0.
 * `runtimes_test.ts` starts it with npx; npx puts the npm packages it was
 * given (`hono`, `@hono/node-server`) in a `node_modules` whose `.bin` is on
 * `PATH`, which is where this file loads them from.
 *
 * Lines on stdout: `LISTENING <port>`, then `ENTERED <path>`,
 * `CANCELLED <path> <source>`, `STATUS <path> <status>` as requests run.
 * It exits when its stdin ends: the test closes it when done (and the
 * system does if the test dies). A signal would reach only npx, which
 * leaves this process running with its server.
 *
 * @module
 */
import { createRequire } from "node:module";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { type Cancelled, sleepForever } from "@corral/scope";
import { handler, type RequestHandler } from "./handler.ts";
import { corral, type CorralVariables } from "./hono.ts";

const say = (line: string) => process.stdout.write(`${line}\n`);

process.stdin.on("end", () => process.exit(0));
process.stdin.resume();

/** The `node_modules` that npx made for this run. */
function npxModules(): string {
  const bin = (process.env.PATH ?? "").split(":").find((dir) =>
    dir.includes("_npx") && dir.endsWith("/node_modules/.bin")
  );
  if (bin === undefined) throw new Error("not started by npx with -p hono");
  return bin.slice(0, -".bin".length);
}

const modules = npxModules();
const require = createRequire(`${modules}package.json`);
async function load<T>(name: string): Promise<T> {
  return await import(pathToFileURL(require.resolve(name)).href) as T;
}

/** Waits forever in the request's scope; reports how it ended. */
async function slow(path: string): Promise<never> {
  say(`ENTERED ${path}`);
  try {
    return await sleepForever();
  } catch (error) {
    say(`CANCELLED ${path} ${(error as Cancelled).source}`);
    throw error;
  }
}

const app: RequestHandler = (request, { scope, timeout }) => {
  const path = new URL(request.url).pathname;
  if (path === "/handler/slow") return slow(path);
  return Response.json({ name: scope.name, timeout });
};
const fetchHandler = handler(app);

type HonoModule = typeof import("npm:hono@4.13.23");
const { Hono } = await load<HonoModule>("hono");
const hono = new Hono<{ Variables: CorralVariables }>();
hono.use(corral());
hono.get("/hono/slow", (c) => slow(c.req.path));
hono.get(
  "/hono/info",
  (c) => c.json({ name: c.get("scope").name, timeout: c.get("timeout") }),
);
hono.onError((error, c) => c.text(String(error), 500)); // quiet

async function fetch(request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  const response = path.startsWith("/hono/")
    ? await hono.fetch(request)
    : await fetchHandler(request);
  say(`STATUS ${path} ${response.status}`);
  return response;
}

const runtime = globalThis as {
  Bun?: {
    serve(options: {
      fetch: typeof fetch;
      port: number;
      hostname: string;
    }): { port: number };
  };
};
if (runtime.Bun) {
  const server = runtime.Bun.serve({ fetch, port: 0, hostname: "127.0.0.1" });
  say(`LISTENING ${server.port}`);
} else {
  type NodeServer = typeof import("npm:@hono/node-server@2.1.11");
  const { serve } = await load<NodeServer>("@hono/node-server");
  serve(
    { fetch, port: 0, hostname: "127.0.0.1" },
    (info) => say(`LISTENING ${info.port}`),
  );
}
