// The analytics feature's pure logic, on real `braid report --format json`
// output (fixtures/ were produced by the CLI from recorded runs of
// workflows/planted-bottleneck.json and a retrying workflow).
import { describe, expect, it } from "vitest";
import type { Workflow } from "../../ipc";
import plantedWorkflow from "../../../../workflows/planted-bottleneck.json";
import type { Doc } from "../editor/ops";
import { adoptEditedWorkflow } from "./applyEdits";
import { marksFromPlan, marksFromReport } from "./critical";
import { canonical, describeChange, diffWorkflows, touchedNodes } from "./diff";
import plantedReport from "./fixtures/report-planted.json";
import retryReport from "./fixtures/report-retry.json";
import { fmtDuration } from "./format";
import { linear, niceAxis, tickLabel } from "./scale";
import { percentile, sparkline, stepSeries } from "./sparkline";
import { timelineEnd, timelineRows, type StepRow } from "./timeline";
import type { PlanLike, RunReport } from "./types";

const planted = plantedReport as unknown as RunReport;
const retry = retryReport as unknown as RunReport;
const wf = plantedWorkflow as unknown as Workflow;

function docOf(workflow: Workflow): Doc {
  const positions: Doc["positions"] = {};
  workflow.steps.forEach((s, i) => (positions[s.id] = { x: i * 240, y: s.group ? 200 : 0 }));
  workflow.groups.forEach((g) => (positions[g.id] = { x: 200, y: 120, width: 300, height: 400 }));
  return { workflow, positions };
}

describe("durations and the time axis", () => {
  it("keeps milliseconds for short spans and rounds long ones", () => {
    expect(fmtDuration(412)).toBe("412 ms");
    expect(fmtDuration(2410)).toBe("2.41 s");
    expect(fmtDuration(24_150)).toBe("24.2 s"); // half rounds up, as in Rust (was a float artefact)
    expect(fmtDuration(245_000)).toBe("4 min 05 s");
    expect(fmtDuration(3_720_000)).toBe("1 h 02 min");
    expect(fmtDuration(-960)).toBe("−960 ms");
  });

  it("picks millisecond ticks for a 2.4 s run and hour ticks for a 3 h one", () => {
    const short = niceAxis(2410);
    expect(short.stepMs).toBe(500);
    expect(short.domainMs).toBe(2500);
    expect(short.ticks.map((t) => tickLabel(t, short.stepMs))).toEqual(["0", "500 ms", "1 s", "1.5 s", "2 s", "2.5 s"]);

    const tiny = niceAxis(37);
    expect(tiny.ticks.map((t) => tickLabel(t, tiny.stepMs))).toEqual(["0", "5 ms", "10 ms", "15 ms", "20 ms", "25 ms", "30 ms", "35 ms", "40 ms"]);

    const long = niceAxis(3 * 3_600_000 + 20 * 60_000);
    expect(long.stepMs).toBe(1_800_000);
    expect(long.ticks.map((t) => tickLabel(t, long.stepMs)).slice(0, 4)).toEqual(["0", "30 min", "1 h", "1 h 30"]);
    expect(long.ticks.length).toBeLessThanOrEqual(9);

    const minutes = niceAxis(95_000);
    expect(minutes.ticks.map((t) => tickLabel(t, minutes.stepMs))).toEqual(["0", "15 s", "30 s", "45 s", "1:00", "1:15", "1:30", "1:45"]);
  });

  it("maps milliseconds to pixels and clamps outside the domain", () => {
    const x = linear(2000, 100, 400);
    expect(x(0)).toBe(100);
    expect(x(1000)).toBe(300);
    expect(x(5000)).toBe(500);
  });
});

