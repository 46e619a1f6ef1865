// Copyright the corral authors. MIT license.
// A program for main_test.ts, run as a child process on Deno, Node and Bun
// and sent real signals. `args[0]` picks what the program does; it prints
// "ready" once main() listens for signals.
import { shielded, sleep, sleepForever } from "@corral/scope";
import { main } from "./main.ts";

interface Runtime {
  Deno?: { args: string[] };
  process?: { argv: string[]; listenerCount(event: string): number };
}
const runtime = globalThis as Runtime;
const args = runtime.Deno?.args ?? runtime.process?.argv.slice(2) ?? [];
const [mode, grace] = args;
const gracePeriod = grace === undefined ? undefined : Number(grace);

switch (mode) {
  case "succeed":
    await main(() => {
      console.log("ran");
      return 7;
    });
    break;
  case "fail":
    await main(() => {
      throw new Error("boom in main");
    });
    break;
  case "wait":
    // Waits for a signal; cleanup reports what cancelled it.
    await main(async () => {
      console.log("ready");
      try {
        await sleepForever();
      } catch (error) {
        console.log(`cancelled: ${(error as Error).message}`);
        throw error;
      } finally {
        await shielded(() => sleep(20)); // cleanup that takes a while
        console.log("cleanup done");
      }
    }, { gracePeriod });
    break;
  case "stop-quietly":
    // Swallows the cancellation and returns: a signal still decides the code.
    await main(async () => {
      console.log("ready");
      await sleepForever().catch(() => console.log("stopping"));
    });
    break;
  case "stubborn":
    // Cleanup that would take a minute: only a second signal or the grace
    // period ends it.
    await main(async () => {
      console.log("ready");
      try {
        await sleepForever();
      } finally {
        console.log("cleaning up slowly");
        await shielded(() => sleep(60_000));
      }
    }, { gracePeriod });
    break;
  case "fail-on-shutdown":
    await main(async () => {
      console.log("ready");
      try {
        await sleepForever();
      } finally {
        // deno-lint-ignore no-unsafe-finally
        throw new Error("cleanup failed");
      }
    });
    break;
  case "no-exit": {
    // main() resolves and leaves nothing behind: the program then ends by
    // itself (a leftover signal listener keeps Deno running, a leftover
    // timer keeps every runtime running).
    const code = await main(() => sleep(5), { exit: false });
    const listeners = runtime.Deno === undefined
      ? runtime.process?.listenerCount("SIGINT")
      : "n/a";
    console.log(`code ${code}, SIGINT listeners ${listeners}`);
    break;
  }
  default:
    throw new Error(`unknown mode ${mode}`);
}
