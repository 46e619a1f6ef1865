// Copyright the corral authors. MIT license.
// Property tests of rules 10, 11, 12, 13, 15 and 16 of docs/rules.md ("How we
// test": random task trees with random failures, cancels and deadlines).
//
// fast-check grows random trees of groups and tasks: nested groups (some
// with a `limit`), tasks that sleep random virtual times, fail with random
// values (Errors with and without a cause, strings, null, undefined), cancel
// their own handle, cancel an enclosing group, start() children, and run
// parts of their script under moveOnAfter/failAfter deadlines and shields.
// Each tree runs on a MockClock with autojump, recording what happens; then
// the rules are checked against the record:
//
// - rule 10: each group's TaskGroupError holds exactly the failures that
//   escaped its body and its tasks (nested groups as one nested error, no
//   Cancelled inside); a group throws Cancelled only when no failure
//   happened and a scope around it is cancelled; a group that failed has
//   cancelled itself.
// - rule 11: a group that resolves gives the body's value if the body
//   finished, else undefined.
// - rule 12: every spawned task ran its first line, with the group's scope
//   as its parent; a task spawned into a cancelled group cannot pass an
//   unshielded checkpoint; nothing but cancel() or a failure cancels a group
//   (a handle's cancel() stays with its task).
// - rule 13: a start() child runs under its caller until started(); errors
//   before started() (or while its caller was cancelled) reach the caller,
//   after it the group.
// - rule 15: when taskGroup() settles, every task and start() child of the
//   group has finished (and every handle is done). Leaked timers fail the
//   test through the sanitizers at its end.
// - rule 16: every value thrown (and every TimeoutError) reaches exactly one
//   place, counted across the root's TaskGroupError, nested ones, and the
//   start() rejections the callers caught; every cause chain is intact.
//
// PROPERTY_RUNS (default 2000) and PROPERTY_SEED change the run; a failure
// prints the seed, the path and the smallest tree fast-check found.
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import {
  Cancelled,
  type CancelScope,
  currentScope,
  failAfter,
  moveOnAfter,
  shielded,
  sleep,
  TimeoutError,
} from "@corral/scope";
import { cancellationOf, parentOf } from "@corral/scope/plumbing";
import { Variable } from "@corral/context";
import { MockClock } from "@corral/scope/testing";
import { type Task, type TaskGroup, taskGroup, TaskGroupError } from "./mod.ts";
import { settle, type Settled } from "./_test_helpers.ts";

// ---------------------------------------------------------------------------
// The trees
// ---------------------------------------------------------------------------

type FailKind = "error" | "caused" | "string" | "null" | "undefined";

type Step =
  | { t: "sleep"; ms: number }
  | { t: "fail"; kind: FailKind }
  | { t: "cancelSelf" }
  | { t: "cancelGroup"; up: number }
  | { t: "spawn"; script: Step[] }
  | { t: "start"; before: Step[]; after: Step[]; callsStarted: boolean }
  | { t: "group"; limit: number | undefined; body: Step[] }
  | { t: "moveOnAfter"; ms: number; script: Step[] }
  | { t: "failAfter"; ms: number; script: Step[] }
  | { t: "shield"; script: Step[] };

interface Tree {
  root: { limit: number | undefined; body: Step[] };
  /** A moveOnAfter around the root group, if any. */
  outerDeadline: number | undefined;
}

const ms = fc.integer({ min: 0, max: 30 });
const limit = fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined });

const { script } = fc.letrec<{ script: Step[]; step: Step }>((tie) => ({
  script: fc.array(tie("step"), { maxLength: 5 }),
  step: fc.oneof(
    { maxDepth: 5, depthIdentifier: "tree" },
    // Leaves first: at the maximum depth only the first is drawn.
    { weight: 5, arbitrary: fc.record({ t: fc.constant("sleep"), ms }) },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant("fail"),
        kind: fc.constantFrom<FailKind>(
          "error",
          "caused",
          "string",
          "null",
          "undefined",
        ),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ t: "cancelSelf" as const }) },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant("cancelGroup"),
        up: fc.integer({ min: 0, max: 2 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ t: fc.constant("spawn"), script: tie("script") }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant("start"),
        before: tie("script"),
        after: tie("script"),
        callsStarted: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant("group"),
        limit,
        body: tie("script"),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant("moveOnAfter"),
        ms,
        script: tie("script"),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant("failAfter"),
        ms,
        script: tie("script"),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ t: fc.constant("shield"), script: tie("script") }),
    },
  ) as fc.Arbitrary<Step>,
}));

