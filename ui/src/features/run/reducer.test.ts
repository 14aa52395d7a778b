import { describe, expect, test } from "vitest";
import { applyEvents, edgeTaken, initialView, reconcile, shapeOf, statusFromCounts, type RunShape } from "./reducer";
import type { EventKind, RunEvent, RunSummary } from "./types";

/** Numbers events like the engine's bus: seq from 0, a clock that advances 10 ms per event. */
function stream(kinds: EventKind[], start = 0, t0 = 1_000_000): RunEvent[] {
  return kinds.map((k, i) => ({ seq: start + i, at_ms: t0 + (start + i) * 10, ...k }) as RunEvent);
}

const blogShape: RunShape = shapeOf({
  steps: [
    { id: "validate" },
    { id: "brand", group: "gates" },
    { id: "legal", group: "gates" },
    { id: "transform" },
    { id: "return" },
  ],
  groups: [{ id: "gates" }],
  edges: [
    { from: "validate", to: "gates" },
    { from: "gates", to: "transform", when: "approved" },
    { from: "gates", to: "return", when: "rejected" },
  ],
});

const started: EventKind = { type: "run_started", run_id: "R1", workflow_id: "blog", inputs: { page_id: "p" }, time_scale: 0.01, concurrency: 4 };

describe("applyEvents", () => {
  test("a step goes pending → running → succeeded, with attempt, times and outputs", () => {
    const ev = stream([
      started,
      { type: "step_queued", step: "validate", attempt: 1, round: 1 },
      { type: "step_started", step: "validate", attempt: 1, round: 1 },
      { type: "step_succeeded", step: "validate", attempt: 1, round: 1, outputs: { ok: true }, score: 90, approved: true },
    ]);
    const v0 = initialView(blogShape);
    expect(v0.nodes.validate.status).toBe("pending");
    const v1 = applyEvents(v0, ev.slice(0, 2));
    expect(v1.nodes.validate).toMatchObject({ status: "pending", queued: true });
    const v2 = applyEvents(v1, ev.slice(2, 3));
    expect(v2.nodes.validate).toMatchObject({ status: "running", attempt: 1, startedAt: ev[2].at_ms, queued: false });
    const v3 = applyEvents(v2, ev.slice(3));
    expect(v3.nodes.validate).toMatchObject({ status: "succeeded", endedAt: ev[3].at_ms, outputs: { ok: true }, score: 90, approved: true });
    expect(v3.runId).toBe("R1");
    expect(v3.status).toBe("running");
    // Untouched nodes keep their objects, so their cards do not re-render.
    expect(v3.nodes.transform).toBe(v0.nodes.transform);
    expect(v2.nodes.validate.status).toBe("running"); // older views are not mutated
  });

  test("retries: attempt number, countdown target, then success", () => {
    const ev = stream([
      started,
      { type: "step_started", step: "validate", attempt: 1, round: 1 },
      { type: "attempt_failed", step: "validate", attempt: 1, round: 1, error: "exit 1", timed_out: false },
      { type: "step_retrying", step: "validate", attempt: 1, round: 1, next_attempt: 2, delay_ms: 500 },
    ]);
    const v = applyEvents(initialView(blogShape), ev);
    expect(v.nodes.validate).toMatchObject({ status: "running", attempt: 1, error: "exit 1", retryAt: ev[3].at_ms + 500 });
    const more = stream(
      [
        { type: "step_started", step: "validate", attempt: 2, round: 1 },
        { type: "step_succeeded", step: "validate", attempt: 2, round: 1, outputs: {} },
      ],
      4,
    );
    const v2 = applyEvents(v, more);
    expect(v2.nodes.validate).toMatchObject({ status: "succeeded", attempt: 2, retryAt: null, error: null, startedAt: ev[1].at_ms });
  });

  test("groups aggregate (outcome + score), taken edges follow the outcome, the rejected route is skipped", () => {
    const ev = stream([
      started,
      { type: "step_started", step: "validate", attempt: 1, round: 1 },
      { type: "step_succeeded", step: "validate", attempt: 1, round: 1, outputs: {} },
      { type: "group_started", group: "gates", round: 1 },
      { type: "step_started", step: "brand", attempt: 1, round: 1 },
      { type: "step_started", step: "legal", attempt: 1, round: 1 },
      { type: "step_succeeded", step: "brand", attempt: 1, round: 1, outputs: {}, score: 91, approved: true },
      { type: "step_succeeded", step: "legal", attempt: 1, round: 1, outputs: {}, score: 88, approved: true },
      { type: "context_write", writer: "gates", key: "gates.outcome", new: "approved", round: 1 },
      { type: "context_write", writer: "gates", key: "gates.score", new: 89.2, round: 1 },
      { type: "group_aggregated", group: "gates", outcome: "approved", score: 89.2, approved: true, round: 1 },
      { type: "step_skipped", step: "return", reason: "no incoming edge that it needs was taken", round: 1 },
    ]);
    const mid = applyEvents(initialView(blogShape), ev.slice(0, 6));
    expect(mid.nodes.gates.status).toBe("running");
    expect(edgeTaken(mid, "gates", "approved")).toBeNull();
    expect(edgeTaken(mid, "validate", null)).toBe(true);
    const v = applyEvents(mid, ev.slice(6));
    expect(v.nodes.gates).toMatchObject({ status: "succeeded", outcome: "approved", score: 89.2, approved: true });
    expect(v.nodes.return.status).toBe("skipped");
    expect(edgeTaken(v, "gates", "approved")).toBe(true);
    expect(edgeTaken(v, "gates", "rejected")).toBe(false);
    expect(v.context).toEqual({ "gates.outcome": "approved", "gates.score": 89.2 });
    expect(v.writes.map((w) => [w.writer, w.key, w.old, w.new])).toEqual([
      ["gates", "gates.outcome", undefined, "approved"],
      ["gates", "gates.score", undefined, 89.2],
    ]);
  });

  test("a rejected group takes the rejected edge and not the approved one", () => {
    const v = applyEvents(
      initialView(blogShape),
      stream([started, { type: "group_started", group: "gates", round: 1 }, { type: "group_aggregated", group: "gates", outcome: "rejected", score: 40, approved: false, round: 1 }]),
    );
    expect(v.nodes.gates.status).toBe("succeeded");
    expect(edgeTaken(v, "gates", "rejected")).toBe(true);
    expect(edgeTaken(v, "gates", "approved")).toBe(false);
    expect(edgeTaken(v, "gates", "done")).toBe(true);
  });

  test("the `first` strategy: the winner succeeds, the losers end cancelled even after the group decided", () => {
    const shape = shapeOf({ steps: [{ id: "a", group: "race" }, { id: "b", group: "race" }, { id: "c", group: "race" }], groups: [{ id: "race" }], edges: [] });
    const v = applyEvents(
      initialView(shape),
      stream([
        started,
        { type: "group_started", group: "race", round: 1 },
        { type: "step_started", step: "a", attempt: 1, round: 1 },
        { type: "step_started", step: "b", attempt: 1, round: 1 },
        { type: "step_queued", step: "c", attempt: 1, round: 1 },
        { type: "step_succeeded", step: "a", attempt: 1, round: 1, outputs: {}, approved: true },
        { type: "step_cancelled", step: "c", round: 1 },
        { type: "group_aggregated", group: "race", outcome: "approved", score: 100, approved: true, round: 1 },
        { type: "step_cancelled", step: "b", attempt: 1, round: 1 },
        // a late cancel for the winner changes nothing: it had finished
        { type: "step_cancelled", step: "a", attempt: 1, round: 1 },
      ]),
    );
    expect(v.nodes.a.status).toBe("succeeded");
    expect(v.nodes.b.status).toBe("cancelled");
    expect(v.nodes.c).toMatchObject({ status: "cancelled", queued: false });
    expect(v.nodes.race).toMatchObject({ status: "succeeded", outcome: "approved", score: 100 });
  });

  test("map elements: counts per state on the branch and the group, drill-down entries per element", () => {
    const shape = shapeOf({ steps: [{ id: "audit", group: "pages" }], groups: [{ id: "pages", for_each: "urls" }], edges: [] });
    const ev = stream([
      started,
      { type: "group_started", group: "pages", elements: 4, round: 1 },
      { type: "step_queued", step: "audit", element: 0, attempt: 1, round: 1 },
      { type: "step_queued", step: "audit", element: 1, attempt: 1, round: 1 },
      { type: "step_started", step: "audit", element: 0, attempt: 1, round: 1 },
      { type: "step_started", step: "audit", element: 1, attempt: 1, round: 1 },
      { type: "step_succeeded", step: "audit", element: 0, attempt: 1, round: 1, outputs: { x: 1 } },
      { type: "attempt_failed", step: "audit", element: 1, attempt: 1, round: 1, error: "boom", timed_out: false },
      { type: "step_retrying", step: "audit", element: 1, attempt: 1, round: 1, next_attempt: 2, delay_ms: 100 },
    ]);
    const v = applyEvents(initialView(shape), ev);
    expect(v.nodes.audit.counts).toEqual({ pending: 2, running: 1, succeeded: 1 });
    expect(v.nodes.pages.counts).toEqual(v.nodes.audit.counts);
    expect(v.nodes.audit.status).toBe("running");
    expect(v.elements.audit[1]).toMatchObject({ status: "running", error: "boom", retryAt: ev[8].at_ms + 100 });
    const end = applyEvents(
      v,
      stream(
        [
          { type: "step_started", step: "audit", element: 1, attempt: 2, round: 1 },
          { type: "step_failed", step: "audit", element: 1, attempt: 2, round: 1, error: "boom again" },
          { type: "step_started", step: "audit", element: 2, attempt: 1, round: 1 },
          { type: "step_timed_out", step: "audit", element: 2, attempt: 1, round: 1, error: "timeout" },
          { type: "step_cancelled", step: "audit", element: 3, round: 1 },
          { type: "group_aggregated", group: "pages", outcome: "needs_work", score: 25, approved: false, round: 1 },
        ],
        9,
      ),
    );
    expect(end.nodes.audit.counts).toEqual({ succeeded: 1, failed: 1, timed_out: 1, cancelled: 1 });
    expect(end.nodes.audit.status).toBe("failed"); // the worst of its elements
    expect(end.nodes.audit.attempt).toBe(2);
    expect(end.elements.audit.map((e) => e.status)).toEqual(["succeeded", "failed", "timed_out", "cancelled"]);
    expect(end.nodes.pages).toMatchObject({ status: "succeeded", outcome: "needs_work", score: 25 });
    // the earlier view still shows the earlier state
    expect(v.elements.audit[3].status).toBe("pending");
  });

  test("skipped and cancelled runs: group ids are skipped/cancelled with their branches; finished steps keep their result", () => {
    const ev = stream([
      started,
      { type: "step_started", step: "validate", attempt: 1, round: 1 },
      { type: "step_cancelled", step: "validate", attempt: 1, round: 1 },
      { type: "step_cancelled", step: "gates", round: 1 },
      { type: "step_cancelled", step: "brand", round: 1 },
      { type: "step_cancelled", step: "legal", round: 1 },
      { type: "step_skipped", step: "return", reason: "x", round: 1 },
      { type: "run_finished", status: "cancelled" },
    ]);
    const v = applyEvents(initialView(blogShape), ev);
    expect(["validate", "gates", "brand", "legal"].map((id) => v.nodes[id].status)).toEqual(["cancelled", "cancelled", "cancelled", "cancelled"]);
    expect(v.nodes.return.status).toBe("skipped");
    expect(v.status).toBe("cancelled");
    expect(v.endedAt).toBe(ev[7].at_ms);
    expect(edgeTaken(v, "validate", null)).toBe(false);
  });

  test("output lines stream per execution and the final tails arrive with attempt_ended", () => {
    const v = applyEvents(
      initialView(blogShape),
      stream([
        started,
        { type: "step_started", step: "validate", attempt: 1, round: 1 },
        { type: "process_spawned", step: "validate", attempt: 1, round: 1, pid: 42, pgid: 42 },
        { type: "output_line", step: "validate", attempt: 1, round: 1, stream: "stdout", line: "checking" },
        { type: "output_line", step: "validate", attempt: 1, round: 1, stream: "stderr", line: "warn: x" },
        { type: "attempt_ended", step: "validate", attempt: 1, round: 1, exit_code: 0, stdout_tail: "checking\n", stderr_tail: "warn: x\n", duration_ms: 12 },
      ]),
    );
    expect(v.nodes.validate.pid).toBe(42);
    expect(v.output.validate).toEqual({
      lines: [
        { stream: "stdout", line: "checking", attempt: 1 },
        { stream: "stderr", line: "warn: x", attempt: 1 },
      ],
      stdoutTail: "checking\n",
      stderrTail: "warn: x\n",
      exitCode: 0,
      durationMs: 12,
    });
  });

  test("reused steps (rerun, resume) are marked, their group too", () => {
    const v = applyEvents(
      initialView(blogShape),
      stream([
        started,
        { type: "step_reused", step: "validate", attempt: 1, round: 1, from_run: "R0" },
        { type: "step_succeeded", step: "validate", attempt: 1, round: 1, outputs: {} },
        { type: "step_reused", step: "brand", attempt: 1, round: 1, from_run: "R0" },
      ]),
    );
    expect(v.nodes.validate).toMatchObject({ status: "succeeded", reused: true });
    expect(v.reused).toEqual(["validate", "brand", "gates"]);
  });

  test("events seen twice (a batch replayed) change nothing", () => {
    const ev = stream([started, { type: "step_started", step: "validate", attempt: 1, round: 1 }]);
    const v = applyEvents(initialView(blogShape), ev);
    expect(applyEvents(v, ev)).toEqual(v);
    expect(v.eventCount).toBe(2);
  });
});

