// Copyright the corral authors. MIT license.
/**
 * A/B of two installed npm builds on Node or Bun: the spawn-join case
 * (`bench/spawn_join.mjs`, 100,000 tasks) run from project A and from
 * project B in turn, one process each, for `--pairs` pairs; each pair
 * starts with the other project than the one before, so the order cancels
 * out. Prints the median of the per-pair ratios B / A and their range.
 *
 * Separate processes on a shared 2-core VM move by ±10–20%, more than most
 * changes gain; a ratio taken within a pair, seconds apart, and the median
 * of many pairs, shows a 5% change where a median of passes does not.
 *
 * ```sh
 * deno run -A tools/npm/consumer_test.ts --keep    # at A: "kept <dir A>"
 * # ... change the sources ...
 * deno run -A tools/npm/consumer_test.ts --keep    # at B: "kept <dir B>"
 * deno run -A tools/npm/ab.ts <dir A> <dir B> [--runtime node|bun] [--pairs 11] [--impl corral]
 * ```
 *
 * @module
 */

import { runSpawnJoin, type SPAWN_JOIN } from "./consumer_test.ts";
import { median } from "../bench/_report.ts";

/** `runtime` as a key of `SPAWN_JOIN`, or a `TypeError`. */
function checkRuntime(runtime: string): keyof typeof SPAWN_JOIN {
  if (runtime === "node" || runtime === "bun") return runtime;
  throw new TypeError(
    `--runtime must be "node" or "bun": current value is ${runtime}`,
  );
}

/** The value of `--name`, else `fallback`. */
function option(name: string, fallback: string): string {
  const at = Deno.args.indexOf(`--${name}`);
  return at === -1 ? fallback : Deno.args[at + 1] ?? fallback;
}

if (import.meta.main) {
  const [a, b] = Deno.args.filter((arg, i, all) =>
    !arg.startsWith("--") && !all[i - 1]?.startsWith("--")
  );
  if (a === undefined || b === undefined) {
    console.error("usage: ab.ts <project A> <project B> [--runtime node|bun]");
    Deno.exit(2);
  }
  const runtime = checkRuntime(option("runtime", "node"));
  const impl = option("impl", "corral");
  const pairs = Number(option("pairs", "11"));
  if (!Number.isInteger(pairs) || pairs < 1) {
    throw new TypeError(
      `--pairs must be a positive integer: current value is ${
        option("pairs", "")
      }`,
    );
  }
  /** One run's median per-task time in ns, in `project`. */
  const perTask = async (project: string) =>
    (await runSpawnJoin<{ perTask: number }>(project, runtime, [
      "100000",
      impl,
      "11",
    ])).perTask;
  const ratios: number[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    const aFirst = pair % 2 === 0;
    const first = await perTask(aFirst ? a : b);
    const second = await perTask(aFirst ? b : a);
    const [timeA, timeB] = aFirst ? [first, second] : [second, first];
    ratios.push(timeB / timeA);
    console.log(
      `pair ${pair + 1}: A ${timeA.toFixed(0)} ns, B ${
        timeB.toFixed(0)
      } ns, B/A ${(timeB / timeA).toFixed(3)}`,
    );
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  console.log(
    `\n${runtime} ${impl}, ${pairs} pairs: B/A median ${
      median(ratios).toFixed(3)
    } (${sorted[0]!.toFixed(3)}–${sorted.at(-1)!.toFixed(3)})`,
  );
}
