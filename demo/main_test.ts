// Copyright the corral authors. MIT license.
import assert from "node:assert/strict";

Deno.test("demo/main.ts runs, exits 0 and logs every line in its request", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("./main.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);

  assert.equal(output.code, 0, stderr);
  const lines = stdout.trimEnd().split("\n").map((line) =>
    line.replace(/^ *\d+ ms /, "")
  );
  for (const id of ["r-1", "r-2", "r-3"]) {
    assert.ok(lines.includes(`[${id}] handle: start`), stdout);
    assert.ok(
      lines.includes(`[${id}] setTimeout callback for user-of-${id}`),
      stdout,
    );
    assert.ok(lines.includes(`[${id}] handle: done`), stdout);
  }
  // The three requests ran at once: all started before any finished.
  const firstDone = lines.findIndex((line) => line.endsWith("handle: done"));
  const lastStart = lines.findLastIndex((line) =>
    line.endsWith("handle: start")
  );
  assert.ok(lastStart < firstDone, stdout);
  // The shortest request (r-2) finished first, the longest (r-1) last.
  const done = lines.filter((line) => line.endsWith("handle: done"));
  assert.deepEqual(done, [
    "[r-2] handle: done",
    "[r-3] handle: done",
    "[r-1] handle: done",
  ]);
  assert.deepEqual(lines.slice(-4), [
    "[no request] all done: user-of-r-1, user-of-r-2, user-of-r-3",
    "[r-1] Snapshot.wrap callback called from r-9",
    "[r-2] bound generator created in r-2, resumed from r-3",
    "[r-3] plain generator created in r-2, resumed from r-3",
  ]);
});