describe("timeline rows", () => {
  it("orders rows by when they became ready, with branches under their group", () => {
    const rows = timelineRows(planted);
    expect(rows.map((r) => r.key)).toEqual(["fetch", "group:reviews", "style", "facts", "seo", "render", "thumbnails", "publish"]);
    const seo = rows.find((r) => r.key === "seo") as StepRow;
    expect(seo.group).toBe("reviews");
    expect(seo.critical).toBe(true);
    expect((rows.find((r) => r.key === "style") as StepRow).critical).toBe(false);
    expect(seo.segments).toEqual([{ kind: "run", start: 203, end: 1404, attempt: 1, result: "succeeded" }]);
    expect(rows.find((r) => r.key === "group:reviews")).toMatchObject({ kind: "group", critical: true, span: { start: 203, end: 1404 }, outcome: "approved" });
    expect(timelineEnd(planted, rows)).toBe(planted.wall_ms);
  });

  it("shows every attempt, the backoff between them and time spent queued", () => {
    const rows = timelineRows(retry);
    const flaky = rows.find((r) => r.key === "flaky") as StepRow;
    expect(flaky.attempts).toBe(5);
    const runs = flaky.segments.filter((s) => s.kind === "run");
    expect(runs.map((s) => s.result)).toEqual(["failed", "failed", "failed", "failed", "failed"]);
    const backoffs = flaky.segments.filter((s) => s.kind === "backoff");
    expect(backoffs).toHaveLength(4);
    // A backoff runs from a failed attempt's end to the next attempt being queued.
    const first = retry.timeline.steps.find((s) => s.id === "flaky")!.execs[0].attempts;
    expect(backoffs[0]).toMatchObject({ start: first[0].end_ms, end: first[0].end_ms! + first[0].backoff_ms! });
    // Attempt 2 waited for a slot (concurrency 2 was held by the branches).
    expect(flaky.segments.some((s) => s.kind === "queued" && s.attempt === 2 && s.end - s.start === first[1].start_ms! - first[1].queued_ms)).toBe(true);
    const b3 = rows.find((r) => r.key === "b3") as StepRow;
    expect(b3.segments[0]).toMatchObject({ kind: "queued", start: 251, end: 553 });
  });

  it("gives map elements their own rows and summarises past the limit", () => {
    const report = structuredClone(planted);
    const step = report.timeline.steps.find((s) => s.id === "style")!;
    const base = step.execs[0];
    step.execs = Array.from({ length: 30 }, (_, i) => ({ ...base, element: 29 - i }));
    const rows = timelineRows(report);
    const elements = rows.filter((r) => r.node === "style");
    expect(elements).toHaveLength(25);
    expect(elements[0].key).toBe("style[0]");
    expect(elements[24]).toMatchObject({ kind: "more", label: "6 more elements of style" });
  });
});

describe("critical path marks", () => {
  it("from a run: the path's nodes and edges, the deciding branch, and slack", () => {
    const m = marksFromReport(planted, wf);
    expect(m.source).toBe("run");
    expect(m.nodes.get("seo")).toEqual({ critical: true, slackMs: 0 });
    expect(m.nodes.get("reviews")).toEqual({ critical: true, slackMs: 0 });
    expect(m.nodes.get("style")).toEqual({ critical: false, slackMs: 1000 });
    expect([...m.edges]).toEqual(["fetch->reviews", "reviews->render", "render->thumbnails", "thumbnails->publish"]);
  });

  it("from a plan: the engine's slack, and the branch each group waits for", () => {
    // The planted workflow as the planner sees it from the file (sim durations).
    const plan: PlanLike = {
      predicted_ms: 120_000,
      critical_path: { nodes: ["fetch", "reviews", "render", "thumbnails", "publish"], duration_ms: 120_000 },
      steps: { fetch: { predicted_ms: 10_000, source: "sim" }, style: { predicted_ms: 10_000, source: "sim" }, facts: { predicted_ms: 12_000, source: "sim" }, seo: { predicted_ms: 60_000, source: "sim" } },
      schedule: {
        fetch: { start_ms: 0, end_ms: 10_000 },
        reviews: { start_ms: 10_000, end_ms: 70_000 },
        render: { start_ms: 70_000, end_ms: 90_000 },
        thumbnails: { start_ms: 90_000, end_ms: 110_000 },
        publish: { start_ms: 110_000, end_ms: 120_000 },
      },
      slack: { fetch: 0, reviews: 0, render: 0, thumbnails: 0, publish: 0 },
    };
    const m = marksFromPlan(plan, wf);
    expect(m.nodes.get("seo")).toEqual({ critical: true, slackMs: 0 });
    expect(m.nodes.get("style")).toEqual({ critical: false, slackMs: 50_000 });
    expect(m.nodes.get("facts")).toEqual({ critical: false, slackMs: 48_000 });
    expect(m.edges.has("render->thumbnails")).toBe(true);

    // After "parallelize": thumbnails beside render, so it has render's extra 0 ms… and a
    // shorter thumbnails gets slack.
    const edited = { ...wf, edges: [{ from: "fetch", to: "reviews" }, { from: "reviews", to: "render" }, { from: "reviews", to: "thumbnails" }, { from: "render", to: "publish" }, { from: "thumbnails", to: "publish" }] } as Workflow;
    const plan2: PlanLike = {
      ...plan,
      predicted_ms: 100_000,
      critical_path: { nodes: ["fetch", "reviews", "render", "publish"], duration_ms: 100_000 },
      schedule: { ...plan.schedule, render: { start_ms: 70_000, end_ms: 90_000 }, thumbnails: { start_ms: 70_000, end_ms: 85_000 }, publish: { start_ms: 90_000, end_ms: 100_000 } },
      slack: { fetch: 0, reviews: 0, render: 0, thumbnails: 5_000, publish: 0 },
    };
    expect(marksFromPlan(plan2, edited).nodes.get("thumbnails")).toEqual({ critical: false, slackMs: 5_000 });

    // With the planner's branch spans (a group capped at one branch at a time:
    // seo waits behind the others), the branch ending with the group decides.
    const capped: PlanLike = {
      ...plan,
      schedule: { ...plan.schedule, reviews: { start_ms: 10_000, end_ms: 92_000 } },
      branches: { style: { start_ms: 10_000, end_ms: 20_000 }, facts: { start_ms: 20_000, end_ms: 32_000 }, seo: { start_ms: 32_000, end_ms: 92_000 } },
    };
    const mc = marksFromPlan(capped, wf);
    expect(mc.nodes.get("seo")).toEqual({ critical: true, slackMs: 0 });
    expect(mc.nodes.get("facts")).toEqual({ critical: false, slackMs: 60_000 });
  });
});

