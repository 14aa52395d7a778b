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
      { type: "group_started", group: "gates" },
      { type: "step_started", step: "brand", attempt: 1, round: 1 },
      { type: "step_started", step: "legal", attempt: 1, round: 1 },
      { type: "step_succeeded", step: "brand", attempt: 1, round: 1, outputs: {}, score: 91, approved: true },
      { type: "step_succeeded", step: "legal", attempt: 1, round: 1, outputs: {}, score: 88, approved: true },
      { type: "context_write", writer: "gates", key: "gates.outcome", new: "approved" },
      { type: "context_write", writer: "gates", key: "gates.score", new: 89.2 },
      { type: "group_aggregated", group: "gates", outcome: "approved", score: 89.2, approved: true },
      { type: "step_skipped", step: "return", reason: "no incoming edge that it needs was taken" },
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
      stream([started, { type: "group_started", group: "gates" }, { type: "group_aggregated", group: "gates", outcome: "rejected", score: 40, approved: false }]),
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
        { type: "group_started", group: "race" },
        { type: "step_started", step: "a", attempt: 1, round: 1 },
        { type: "step_started", step: "b", attempt: 1, round: 1 },
        { type: "step_queued", step: "c", attempt: 1, round: 1 },
        { type: "step_succeeded", step: "a", attempt: 1, round: 1, outputs: {}, approved: true },
        { type: "step_cancelled", step: "c" },
        { type: "group_aggregated", group: "race", outcome: "approved", score: 100, approved: true },
        { type: "step_cancelled", step: "b", attempt: 1 },
        // a late cancel for the winner changes nothing: it had finished
        { type: "step_cancelled", step: "a", attempt: 1 },
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
      { type: "group_started", group: "pages", elements: 4 },
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
          { type: "step_cancelled", step: "audit", element: 3 },
          { type: "group_aggregated", group: "pages", outcome: "needs_work", score: 25, approved: false },
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
      { type: "step_cancelled", step: "validate", attempt: 1 },
      { type: "step_cancelled", step: "gates" },
      { type: "step_cancelled", step: "brand" },
      { type: "step_cancelled", step: "legal" },
      { type: "step_skipped", step: "return", reason: "x" },
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
    const v = applyEvents(initialView(shape), stream([started, { type: "group_started", group: "pages", elements: 3 }]));
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