describe("reconcile", () => {
  test("the store's summary wins over what the events left", () => {
    const v = applyEvents(initialView(blogShape), stream([started, { type: "step_started", step: "validate", attempt: 1, round: 1 }]));
    const summary: RunSummary = {
      run_id: "R1",
      workflow_id: "blog",
      status: "failed",
      started_at: "2026-01-01T00:00:00Z",
      duration_ms: 5000,
      steps: {
        validate: { status: "failed", attempts: 2, duration_ms: 10, score: null, approved: null, error: "exit 3", recommendations: [] },
        brand: { status: "skipped", attempts: 0, duration_ms: 0, score: null, approved: null, error: null, recommendations: [] },
        legal: { status: "skipped", attempts: 0, duration_ms: 0, score: null, approved: null, error: null, recommendations: [] },
        transform: { status: "skipped", attempts: 0, duration_ms: 0, score: null, approved: null, error: null, recommendations: [] },
        return: { status: "skipped", attempts: 0, duration_ms: 0, score: null, approved: null, error: null, recommendations: [] },
      },
      groups: { gates: { outcome: null, score: null } },
      context: { page_id: "p" },
      error: "step `validate` failed",
    };
    const r = reconcile(v, summary);
    expect(r.nodes.validate).toMatchObject({ status: "failed", attempt: 2, error: "exit 3" });
    expect(r.nodes.gates.status).toBe("skipped");
    expect(r.status).toBe("failed");
    expect(r.endedAt).toBe((v.startedAt ?? 0) + 5000);
    expect(r.error).toBe("step `validate` failed");
  });

  test("map counts come from the summary's elements", () => {
    const shape = shapeOf({ steps: [{ id: "audit", group: "pages" }], groups: [{ id: "pages", for_each: "urls" }], edges: [] });
    const v = applyEvents(initialView(shape), stream([started, { type: "group_started", group: "pages", elements: 3, round: 1 }]));
    const r = reconcile(v, {
      run_id: "R1",
      workflow_id: "m",
      status: "succeeded",
      started_at: "2026-01-01T00:00:00Z",
      duration_ms: 1,
      steps: { audit: { status: "succeeded", attempts: 3, duration_ms: 1, score: null, approved: null, error: null, recommendations: [], elements: { succeeded: 3 } } },
      groups: { pages: { outcome: "approved", score: 100 } },
      context: {},
    });
    expect(r.nodes.audit).toMatchObject({ status: "succeeded", counts: { succeeded: 3 } });
    expect(r.nodes.pages).toMatchObject({ status: "succeeded", outcome: "approved", score: 100, counts: { succeeded: 3 } });
  });
});

