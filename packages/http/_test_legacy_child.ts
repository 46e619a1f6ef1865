// Copyright the corral authors. MIT license.
/**
 * Test helper, not published: run by `legacy_abort_test.ts` with
 * `deno run --no-config` (so without the workspace's `no-legacy-abort`).
 * Serves `handler()` on 127.0.0.1, makes one quick request and, with the
 * argument `slow`, one that outlives its first macrotask; prints
 * `RESULT <statuses> <whether a scope was cancelled>` and exits.
 *
 * @module
 */
import { sleep } from "@corral/scope";
import type { CancelScope } from "@corral/scope";
import { handler } from "./handler.ts";

const scopes: CancelScope[] = [];
const server = Deno.serve(
  { port: 0, hostname: "127.0.0.1", onListen() {} },
  handler(async (request, { scope, info }) => {
    scopes.push(scope);
    if (new URL(request.url).pathname === "/slow") await sleep(5);
    const done = info!.completed!;
    done.then(() => {}, () => {});
    return new Response("ok");
  }),
);
const paths = Deno.args.includes("slow") ? ["/quick", "/slow"] : ["/quick"];
const statuses: number[] = [];
for (const path of paths) {
  const response = await fetch(`http://127.0.0.1:${server.addr.port}${path}`);
  await response.text();
  statuses.push(response.status);
}
await sleep(20); // the legacy abort comes after the response completes
await server.shutdown();
console.log(
  `RESULT ${statuses.join(",")} ${scopes.some((scope) => scope.cancelCalled)}`,
);
