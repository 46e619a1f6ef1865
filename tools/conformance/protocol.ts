// Copyright the corral authors. MIT license.
/**
 * What `run.ts` hands `main.ts`: one line on stdout, the marker then JSON.
 *
 * @module
 */
import type { TestResult } from "./harness.ts";

/** Precedes the JSON line on stdout, so stray output cannot confuse it. */
export const RESULT_MARKER = "@@corral-conformance@@";

/** What one runtime reports. */
export interface RuntimeReport {
  runtime: string;
  version: string;
  contextBackend: string;
  /** Built-ins the runtime lacks, among those worth knowing about. */
  lacks: string[];
  results: TestResult[];
}