test("statusFromCounts", () => {
  expect(statusFromCounts({})).toBe("pending");
  expect(statusFromCounts({ pending: 3 })).toBe("pending");
  expect(statusFromCounts({ pending: 2, succeeded: 1 })).toBe("running");
  expect(statusFromCounts({ succeeded: 2, cancelled: 1 })).toBe("cancelled");
  expect(statusFromCounts({ succeeded: 2, skipped: 1 })).toBe("succeeded");
});

describe("revision 2: loops, approvals, recommendations", () => {
  // draft → gates (two reviewers) → publish; gates → draft on needs_work, at most 3 rounds.
  const loopShape: RunShape = shapeOf({
    steps: [{ id: "draft" }, { id: "brand", group: "gates" }, { id: "legal", group: "gates" }, { id: "publish" }, { id: "ok" }],
    groups: [{ id: "gates" }],
    edges: [
      { from: "draft", to: "gates" },
      { from: "gates", to: "ok" },
      { from: "ok", to: "publish" },
      { from: "gates", to: "draft", when: "needs_work", loop: { max_rounds: 3 } },
    ],
  });

  const round1: EventKind[] = [
    started,
    { type: "step_started", step: "draft", attempt: 1, round: 1 },
    { type: "step_succeeded", step: "draft", attempt: 1, round: 1, outputs: {} },
    { type: "group_started", group: "gates", round: 1 },
    { type: "step_started", step: "brand", attempt: 1, round: 1 },
    { type: "step_started", step: "legal", attempt: 1, round: 1 },
    { type: "step_succeeded", step: "brand", attempt: 1, round: 1, outputs: {}, score: 60, recommendations: ["shorter title", "fix tone"] },
    { type: "step_succeeded", step: "legal", attempt: 1, round: 1, outputs: {}, score: 70, recommendations: ["add disclaimer"] },
    { type: "group_aggregated", group: "gates", outcome: "needs_work", score: 65, approved: false, round: 1 },
  ];

  test("recommendations: per step, and per group as {from, text} in the order branches report", () => {
    const v = applyEvents(initialView(loopShape), stream(round1));
    expect(v.nodes.brand.recommendations).toEqual(["shorter title", "fix tone"]);
    expect(v.nodes.gates.recommendations).toEqual([
      { from: "brand", text: "shorter title" },
      { from: "brand", text: "fix tone" },
      { from: "legal", text: "add disclaimer" },
    ]);
    // The group's own context write is the final word (branch order, failed branches included).
    const written = [{ from: "legal", text: "add disclaimer" }];
    const v2 = applyEvents(v, stream([{ type: "context_write", writer: "gates", key: "gates.recommendations", new: written, round: 1 }], round1.length));
    expect(v2.nodes.gates.recommendations).toEqual(written);
  });

  test("a loop round makes the body pending again in the next round, attempts counting on", () => {
    const ev = stream([
      ...round1,
      { type: "loop_round", to: "draft", from: "gates", round: 2 },
      { type: "step_started", step: "draft", attempt: 2, round: 2 },
    ]);
    const v = applyEvents(initialView(loopShape), ev);
    expect(v.loops.draft).toEqual({ from: "gates", round: 2, exhausted: false });
    expect(v.nodes.draft).toMatchObject({ status: "running", round: 2, attempt: 2 });
    expect(v.nodes.gates).toMatchObject({ status: "pending", round: 2, outcome: null, score: null, recommendations: [] });
    expect(v.nodes.brand).toMatchObject({ status: "pending", round: 2, attempt: 1, recommendations: [] });
    // Outside the body nothing moved.
    expect(v.nodes.ok).toMatchObject({ status: "pending", round: 1 });
    // Round 1's results stay, per node and round.
    expect(v.rounds.filter((r) => r.node === "gates")).toEqual([
      { node: "gates", round: 1, status: "succeeded", score: 65, approved: false, outcome: "needs_work", recommendations: expect.any(Array) },
    ]);
    expect(v.rounds.find((r) => r.node === "brand")).toMatchObject({ round: 1, score: 60, recommendations: ["shorter title", "fix tone"] });
    expect(v.rounds.some((r) => r.node === "ok")).toBe(false);

    const done = applyEvents(v, stream([{ type: "loop_exhausted", to: "draft", from: "gates", rounds: 3 }], ev.length));
    expect(done.loops.draft).toEqual({ from: "gates", round: 3, exhausted: true });
  });

  const approvalShape: RunShape = shapeOf({
    steps: [{ id: "editor-ok" }, { id: "check", group: "each" }],
    groups: [{ id: "each", for_each: "pages" }],
    edges: [],
  });

  test("an approval step waits, the run waits, and a decision ends both", () => {
    const ev = stream([
      started,
      { type: "step_started", step: "editor-ok", attempt: 1, round: 1 },
      { type: "approval_requested", step: "editor-ok", attempt: 1, round: 1, prompt: "Publish?", shown: { title: "Hi" }, deadline_ms: 5_000_000 },
      { type: "run_waiting", waiting: true },
    ]);
    const v = applyEvents(initialView(approvalShape), ev);
    expect(v.status).toBe("waiting");
    expect(v.nodes["editor-ok"].status).toBe("waiting");
    expect(v.approvals["editor-ok"]).toMatchObject({ step: "editor-ok", element: null, prompt: "Publish?", shown: { title: "Hi" }, deadline: 5_000_000 });
    const after = applyEvents(
      v,
      stream(
        [
          { type: "run_waiting", waiting: false },
          { type: "step_succeeded", step: "editor-ok", attempt: 1, round: 1, outputs: {}, score: 90, approved: true },
        ],
        ev.length,
      ),
    );
    expect(after.status).toBe("running");
    expect(after.nodes["editor-ok"]).toMatchObject({ status: "succeeded", approved: true, score: 90 });
    expect(after.approvals).toEqual({});
  });

  test("map elements wait separately; the branch waits while nothing else runs", () => {
    const ev = stream([
      started,
      { type: "group_started", group: "each", elements: 2, round: 1 },
      { type: "step_started", step: "check", element: 0, attempt: 1, round: 1 },
      { type: "step_started", step: "check", element: 1, attempt: 1, round: 1 },
      { type: "approval_requested", step: "check", element: 0, attempt: 1, round: 1, prompt: "Page 0?", shown: {} },
    ]);
    const v = applyEvents(initialView(approvalShape), ev);
    expect(v.nodes.check.status).toBe("running"); // element 1 still runs
    expect(Object.keys(v.approvals)).toEqual(["check#0"]);
    const v2 = applyEvents(v, stream([{ type: "approval_requested", step: "check", element: 1, attempt: 1, round: 1, prompt: "Page 1?", shown: {} }], ev.length));
    expect(v2.nodes.check.status).toBe("waiting");
    expect(v2.nodes.each.counts).toEqual({ waiting: 2 });
    const v3 = applyEvents(v2, stream([{ type: "step_failed", step: "check", element: 0, attempt: 1, round: 1, error: "rejected" }], ev.length + 1));
    expect(Object.keys(v3.approvals)).toEqual(["check#1"]);
    expect(v3.nodes.check.status).toBe("waiting");
  });

  test("a blocked step keeps its error code", () => {
    const ev = stream([started, { type: "step_blocked", step: "editor-ok", attempt: 1, round: 1, error: "html: declared by transform, not written", error_code: "input_not_written" }]);
    expect(applyEvents(initialView(approvalShape), ev).nodes["editor-ok"]).toMatchObject({ status: "blocked", errorCode: "input_not_written" });
  });

  test("waiting in a map step's status: running beats waiting, waiting beats finished parts", () => {
    expect(statusFromCounts({ waiting: 1, running: 1 })).toBe("running");
    expect(statusFromCounts({ waiting: 1, succeeded: 2 })).toBe("waiting");
    expect(statusFromCounts({ waiting: 1, pending: 2 })).toBe("waiting");
    expect(statusFromCounts({ pending: 1, succeeded: 1 })).toBe("running");
  });
});