const trees: fc.Arbitrary<Tree> = fc.record({
  root: fc.record({ limit, body: script }),
  outerDeadline: fc.option(fc.integer({ min: 0, max: 60 }), {
    nil: undefined,
  }),
});

// ---------------------------------------------------------------------------
// What a run records
// ---------------------------------------------------------------------------

/** A task or start() child of a group. */
interface ChildRecord {
  kind: "spawn" | "start";
  /** Its first line ran (rule 12). */
  started: boolean;
  /** Its function has returned or thrown (rule 15). */
  finished: boolean;
  handle?: Task<unknown>;
}

/** One group of the tree. */
interface GroupRecord {
  id: number;
  group?: TaskGroup;
  /** What the body returns when it finishes (rule 11). */
  token: { group: number };
  bodyFinished: boolean;
  /**
   * Every non-cancellation failure that escaped the body or a task of this
   * group, and start() children's failures after they moved here (rule 10).
   */
  direct: unknown[];
  children: ChildRecord[];
  /** A cancelGroup step targeted this group. */
  cancelStep: boolean;
  outcome?: Settled<unknown>;
  /** The scope around taskGroup() was cancelled when it settled. */
  enclosingCancelled: boolean;
}

/** Where a script runs. */
interface Context {
  /** The enclosing groups, innermost last. */
  groups: GroupRecord[];
  /** Cancels the running task's own scope (undefined in a body). */
  cancelSelf: (() => void) | undefined;
  /** Shared by the task's scripts: rule 12's precancelled check. */
  task: { mustThrow: boolean; checked: boolean };
  /** How many shields the current script is inside, within this task. */
  shields: number;
}

class Run {
  #next = 0;
  /** Every value a fail step threw, and every TimeoutError, with counts. */
  thrown = new Map<unknown, number>();
  /** The cause given to each "caused" failure. */
  causes = new Map<Error, Error>();
  /** What start() callers caught (not Cancelled, not "without started"). */
  startRejections: unknown[] = [];
  groups: GroupRecord[] = [];
  violations: string[] = [];

  next(): number {
    return this.#next++;
  }

  violate(rule: string, what: string): void {
    this.violations.push(`${rule}: ${what}`);
  }

  recordThrown(value: unknown): void {
    this.thrown.set(value, (this.thrown.get(value) ?? 0) + 1);
  }

  failure(kind: FailKind): unknown {
    const n = this.next();
    switch (kind) {
      case "error":
        return new Error(`fail ${n}`);
      case "caused": {
        const cause = new RangeError(`cause ${n}`);
        const error = new Error(`fail ${n}`, { cause });
        this.causes.set(error, cause);
        return error;
      }
      case "string":
        return `fail ${n}`;
      case "null":
        return null;
      case "undefined":
        return undefined;
    }
  }
}

/**
 * How often each situation came up over all the runs, so a generator that
 * stopped producing it (and a property that became vacuous) fails the test.
 */
const coverage = {
  groupFailed: 0,
  nestedGroupError: 0,
  groupCancelledFromOutside: 0,
  cancelledWithBodyValue: 0,
  bodyUnfinishedUndefined: 0,
  startRejected: 0,
  startMoved: 0,
  startUnmoved: 0,
  precancelledChecked: 0,
  taskWaitedForSlot: 0,
  handleCancelled: 0,
  timeoutError: 0,
  nonErrorFailure: 0,
};

// ---------------------------------------------------------------------------
// The interpreter
// ---------------------------------------------------------------------------

/** Each task runs with its own value, to check rule 14 as it goes. */
const taskId = new Variable<number>({ name: "taskId" });

async function runScript(run: Run, steps: Step[], ctx: Context) {
  const id = taskId.get();
  for (const step of steps) {
    await runStep(run, step, ctx);
    if (taskId.get() !== id) {
      run.violate(
        "rule 14",
        `task ${id} resumed in the context of ${taskId.get()}`,
      );
    }
  }
}

