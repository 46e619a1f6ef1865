// Copyright the corral authors. MIT license.
/**
 * Renders the conformance results as one plain-text table, test × runtime,
 * with n.a. reasons as numbered notes, the failures spelled out below, and
 * totals. Pure: `main_test.ts` checks it without running anything.
 *
 * @module
 */
import type { TestResult } from "./harness.ts";

/** One runtime's column: what it reported, or why it reported nothing. */
export interface Column {
  /** Header, as `node 20.20.2`. */
  title: string;
  /** The results it reported; empty when it did not run. */
  results: TestResult[];
  /** Set when the runtime did not run the suite at all. */
  notRun?: { status: "fail" | "na"; reason: string };
  /** Lines under the table about this runtime (backend, what it lacks). */
  facts: string[];
}

/** The rendered table and whether anything failed. */
export interface Rendered {
  text: string;
  failed: number;
}

/**
 * Renders the table.
 *
 * @param columns The runtimes, in column order.
 */
export function renderTable(columns: Column[]): Rendered {
  const names: string[] = [];
  for (const column of columns) {
    for (const result of column.results) {
      if (!names.includes(result.name)) names.push(result.name);
    }
  }
  const notes: string[] = [];
  const note = (reason: string) => {
    let index = notes.indexOf(reason);
    if (index < 0) index = notes.push(reason) - 1;
    return `[${index + 1}]`;
  };
  const failures: string[] = [];
  const totals = columns.map(() => ({ pass: 0, fail: 0, na: 0 }));

  const cell = (column: Column, index: number, name: string): string => {
    const total = totals[index]!;
    if (column.notRun) {
      total[column.notRun.status]++;
      return column.notRun.status === "fail"
        ? "FAIL (did not run)"
        : `n.a. ${note(column.notRun.reason)}`;
    }
    const result = column.results.find((each) => each.name === name);
    if (result === undefined) {
      total.fail++;
      failures.push(`${column.title}: ${name}: not reported`);
      return "FAIL (missing)";
    }
    total[result.status]++;
    if (result.status === "pass") return "pass";
    if (result.status === "na") return `n.a. ${note(result.detail ?? "")}`;
    failures.push(`${column.title}: ${name}\n    ${result.detail ?? ""}`);
    return "FAIL";
  };

  const rows = names.map((name) => [
    name,
    ...columns.map((column, index) => cell(column, index, name)),
  ]);
  const header = ["test", ...columns.map((column) => column.title)];
  const totalRow = [
    `total (${names.length} cases)`,
    ...totals.map((total) =>
      `${total.pass} pass, ${total.fail} FAIL, ${total.na} n.a.`
    ),
  ];
  const widths = header.map((_, i) =>
    Math.max(...[header, ...rows, totalRow].map((row) => row[i]!.length))
  );
  const line = (row: string[]) =>
    row.map((text, i) => text.padEnd(widths[i]!)).join("  ").trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("  ");

  const out = [line(header), rule, ...rows.map(line), rule, line(totalRow)];
  if (notes.length > 0) {
    out.push("", "n.a.:");
    notes.forEach((reason, i) => out.push(`  [${i + 1}] ${reason}`));
  }
  for (const column of columns) {
    if (column.notRun?.status === "fail") {
      failures.push(
        `${column.title}: did not run\n    ${column.notRun.reason}`,
      );
    }
  }
  if (failures.length > 0) {
    out.push("", "failures:");
    for (const failure of failures) out.push(`  ${failure}`);
  }
  out.push("", "runtimes:");
  for (const column of columns) {
    out.push(`  ${column.title}: ${column.facts.join("; ")}`);
  }
  // A runtime that did not run fails even when it was the only one asked
  // for, so that there are no rows to fail in.
  const failed = totals.reduce(
    (sum, total, i) =>
      sum +
      Math.max(total.fail, columns[i]!.notRun?.status === "fail" ? 1 : 0),
    0,
  );
  return { text: out.join("\n"), failed };
}
