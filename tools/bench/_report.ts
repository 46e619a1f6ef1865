// Copyright the corral authors. MIT license.
/**
 * Turns case results into tables, as aligned text or as Markdown.
 *
 * @module
 */
import type { BenchmarkInfo } from "./_harness.ts";

/** What one case (benchmark × implementation × size) produced. */
export interface CaseResult {
  /** `ok` if at least one round finished. */
  status: "ok" | "timeout" | "error" | "skipped";
  /** Medians over the rounds (ms, ns, bytes as named). */
  ms?: number;
  nsPerOp?: number;
  cancelMs?: number;
  bytesPerTask?: number;
  rounds: number;
  /** The child was killed after some rounds: the median is of those. */
  cutShort?: boolean;
  /** The error, or what the child printed before it died. */
  message?: string;
}

/** Results of one benchmark: `results[impl][sizeIndex]`. */
export interface BenchmarkResults {
  info: BenchmarkInfo;
  results: Record<string, (CaseResult | undefined)[]>;
}

/** A rendered-format-independent table. */
export interface Table {
  heading: string;
  title: string;
  headers: string[];
  rows: string[][];
  /** Lines under the table: legend, footnotes. */
  notes: string[];
}

/** A target line for the summary: `context/get corral 1.08× ≤ 1.2× PASS`. */
export interface TargetCheck {
  benchmark: string;
  impl: string;
  ratio: number | undefined;
  limit: number;
}

/** The median of some numbers (`NaN` for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[middle]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function significant(value: number, digits = 3): string {
  if (value === 0) return "0";
  const decimals = Math.max(
    0,
    digits - 1 - Math.floor(Math.log10(Math.abs(value))),
  );
  return value.toFixed(Math.min(decimals, 3));
}

/** `0.000412` ms → `412 ns`; `1520` ms → `1.52 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  if (ms < 1e-3) return `${significant(ms * 1e6)} ns`;
  if (ms < 1) return `${significant(ms * 1e3)} µs`;
  if (ms < 1e3) return `${significant(ms)} ms`;
  return `${significant(ms / 1e3)} s`;
}

/** `1.0512` → `1.05×`. */
export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return "–";
  if (ratio < 10) return `${ratio.toFixed(2)}×`;
  if (ratio < 100) return `${ratio.toFixed(1)}×`;
  return `${Math.round(ratio)}×`;
}

/** `100000` → `100k`, `1111` → `1.1k`. */
export function formatCount(n: number): string {
  const short = (value: number) => significant(value, 2).replace(/\.0$/, "");
  if (n >= 1e6) return `${short(n / 1e6)}M`;
  if (n >= 1e3) return `${short(n / 1e3)}k`;
  return String(n);
}

function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "–";
  if (bytes >= 1024 * 1024) return `${significant(bytes / 1024 / 1024)} MiB`;
  if (bytes >= 1024) return `${significant(bytes / 1024)} KiB`;
  return `${Math.round(bytes)} B`;
}

/** `timeout`, `error¹`, … for a case without a number. */
function failure(result: CaseResult | undefined, notes: Notes): string {
  if (result === undefined || result.status === "skipped") return "–";
  if (result.status === "timeout") {
    return "timeout" +
      (result.message === undefined ? "" : notes.mark(result.message));
  }
  return `error${notes.mark(result.message ?? "unknown error")}`;
}

/** Footnotes, numbered in order, each message once. */
class Notes {
  #messages: string[] = [];
  mark(message: string): string {
    let index = this.#messages.indexOf(message);
    if (index === -1) index = this.#messages.push(message) - 1;
    return "¹²³⁴⁵⁶⁷⁸⁹"[index] ?? `(${index + 1})`;
  }
  lines(): string[] {
    return this.#messages.map((message, i) =>
      `${"¹²³⁴⁵⁶⁷⁸⁹"[i] ?? `(${i + 1})`} ${message}`
    );
  }
}

function cutMark(result: CaseResult | undefined): string {
  return result?.cutShort ? "*" : "";
}

function legendLines(
  info: BenchmarkInfo,
  impls: readonly string[],
): string[] {
  if (info.legend === undefined) return [];
  return impls
    .filter((impl) => info.legend![impl] !== undefined)
    .map((impl) => `${impl}: ${info.legend![impl]}`);
}

