// Copyright the corral authors. MIT license.
/**
 * The browser table of `docs/runtimes.md`, checked: in a fresh Deno process
 * with no context backend (Deno's context slot and
 * `process.getBuiltinModule` hidden, as in a browser), each export the
 * table says works does, and each it says needs a backend throws (or
 * rejects with) the "no backend" error of `@corral/context`.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

/** What each call does in the fresh process: "ok", "missing" or another error. */
const probe = `
const internal = Deno[Deno.internal];
internal.core = { ...internal.core, getAsyncContext: undefined };
delete globalThis.process.getBuiltinModule;
if (typeof globalThis.process.getBuiltinModule !== "undefined") {
  Object.defineProperty(globalThis.process, "getBuiltinModule", { value: undefined, configurable: true });
}
const context = await import("@corral/context");
const scope = await import("@corral/scope");
const testing = await import("@corral/scope/testing");
const sync = await import("@corral/sync");
const taskgroup = await import("@corral/taskgroup");
const interop = await import("@corral/interop");
const http = await import("@corral/http");
const stream = await import("@corral/stream");
const worker = await import("@corral/worker");
const calls = {
  "contextBackend": () => context.contextBackend === "none" || "backend " + context.contextBackend,
  "new Variable()": () => new context.Variable({ name: "v" }).name,
  "bindGenerator(fn)": () => context.bindGenerator(function* () {}),
  "variable.get()": () => new context.Variable().get(),
  "variable.run()": () => new context.Variable().run(1, () => 1),
  "new Snapshot()": () => new context.Snapshot(),
  "Snapshot.wrap()": () => context.Snapshot.wrap(() => 1),
  "bindGenerator wrapper call": () => context.bindGenerator(function* () {})(),
  "new CancelScope(), cancel(), signal": () => { const s = new scope.CancelScope({ timeout: 5 }); s.cancel("x"); return s.signal; },
  "Cancelled, TimeoutError": () => [new scope.Cancelled(), new scope.TimeoutError()],
  "new MockClock(), now(), advance()": () => { const c = new testing.MockClock(); c.advance(5); return c.now(); },
  "scope.run()": () => new scope.CancelScope().run(() => 1),
  "currentScope()": () => scope.currentScope(),
  "checkpoint()": () => scope.checkpoint(),
  "now()": () => scope.now(),
  "sleep()": () => scope.sleep(1),
  "moveOnAfter()": () => scope.moveOnAfter(1, () => 1),
  "failAfter()": () => scope.failAfter(1, () => 1),
  "shielded()": () => scope.shielded(() => 1),
  "currentEffectiveDeadline()": () => scope.currentEffectiveDeadline(),
  "retry()": () => scope.retry(() => 1),
  "clock.run()": () => new testing.MockClock().run(() => 1),
  "sync constructors, event.set()": () => { const e = new sync.Event(); e.set(); return [new sync.Lock(), new sync.Semaphore(1), e.isSet]; },
  "openChannel(), trySend()": () => { const [s] = sync.openChannel(1); return s.trySend(1); },
  "lock.acquire()": () => new sync.Lock().acquire(),
  "event.wait()": () => new sync.Event().wait(),
  "sender.send()": () => sync.openChannel(1)[0].send(1),
  "TaskGroupError, taskTree()": () => [new taskgroup.TaskGroupError([], "x"), taskgroup.taskTree()],
  "taskGroup()": () => taskgroup.taskGroup(() => 1),
  "race()": () => taskgroup.race([() => 1]),
  "map()": () => taskgroup.map([1], (x) => x),
  "iterateWithTimeout() (making it)": () => interop.iterateWithTimeout((async function* () {})(), 1),
  "fromSignal()": () => interop.fromSignal(new AbortController().signal, () => 1),
  "abortable()": () => interop.abortable(async () => 1),
  "toPromise()": () => interop.toPromise(() => 1),
  "parseTimeout(), formatTimeout()": () => [http.parseTimeout("100"), http.formatTimeout(100)],
  "handler(fn) (making it)": () => http.handler(() => new Response("x")),
  "remainingTime()": () => http.remainingTime(),
  "fetchWithDeadline()": () => http.fetchWithDeadline("http://127.0.0.1:9/"),
  "produce(), mapStream(), merge(), safeGenerator() (making them)": () => [stream.produce(async () => {}), stream.mapStream([1], (x) => x, { limit: 1 }), stream.merge(), stream.safeGenerator(async function* () {})],
  "iterating a stream": () => stream.produce(async () => {})[Symbol.asyncIterator]().next(),
  "transfer(), markTransferable()": () => [worker.transfer(new ArrayBuffer(1), []), worker.markTransferable(new context.Variable({ name: "t" }))],
  "new WorkerPool()": () => new worker.WorkerPool({ module: new URL("https://example.com/w.js"), size: 1 }).size,
  "runInWorker()": () => worker.runInWorker(new URL("https://example.com/w.js"), "f", []),
  "pool.open()": () => new worker.WorkerPool({ module: new URL("https://example.com/w.js"), size: 1 }).open(() => 1),
  "pool.run()": () => new worker.WorkerPool({ module: new URL("https://example.com/w.js"), size: 1 }).open((pool) => pool.run("f", [])),
};
const missing = "Cannot use @corral/context: this runtime has neither";
const results = {};
for (const [name, call] of Object.entries(calls)) {
  try {
    let value = call();
    if (value instanceof Promise) value = await value;
    results[name] = typeof value === "string" && value.startsWith("backend") ? value : "ok";
  } catch (error) {
    results[name] = String(error?.message).startsWith(missing) ? "missing" : "error: " + error?.message;
  }
}
console.log(JSON.stringify(results));
`;

Deno.test("docs/runtimes.md: in a browser (no context backend), what the table says works does, and the rest throws the no-backend error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "corral-browsers-" });
  try {
    const file = `${dir}/probe.js`;
    await Deno.writeTextFile(file, probe);
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--config",
        new URL("deno.json", ROOT).pathname,
        file,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    const results = JSON.parse(new TextDecoder().decode(output.stdout));

    const works = [
      "contextBackend",
      "new Variable()",
      "bindGenerator(fn)",
      "new CancelScope(), cancel(), signal",
      "Cancelled, TimeoutError",
      "new MockClock(), now(), advance()",
      "sync constructors, event.set()",
      "openChannel(), trySend()",
      "TaskGroupError, taskTree()",
      "iterateWithTimeout() (making it)",
      "parseTimeout(), formatTimeout()",
      "handler(fn) (making it)",
      "produce(), mapStream(), merge(), safeGenerator() (making them)",
      "transfer(), markTransferable()",
      "new WorkerPool()",
      "pool.open()",
    ];
    assert.ok(Object.keys(results).length >= 45, JSON.stringify(results));
    for (const name of Object.keys(results)) {
      assert.equal(
        results[name],
        works.includes(name) ? "ok" : "missing",
        name,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
