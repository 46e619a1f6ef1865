// Copyright the corral authors. MIT license.
// Fast checks of the runner itself; the suite runs with `deno task conformance`.
import assert from "node:assert/strict";
import { renderTable } from "./_table.ts";
import { checkTsconfigPaths } from "./main.ts";

Deno.test("renderTable() shows pass, FAIL and n.a. by runtime, with totals and notes", () => {
  const { text, failed } = renderTable([
    {
      title: "deno 2",
      results: [
        { name: "a", status: "pass", ms: 1 },
        { name: "b", status: "na", detail: "no interop", ms: 0 },
      ],
      facts: ["backend X"],
    },
    {
      title: "node 20",
      results: [
        { name: "a", status: "fail", detail: "AssertionError: nope", ms: 1 },
      ],
      facts: ["lacks Y"],
    },
    {
      title: "chromium",
      results: [],
      notRun: { status: "na", reason: "chromium not installed" },
      facts: [],
    },
  ]);
  assert.equal(failed, 2, "one FAIL, one case not reported");
  const lines = text.split("\n");
  assert.match(lines[0]!, /^test\s+deno 2\s+node 20\s+chromium$/);
  assert.match(lines[2]!, /^a\s+pass\s+FAIL\s+n\.a\. \[1\]$/);
  assert.match(
    lines[3]!,
    /^b\s+n\.a\. \[2\]\s+FAIL \(missing\)\s+n\.a\. \[1\]$/,
  );
  assert.match(text, /1 pass, 0 FAIL, 1 n\.a\.\s+0 pass, 2 FAIL, 0 n\.a\./);
  assert.match(text, /\[1\] chromium not installed\n\s+\[2\] no interop/);
  assert.match(text, /node 20: a\n\s+AssertionError: nope/);
  assert.match(text, /node 20: b: not reported/);
});

Deno.test("renderTable() fails a runtime that did not run, even when it is the only column", () => {
  const { text, failed } = renderTable([{
    title: "chromium",
    results: [],
    notRun: { status: "fail", reason: "crashed while loading: Error: x" },
    facts: [],
  }]);
  assert.equal(failed, 1);
  assert.match(
    text,
    /chromium: did not run\n\s+crashed while loading: Error: x/,
  );
});

Deno.test("the browser page loads every case file that run.ts loads", async () => {
  const cases = async (file: string) =>
    [
      ...(await Deno.readTextFile(new URL(file, import.meta.url)))
        .matchAll(/^import "(\.\/[a-z_]+\.ts)";$/gm),
    ].map((match) => match[1]).sort();
  const everywhere = await cases("./run.ts");
  assert.ok(everywhere.length >= 9, everywhere.join());
  assert.deepEqual(await cases("./run_browser.ts"), everywhere);
});

Deno.test("checkTsconfigPaths() finds every package's main entry mapped to its file", async () => {
  const { row } = await checkTsconfigPaths();
  assert.equal(row.status, "pass", row.detail);
});