/** Builds the table (and target checks) for one benchmark. */
export function buildTable(
  bench: BenchmarkResults,
  targets: TargetCheck[],
): Table {
  const { info, results } = bench;
  const impls = Object.keys(results);
  const notes = new Notes();
  const baseline = results[info.baseline];
  const table: Table = {
    heading: info.name,
    title: info.title,
    headers: [],
    rows: [],
    notes: [],
  };
  const anyCut = impls.some((impl) => results[impl]!.some((r) => r?.cutShort));

  if (info.kind === "ops") {
    const sized = info.sizes.length > 1 || info.sizes[0] !== 0;
    const label = info.sizeLabel ?? "n";
    table.headers = sized
      ? [
        "impl",
        ...info.sizes.map((s) => `${label}=${formatCount(s)}`),
        `× ${info.baseline}`,
      ]
      : ["impl", "time/op", `× ${info.baseline}`, "target"];
    for (const impl of impls) {
      const row = results[impl]!;
      const cells = row.map((r) =>
        r?.nsPerOp !== undefined
          ? formatMs(r.nsPerOp / 1e6) + cutMark(r)
          : failure(r, notes)
      );
      const ratios = row.map((r, i) =>
        ratioOf(r?.nsPerOp, baseline?.[i]?.nsPerOp)
      );
      if (sized) {
        table.rows.push([impl, ...cells, ratios.map(formatRatio).join(" / ")]);
      } else {
        const limit = info.targets?.[impl];
        let target = "";
        if (limit !== undefined) {
          const ratio = ratios[0];
          const pass = ratio !== undefined && ratio <= limit;
          target = `≤ ${limit}× ${pass ? "PASS" : "FAIL"}`;
          targets.push({ benchmark: info.name, impl, ratio, limit });
        }
        table.rows.push([impl, cells[0]!, formatRatio(ratios[0]), target]);
      }
    }
  } else if (info.kind === "memory") {
    const n = info.sizes[0]!;
    table.headers = [
      "impl",
      "bytes/task",
      `× ${info.baseline}`,
      `heap for N=${formatCount(n)}`,
    ];
    for (const impl of impls) {
      const r = results[impl]![0];
      if (r?.bytesPerTask === undefined) {
        table.rows.push([impl, failure(r, notes), "–", "–"]);
        continue;
      }
      table.rows.push([
        impl,
        formatBytes(r.bytesPerTask) + cutMark(r),
        formatRatio(ratioOf(r.bytesPerTask, baseline?.[0]?.bytesPerTask)),
        formatBytes(r.bytesPerTask * n),
      ]);
    }
  } else {
    // scaling and blocked: total time at each N, then per-task cost.
    const sizes = info.sizes;
    const sizeNames = sizes.map(formatCount);
    table.headers = [
      "impl",
      ...sizeNames.map((s) => `N=${s}`),
      ...sizeNames.map((s) => `/task @${s}`),
      `× ${info.baseline}`,
      "growth",
      // The cancellation phase alone, per task at each N: whether the
      // cancel itself stays linear when the whole cycle does not (a larger
      // heap makes every allocation dearer).
      ...(info.kind === "blocked"
        ? sizeNames.map((s) => `cancel/task @${s}`)
        : []),
    ];
    for (const impl of impls) {
      const row = results[impl]!;
      const totals = row.map((r) =>
        r?.ms !== undefined ? formatMs(r.ms) + cutMark(r) : failure(r, notes)
      );
      const perItem = row.map((r, i) =>
        r?.ms !== undefined ? formatMs(r.ms / sizes[i]!) : "–"
      );
      // Ratio at the largest N both finished; growth = per-item cost at the
      // largest N this one finished over that at the smallest.
      let ratio = "–";
      for (let i = sizes.length - 1; i >= 0; i--) {
        const r = ratioOf(row[i]?.ms, baseline?.[i]?.ms);
        if (r !== undefined) {
          ratio = formatRatio(r) +
            (i === sizes.length - 1 ? "" : ` @${sizeNames[i]}`);
          break;
        }
      }
      const finished = row.map((r, i) => [r?.ms, i] as const)
        .filter(([ms]) => ms !== undefined);
      let growth = "–";
      if (finished.length > 1) {
        const [firstMs, first] = finished[0]!;
        const [lastMs, last] = finished[finished.length - 1]!;
        const g = (lastMs! / sizes[last]!) / (firstMs! / sizes[first]!);
        growth = formatRatio(g) +
          (last === sizes.length - 1 ? "" : ` @${sizeNames[last]}`);
      }
      const cells = [impl, ...totals, ...perItem, ratio, growth];
      if (info.kind === "blocked") {
        cells.push(
          ...row.map((r, i) =>
            r?.cancelMs !== undefined ? formatMs(r.cancelMs / sizes[i]!) : "–"
          ),
        );
      }
      table.rows.push(cells);
    }
    table.notes.push(
      `× ${info.baseline}: per-task cost over the baseline's at the largest N both finished; ` +
        "growth: per-task cost at the largest N over that at the smallest (1.00× = linear)",
    );
  }
  table.notes.push(...legendLines(info, impls));
  if (anyCut) {
    table.notes.push(
      "* the case was stopped by the time limit; median of the rounds that finished",
    );
  }
  table.notes.push(...notes.lines());
  return table;
}

function ratioOf(
  value: number | undefined,
  base: number | undefined,
): number | undefined {
  if (value === undefined || base === undefined || base <= 0) return undefined;
  return value / base;
}

/** Renders a table as aligned plain text. */
export function renderText(table: Table): string {
  const widths = table.headers.map((header, i) =>
    Math.max(
      header.length,
      ...table.rows.map((row) => (row[i] ?? "").length),
    )
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) =>
      i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)
    ).join("  ").trimEnd();
  return [
    `== ${table.heading}: ${table.title}`,
    line(table.headers),
    line(widths.map((w) => "-".repeat(w))),
    ...table.rows.map(line),
    ...table.notes.map((note) => `   ${note}`),
    "",
  ].join("\n");
}

/** Renders a table as Markdown (for the README). */
export function renderMarkdown(table: Table): string {
  const escape = (cell: string) => cell.replaceAll("|", "\\|");
  return [
    `### ${table.heading}`,
    "",
    `${table.title}.`,
    "",
    `| ${table.headers.map(escape).join(" | ")} |`,
    `| ${
      table.headers.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")
    } |`,
    ...table.rows.map((row) => `| ${row.map(escape).join(" | ")} |`),
    "",
    ...table.notes.map((note) => `- ${note}`),
    "",
  ].join("\n");
}