async function runStep(run: Run, step: Step, ctx: Context): Promise<void> {
  const nearest = ctx.groups.at(-1)!;
  switch (step.t) {
    case "sleep": {
      if (ctx.task.mustThrow && !ctx.task.checked && ctx.shields === 0) {
        // Rule 12: spawned into a cancelled group, the task's first
        // (unshielded) checkpoint throws.
        ctx.task.checked = true;
        coverage.precancelledChecked++;
        const outcome = await settle(sleep(step.ms));
        if (outcome.ok) {
          run.violate(
            "rule 12",
            "a task spawned into a cancelled group passed a checkpoint",
          );
          return;
        }
        throw outcome.error;
      }
      await sleep(step.ms);
      return;
    }
    case "fail": {
      const value = run.failure(step.kind);
      if (!(value instanceof Error)) coverage.nonErrorFailure++;
      run.recordThrown(value);
      throw value;
    }
    case "cancelSelf":
      if (ctx.cancelSelf !== undefined) coverage.handleCancelled++;
      ctx.cancelSelf?.();
      return;
    case "cancelGroup": {
      const target = ctx.groups[Math.max(0, ctx.groups.length - 1 - step.up)]!;
      target.cancelStep = true;
      target.group!.cancel(`cancel step ${run.next()}`);
      return;
    }
    case "spawn":
      spawnTask(run, nearest, step.script, ctx);
      return;
    case "start":
      await startTask(run, nearest, step, ctx);
      return;
    case "group":
      await runGroup(run, step.limit, step.body, ctx.groups);
      return;
    case "moveOnAfter":
      await checkOwner(
        run,
        (body) => moveOnAfter(step.ms, body),
        () => runScript(run, step.script, ctx),
      );
      return;
    case "failAfter":
      try {
        await checkOwner(
          run,
          (body) => failAfter(step.ms, body),
          () => runScript(run, step.script, ctx),
        );
      } catch (error) {
        // A TimeoutError is made by the library, once; nested failAfters
        // let an inner one pass, so count each object once.
        if (error instanceof TimeoutError && !run.thrown.has(error)) {
          if (!(error.cause instanceof Cancelled)) {
            run.violate("rule 10", "a TimeoutError lost its Cancelled cause");
          }
          run.recordThrown(error);
          coverage.timeoutError++;
        }
        throw error;
      }
      return;
    case "shield":
      await checkOwner(
        run,
        (body) => shielded(body),
        () => runScript(run, step.script, { ...ctx, shields: ctx.shields + 1 }),
      );
      return;
  }
}

function spawnTask(
  run: Run,
  target: GroupRecord,
  steps: Step[],
  ctx: Context,
): void {
  const group = target.group!;
  const record: ChildRecord = {
    kind: "spawn",
    started: false,
    finished: false,
  };
  target.children.push(record);
  const precancelled = cancellationOf(group.scope) !== undefined;
  const id = run.next();
  // Read by cancelSelf, which may run before spawn() returns the handle.
  const holder: { handle?: Task<unknown> } = {};
  holder.handle = taskId.run(
    id,
    () =>
      group.spawn(async (scope: CancelScope) => {
        record.started = true;
        if (taskId.get() !== id) {
          run.violate(
            "rule 14",
            `task ${id} started in the context of ${taskId.get()}`,
          );
        }
        if (parentOf(scope) !== group.scope) {
          run.violate("rule 12", "a task's parent scope is not its group's");
        }
        const taskCtx: Context = {
          groups: ctx.groups,
          cancelSelf: () => (holder.handle ?? scope).cancel(),
          task: { mustThrow: precancelled, checked: false },
          shields: 0,
        };
        try {
          await runScript(run, steps, taskCtx);
        } catch (error) {
          if (!(error instanceof Cancelled)) target.direct.push(error);
          throw error;
        } finally {
          record.finished = true;
        }
      }),
  );
  record.handle = holder.handle;
  if (group.waiting > 0) coverage.taskWaitedForSlot++;
}

