// Copyright the corral authors. MIT license.
// @corral/interop as installed from its npm tarball.
import { test } from "node:test";
import assert from "node:assert/strict";
import { moveOnAfter, sleep } from "@corral/scope";
import { abortable, fromSignal, toPromise } from "@corral/interop";

test("abortable aborts foreign AbortSignal-aware work when its scope is cancelled", async () => {
  let aborted = false;

  const result = await moveOnAfter(5, () =>
    abortable((signal) =>
      new Promise((resolve, reject) => {
        signal.addEventListener("abort", () => {
          aborted = true;
          reject(signal.reason);
        });
      })
    ));

  assert.equal(result, undefined);
  assert.equal(aborted, true);
});

test("fromSignal cancels structured work when an AbortSignal aborts", async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 5);

  const result = await fromSignal(controller.signal, async () => {
    await sleep(10_000);
    return "finished";
  });

  assert.equal(result, undefined);
});

test("toPromise runs structured code from promise code", async () => {
  assert.equal(await toPromise(async () => {
    await sleep(1);
    return 42;
  }), 42);
});
