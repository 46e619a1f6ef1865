// Copyright the corral authors. MIT license.
/**
 * `handler()` and the Hono middleware on the other servers: `Bun.serve`
 * (Bun from npm) and Node's `node:http` through `@hono/node-server` (Node
 * running TypeScript through tsx), each in a child process that serves
 * `_test_runtime_child.ts`. The first run on a machine downloads Bun and
 * the packages into npx's cache; later runs take about a second each.
 *
 * @module
 */
import assert from "node:assert/strict";
import { TextLineStream } from "./_test_util.ts";

const ROOT = new URL("../../", import.meta.url);
const CHILD = "packages/http/_test_runtime_child.ts";
const TSCONFIG = "tools/conformance/tsconfig.json";
const TSX = "tsx@4.23.15";
const BUN = "bun@1.4.5";
const HONO = ["-p", "hono@4.13.23", "-p", "@hono/node-server@2.1.11"];

interface Runtime {
  name: string;
  /** Installs into npx's cache first, without our NODE_OPTIONS (see tools/conformance/main.ts). */
  prepare: string[];
  command: string[];
  env?: Record<string, string>;
}

const runtimes: Runtime[] = [
  {
    name: "Bun.serve",
    prepare: ["npx", "--yes", "-p", BUN, ...HONO, "bun", "--version"],
    command: [
      "npx",
      "--yes",
      "-p",
      BUN,
      ...HONO,
      "bun",
      "run",
      "--tsconfig-override",
      TSCONFIG,
      CHILD,
    ],
  },
  {
    name: "Node (@hono/node-server)",
    prepare: ["npx", "--yes", "-p", TSX, ...HONO, "tsx", "--version"],
    command: [
      "npx",
      "--yes",
      "-p",
      TSX,
      ...HONO,
      "tsx",
      "--tsconfig",
      TSCONFIG,
      CHILD,
    ],
    env: {
      NODE_OPTIONS: `--import=${new URL(
        "tools/conformance/node_esm.mjs",
        ROOT,
      )}`,
    },
  },
];

/** A child server and the lines it printed, read as they come. */
class Child implements AsyncDisposable {
  readonly #process: Deno.ChildProcess;
  readonly #lines: ReadableStreamDefaultReader<string>;
  readonly seen: string[] = [];
  port = 0;

  constructor(runtime: Runtime) {
    this.#process = new Deno.Command(runtime.command[0]!, {
      args: runtime.command.slice(1),
      cwd: ROOT,
      env: runtime.env,
      stdin: "piped", // closed when done: the server's signal to exit
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#lines = this.#process.stdout
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(new TextLineStream())
      .getReader();
  }

  /** Reads lines until one starts with `prefix`; returns it. */
  async expect(prefix: string): Promise<string> {
    for (;;) {
      const { value, done } = await this.#lines.read();
      if (done) {
        throw new Error(`exited before "${prefix}"; seen: ${this.seen}`);
      }
      this.seen.push(value);
      if (value.startsWith(prefix)) return value;
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    // The end of stdin stops the server itself: npx, which this signal
    // reaches, does not pass it on to the runtime it started.
    await this.#process.stdin.close().catch(() => {});
    try {
      this.#process.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await this.#lines.cancel();
    await this.#process.status;
  }
}

for (const runtime of runtimes) {
  Deno.test({
    name:
      `handler() and corral() on ${runtime.name}: deadlines, hostile headers, client disconnects`,
    // Child processes: the first run downloads the runtime.
    sanitizeResources: true,
    async fn() {
      const prepared = await new Deno.Command(runtime.prepare[0]!, {
        args: runtime.prepare.slice(1),
        cwd: ROOT,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(
        prepared.code,
        0,
        new TextDecoder().decode(prepared.stderr),
      );
      await using child = new Child(runtime);
      child.port = Number((await child.expect("LISTENING ")).split(" ")[1]);

      for (const kind of ["handler", "hono"]) {
        // The deadline arrives in each header format, capped by nothing.
        for (
          const [header, value, expected] of [
            ["corral-timeout", "1500", 1_500],
            ["grpc-timeout", "2S", 2_000],
            ["connect-timeout-ms", "700", 700],
          ] as const
        ) {
          const response = await fetch(`${child.url}/${kind}/info`, {
            headers: { [header]: value },
          });
          assert.deepEqual(await response.json(), {
            name: `GET /${kind}/info`,
            timeout: expected,
          });
        }
        // Hostile headers: refused, the route never runs.
        for (const value of ["-1", "1e309", "8".repeat(8_000), "5X"]) {
          const response = await fetch(`${child.url}/${kind}/info`, {
            headers: { "corral-timeout": value },
          });
          assert.equal(response.status, 400, `${kind} ${value.slice(0, 9)}`);
          await response.body?.cancel();
        }
        // The deadline passes: 504, after the route was cancelled.
        const late = await fetch(`${child.url}/${kind}/slow`, {
          headers: { "corral-timeout": "10" },
        });
        assert.equal(late.status, 504);
        await late.body?.cancel();
        assert.equal(
          await child.expect("CANCELLED "),
          `CANCELLED /${kind}/slow deadline`,
        );

        // The client goes away: the request's scope is cancelled.
        const client = new AbortController();
        const request = fetch(`${child.url}/${kind}/slow`, {
          signal: client.signal,
        });
        await child.expect(`ENTERED /${kind}/slow`);
        client.abort();
        await assert.rejects(request, { name: "AbortError" });
        assert.equal(
          await child.expect("CANCELLED "),
          `CANCELLED /${kind}/slow explicit`,
          `${runtime.name} reports the disconnect`,
        );
        assert.equal(
          await child.expect(`STATUS /${kind}/slow`),
          `STATUS /${kind}/slow 499`,
        );
      }
    },
  });
}