async function startTask(
  run: Run,
  target: GroupRecord,
  step: Extract<Step, { t: "start" }>,
  ctx: Context,
): Promise<void> {
  const group = target.group!;
  const record: ChildRecord = {
    kind: "start",
    started: false,
    finished: false,
  };
  target.children.push(record);
  const caller = currentScope();
  const token = { start: run.next() };
  let calledStarted = false;
  let moved = false;
  const id = run.next();
  try {
    const value = await taskId.run(
      id,
      () =>
        group.start<{ start: number }>(async (started, scope) => {
          record.started = true;
          if (taskId.get() !== id) {
            run.violate(
              "rule 14",
              `start() child ${id} started in the context of ${taskId.get()}`,
            );
          }
          if (parentOf(scope) !== caller) {
            run.violate(
              "rule 13",
              "a start() child does not run under its caller",
            );
          }
          const taskCtx: Context = {
            groups: ctx.groups,
            cancelSelf: () => scope.cancel(),
            task: { mustThrow: false, checked: false },
            shields: 0,
          };
          try {
            await runScript(run, step.before, taskCtx);
            if (!step.callsStarted) return;
            calledStarted = true;
            // Trio's _TaskStatus.started: while the caller is cancelled,
            // started() leaves the task with the caller (docs/semantics.md #110-#112).
            moved = caller === undefined ||
              cancellationOf(caller) === undefined;
            started(token);
            if (parentOf(scope) !== (moved ? group.scope : caller)) {
              run.violate(
                "rule 13",
                `started() ${moved ? "did not move" : "moved"} the task`,
              );
            }
            if (moved) coverage.startMoved++;
            else coverage.startUnmoved++;
            await runScript(run, step.after, taskCtx);
          } catch (error) {
            // Rule 13: after the move, errors go to the group; before it (or
            // while the caller was cancelled) to the start() caller.
            if (!(error instanceof Cancelled) && moved) {
              target.direct.push(error);
            }
            throw error;
          } finally {
            record.finished = true;
          }
        }),
    );
    if (value !== token) {
      run.violate("rule 13", "start() resolved without the started() value");
    }
  } catch (error) {
    if (error instanceof Cancelled) throw error;
    if (
      error instanceof Error &&
      / returned without calling started\(\)/.test(error.message)
    ) {
      if (calledStarted) {
        run.violate(
          "rule 13",
          "'without started()' after started() was called",
        );
      }
      return; // made by the library for this caller alone
    }
    run.startRejections.push(error);
    coverage.startRejected++;
  }
}

/**
 * Rules 3 and 4 on every scope a script opens: `cancelCaught` only on the
 * scope that owns the cancellation (it was cancelled itself), and never on a
 * scope that let a `Cancelled` out.
 */
async function checkOwner(
  run: Run,
  helper: (body: (scope: CancelScope) => Promise<void>) => Promise<unknown>,
  body: () => Promise<void>,
): Promise<void> {
  let opened: CancelScope | undefined;
  try {
    await helper((scope) => {
      opened = scope;
      return body();
    });
  } catch (error) {
    if (error instanceof Cancelled && opened?.cancelCaught) {
      run.violate("rule 3", "a scope caught a Cancelled and let one out");
    }
    throw error;
  } finally {
    if (opened?.cancelCaught && !opened.cancelCalled) {
      run.violate("rule 4", "cancelCaught on a scope that was not cancelled");
    }
  }
}