describe("recommendation edits and the preview diff", () => {
  it("adopts the engine's edited workflow, places a step that left its group, and lists the differences", () => {
    const top = planted.recommendations[0];
    expect(top.kind).toBe("non_blocking");
    const doc = docOf(wf);
    // What preview_edits answers for the top recommendation (the engine's apply_edits).
    const edited: Workflow = {
      ...wf,
      steps: wf.steps.map((s) => (s.id === "seo" ? { ...s, group: undefined, weight: undefined } : s)),
      edges: [...wf.edges, { from: "fetch", to: "seo" }],
    };
    const next = adoptEditedWorkflow(doc, edited);
    const seo = next.workflow.steps.find((s) => s.id === "seo")!;
    expect(seo.group).toBeUndefined();
    expect(next.workflow.edges).toContainEqual({ from: "fetch", to: "seo" });
    // Left its group: placed below the group's rectangle.
    expect(next.positions.seo.y).toBeGreaterThan(120 + 400);
    // Untouched steps are shared, not copied.
    expect(next.workflow.steps.find((s) => s.id === "fetch")).toBe(wf.steps.find((s) => s.id === "fetch"));

    const changes = diffWorkflows(doc.workflow, next.workflow);
    expect(changes.map(describeChange)).toEqual(['seo: group reviews → unset', "add edge fetch → seo"]);
    expect([...touchedNodes(changes)].sort()).toEqual(["fetch", "seo"]);
  });

  it("adopting an unchanged workflow changes nothing", () => {
    const doc = docOf(wf);
    expect(adoptEditedWorkflow(doc, JSON.parse(JSON.stringify(wf)))).toBe(doc);
  });

  it("compares canonically: key order and null members do not count as changes", () => {
    expect(canonical({ b: 1, a: { d: null, c: [1, { y: 2, x: 1 }] } })).toBe(canonical({ a: { c: [1, { x: 1, y: 2 }] }, b: 1 }));
    const reordered = { ...wf, steps: wf.steps.map((s) => Object.fromEntries(Object.entries(s).reverse())) } as unknown as Workflow;
    expect(diffWorkflows(wf, reordered)).toEqual([]);
  });
});

describe("sparklines", () => {
  it("scales from zero, oldest left, and maps reference lines with the same y", () => {
    const g = sparkline([100, 200, 400], 100, 20, 0);
    expect(g.points).toEqual([
      { x: 0, y: 15 },
      { x: 50, y: 10 },
      { x: 100, y: 0 },
    ]);
    expect(g.path).toBe("M0.0 15.0 L50.0 10.0 L100.0 0.0");
    expect(g.y(200)).toBe(10);
    expect(sparkline([5], 40, 10, 0).points).toEqual([{ x: 20, y: 0 }]);
  });

  it("nearest-rank percentiles match the engine's trend report", () => {
    const series = [1203, 1201, 1201];
    expect(percentile(series, 0.5)).toBe(1201);
    expect(percentile(series, 0.95)).toBe(1203);
    expect(percentile([], 0.5)).toBe(0);
  });

  it("takes a step's durations from digests, oldest first, runs where it started", () => {
    const digests = [
      { started_at_ms: 30, steps: [{ id: "a", duration_ms: 3, attempts: 1 }] },
      { started_at_ms: 10, steps: [{ id: "a", duration_ms: 1, attempts: 1 }] },
      { started_at_ms: 20, steps: [{ id: "a", duration_ms: 0, attempts: 0 }] },
    ];
    expect(stepSeries(digests, "a")).toEqual([1, 3]);
  });
});