async function runGroup(
  run: Run,
  limit: number | undefined,
  body: Step[],
  enclosing: GroupRecord[],
): Promise<unknown> {
  const id = run.next();
  const record: GroupRecord = {
    id,
    token: { group: id },
    bodyFinished: false,
    direct: [],
    children: [],
    cancelStep: false,
    enclosingCancelled: false,
  };
  run.groups.push(record);
  const outcome = await settle(taskGroup(async (group) => {
    record.group = group;
    const bodyCtx: Context = {
      groups: [...enclosing, record],
      cancelSelf: undefined,
      task: { mustThrow: false, checked: false },
      shields: 0,
    };
    try {
      await runScript(run, body, bodyCtx);
    } catch (error) {
      if (!(error instanceof Cancelled)) record.direct.push(error);
      throw error;
    }
    record.bodyFinished = true;
    return record.token;
  }, { limit, name: `g${id}` }));
  // Rule 15, checked the moment taskGroup() settled.
  for (const child of record.children) {
    if (!child.started) {
      run.violate("rule 12", `a ${child.kind} child of g${id} never started`);
    }
    if (!child.finished || (child.handle && !child.handle.done)) {
      run.violate("rule 15", `a ${child.kind} child outlived g${id}`);
    }
  }
  const around = currentScope();
  record.enclosingCancelled = around !== undefined &&
    cancellationOf(around) !== undefined;
  record.outcome = outcome;
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

// ---------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------

/** Counts of each value in `values` (identity; strings by value). */
function counts(values: unknown[]): Map<unknown, number> {
  const map = new Map<unknown, number>();
  for (const value of values) map.set(value, (map.get(value) ?? 0) + 1);
  return map;
}

function sameMultiset(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  const left = counts(a);
  const right = counts(b);
  for (const [value, count] of left) {
    if (right.get(value) !== count) return false;
  }
  return true;
}

function checkGroup(run: Run, record: GroupRecord): void {
  const name = `g${record.id}`;
  const outcome = record.outcome!;
  const scope = record.group!.scope;
  if (outcome.ok) {
    if (record.direct.length > 0) {
      run.violate(
        "rule 10",
        `${name} resolved although ${record.direct.length} failure(s) escaped`,
      );
    }
    const expected = record.bodyFinished ? record.token : undefined;
    if (scope.cancelCalled && record.bodyFinished) {
      coverage.cancelledWithBodyValue++;
    }
    if (expected === undefined) coverage.bodyUnfinishedUndefined++;
    if (outcome.value !== expected) {
      run.violate(
        "rule 11",
        `${name} resolved with ${
          JSON.stringify(outcome.value)
        }, not the body's value`,
      );
    }
  } else if (outcome.error instanceof TaskGroupError) {
    coverage.groupFailed++;
    if (outcome.error.errors.some((error) => error instanceof TaskGroupError)) {
      coverage.nestedGroupError++;
    }
    if (!sameMultiset(outcome.error.errors, record.direct)) {
      run.violate(
        "rule 10",
        `${name}'s TaskGroupError holds ${outcome.error.errors.length} error(s), ${record.direct.length} escaped`,
      );
    }
    if (outcome.error.errors.some((error) => error instanceof Cancelled)) {
      run.violate("rule 10", `${name}'s TaskGroupError holds a Cancelled`);
    }
    if (!scope.cancelCalled) {
      run.violate("rule 10", `${name} failed without cancelling itself`);
    }
  } else if (outcome.error instanceof Cancelled) {
    coverage.groupCancelledFromOutside++;
    if (record.direct.length > 0) {
      run.violate(
        "rule 10",
        `${name} threw Cancelled although failures escaped`,
      );
    }
    if (!record.enclosingCancelled) {
      run.violate(
        "rule 10",
        `${name} threw Cancelled with no enclosing scope cancelled`,
      );
    }
  } else {
    run.violate("rule 10", `${name} threw ${String(outcome.error)}`);
  }
  if (scope.cancelCalled && !record.cancelStep && record.direct.length === 0) {
    run.violate(
      "rule 12",
      `${name} was cancelled by neither cancel() nor a failure`,
    );
  }
}

/** Rule 16: every thrown value reaches exactly one place. */
function checkNothingLostOrDoubled(run: Run, root: Settled<unknown>): void {
  const leaves: unknown[] = [];
  const containers: TaskGroupError[] = [];
  const walk = (value: unknown) => {
    if (value instanceof TaskGroupError) {
      containers.push(value);
      for (const error of value.errors) walk(error);
    } else {
      leaves.push(value);
    }
  };
  if (!root.ok && !(root.error instanceof Cancelled)) walk(root.error);
  for (const rejection of run.startRejections) walk(rejection);

  const found = counts(leaves);
  for (const [value, count] of run.thrown) {
    const seen = found.get(value) ?? 0;
    if (seen !== count) {
      run.violate(
        "rule 16",
        `${
          String(value)
        } was thrown ${count} time(s), reached ${seen} place(s)`,
      );
    }
    found.delete(value);
  }
  for (const [value] of found) {
    run.violate("rule 16", `${String(value)} was reported but never thrown`);
  }
  for (const [error, cause] of run.causes) {
    if (error.cause !== cause) {
      run.violate("rule 10", "a cause chain was broken");
    }
  }
  // Nested groups stay nested: each TaskGroupError reaches exactly one place.
  const seenContainers = counts(containers);
  for (const record of run.groups) {
    const outcome = record.outcome!;
    if (!outcome.ok && outcome.error instanceof TaskGroupError) {
      const seen = seenContainers.get(outcome.error) ?? 0;
      if (seen !== 1) {
        run.violate(
          "rule 10",
          `g${record.id}'s TaskGroupError reached ${seen} place(s)`,
        );
      }
    }
  }
}

async function runTree(tree: Tree): Promise<Run> {
  const run = new Run();
  const clock = new MockClock({ autojump: true });
  await clock.run(async () => {
    let root: Settled<unknown> | undefined;
    const go = async () => {
      root = await settle(runGroup(run, tree.root.limit, tree.root.body, []));
      if (!root.ok) throw root.error;
    };
    const outer = await settle(
      tree.outerDeadline === undefined
        ? go()
        : moveOnAfter(tree.outerDeadline, go),
    );
    if (root === undefined) {
      run.violate("harness", "the root group never settled");
      return;
    }
    if (!outer.ok && outer.error instanceof Cancelled) {
      run.violate("rule 10", "a Cancelled escaped the scope that owns it");
    }
    for (const record of run.groups) checkGroup(run, record);
    checkNothingLostOrDoubled(run, root);
  });
  return run;
}

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

function envNumber(name: string): number | undefined {
  try {
    const value = Deno.env.get(name);
    return value === undefined ? undefined : Number(value);
  } catch {
    return undefined; // no --allow-env: use the defaults
  }
}

const runs = envNumber("PROPERTY_RUNS") ?? 2000;
const seed = envNumber("PROPERTY_SEED") ?? 0x5eed_0010;

Deno.test("property: random task trees keep rules 10-16", async () => {
  let treesRun = 0;
  // Rule 16: no task, handle or group ever leaves a rejection unhandled.
  const unhandled: unknown[] = [];
  const onUnhandled = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    unhandled.push(event.reason);
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  await fc.assert(
    fc.asyncProperty(trees, async (tree) => {
      treesRun++;
      const run = await runTree(tree);
      assert.deepEqual(run.violations, []);
    }),
    { numRuns: runs, seed },
  );
  // Let any late rejection reach the listener before looking.
  await new Promise((resolve) => setTimeout(resolve, 0));
  globalThis.removeEventListener("unhandledrejection", onUnhandled);
  assert.deepEqual(unhandled, [], "unhandled rejections");
  assert.equal(treesRun, runs, `ran ${treesRun} trees (seed ${seed})`);
  console.log(`${runs} trees (seed ${seed}):`, JSON.stringify(coverage));
  // Each situation came up in at least 1% of the trees.
  for (const [situation, count] of Object.entries(coverage)) {
    assert.ok(count >= runs / 100, `${situation} came up ${count} times`);
  }
});

Deno.test("property: the checks catch a group that loses an error", async () => {
  // The oracle itself is tested: a fake outcome that drops a failure, or
  // reports a Cancelled nobody caused, must be flagged.
  const run = new Run();
  const error = new Error("kept");
  run.recordThrown(error);
  run.recordThrown("lost");
  const record: GroupRecord = {
    id: 0,
    token: { group: 0 },
    bodyFinished: true,
    direct: [error, "lost"],
    children: [],
    cancelStep: false,
    enclosingCancelled: false,
  };
  await taskGroup((group) => {
    record.group = group;
    group.cancel();
  });
  record.outcome = { ok: false, error: new TaskGroupError([error]) };
  run.groups.push(record);
  checkGroup(run, record);
  checkNothingLostOrDoubled(run, record.outcome);
  assert.ok(run.violations.some((line) => line.startsWith("rule 10: g0's")));
  assert.ok(
    run.violations.some((line) => /^rule 16: lost was thrown 1/.test(line)),
  );

  const quiet = new Run();
  const cancelled: GroupRecord = { ...record, direct: [], cancelStep: true };
  cancelled.outcome = { ok: false, error: new Cancelled() };
  checkGroup(quiet, cancelled);
  assert.deepEqual(quiet.violations, [
    "rule 10: g0 threw Cancelled with no enclosing scope cancelled",
  ]);
});
