// The analytics views on a real report (fixtures/ from `braid report --format
// json` of planted-bottleneck runs): the canvas marks, the timeline, and
// applying a recommendation as one undo step.
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { ReactFlowProvider } from "@xyflow/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Plan, Workflow } from "../../ipc";
import plantedWorkflow from "../../../../workflows/planted-bottleneck.json";
import { Canvas } from "../editor/Canvas";
import type { Doc } from "../editor/ops";
import { undo, useEditor } from "../editor/store";
import { BottlenecksPanel } from "./BottlenecksPanel";
import plantedReport from "./fixtures/report-planted.json";
import { recomputeMarks, startAnalyticsSync, useAnalytics } from "./store";
import { api } from "./source";
import { TimelineChart } from "./TimelineChart";
import type { RunReport } from "./types";

const report = plantedReport as unknown as RunReport;

function plantedDoc(): Doc {
  const workflow = structuredClone(plantedWorkflow) as unknown as Workflow;
  const positions: Doc["positions"] = {
    fetch: { x: 0, y: 100 },
    reviews: { x: 260, y: 0, width: 260, height: 420 },
    style: { x: 290, y: 70 },
    facts: { x: 290, y: 170 },
    seo: { x: 290, y: 270 },
    render: { x: 580, y: 100 },
    thumbnails: { x: 840, y: 100 },
    publish: { x: 1100, y: 100 },
  };
  return { workflow, positions };
}

function canvas() {
  return render(
    <ReactFlowProvider>
      <div style={{ width: 1400, height: 700 }}>
        <Canvas />
      </div>
    </ReactFlowProvider>,
  );
}

describe("analytics views", () => {
  afterEach(cleanup);

  beforeEach(() => {
    act(() => {
      useEditor.getState().load(plantedDoc(), "/tmp/planted.json", { diagnostics: [] });
      // A workflow id already set: the views below read the state, nothing is fetched.
      useAnalytics.setState({ workflowId: "planted-bottleneck", showCritical: false, runId: null, report: null, preview: null });
      recomputeMarks();
    });
  });

  it("marks the run's critical path and slack on the canvas while the toggle is on", async () => {
    const stop = startAnalyticsSync();
    canvas();
    await waitFor(() => expect(screen.getByTestId("node-seo")).toBeTruthy());
    expect(screen.getByTestId("node-seo").dataset.critical).toBeUndefined();

    act(() => {
      useAnalytics.setState({ runId: report.run_id, report });
      useAnalytics.getState().toggleCritical();
    });
    await waitFor(() => expect(screen.getByTestId("node-seo").dataset.critical).toBe("true"), { timeout: 4000 });
    expect(screen.getByTestId("node-reviews").dataset.critical).toBe("true");
    expect(screen.getByTestId("node-style").dataset.critical).toBe("false");
    expect(screen.getByTestId("node-style").querySelector('[data-testid="slack"]')?.textContent).toBe("slack 1.00 s");

    act(() => useAnalytics.getState().toggleCritical());
    await waitFor(() => expect(screen.getByTestId("node-seo").dataset.critical).toBeUndefined());
    stop();
  });

  it("marks the predicted critical path from the editor's plan when no run is chosen", async () => {
    const stop = startAnalyticsSync();
    canvas();
    const plan = {
      workflow_id: "planted-bottleneck",
      levels: [],
      predicted_ms: 120_000,
      critical_path: { nodes: ["fetch", "reviews", "render", "thumbnails", "publish"], duration_ms: 120_000 },
      steps: {
        fetch: { predicted_ms: 10_000, source: "sim" },
        style: { predicted_ms: 10_000, source: "sim" },
        facts: { predicted_ms: 12_000, source: "sim" },
        seo: { predicted_ms: 60_000, source: "sim" },
        render: { predicted_ms: 20_000, source: "sim" },
        thumbnails: { predicted_ms: 20_000, source: "sim" },
        publish: { predicted_ms: 10_000, source: "sim" },
      },
      schedule: {
        fetch: { start_ms: 0, end_ms: 10_000 },
        reviews: { start_ms: 10_000, end_ms: 70_000 },
        render: { start_ms: 70_000, end_ms: 90_000 },
        thumbnails: { start_ms: 90_000, end_ms: 110_000 },
        publish: { start_ms: 110_000, end_ms: 120_000 },
      },
      slack: { fetch: 0, reviews: 0, render: 0, thumbnails: 0, publish: 0 },
    } as unknown as Plan;
    act(() => {
      useAnalytics.getState().toggleCritical();
      useEditor.getState().setPlan(plan);
    });
    await waitFor(() => expect(screen.getByTestId("node-seo").dataset.critical).toBe("true"), { timeout: 4000 });
    expect(screen.getByTestId("node-facts").querySelector('[data-testid="slack"]')?.getAttribute("data-ms")).toBe("48000");
    stop();
  });

  it("draws a row per step under its group and selects the node on a click", () => {
    render(<TimelineChart report={report} />);
    const rows = screen.getAllByTestId(/^timeline-row-/).map((r) => r.dataset.node);
    expect(rows).toEqual(["fetch", "reviews", "style", "facts", "seo", "render", "thumbnails", "publish"]);
    expect(screen.getByTestId("timeline-row-seo").dataset.critical).toBe("true");
    expect(screen.getByTestId("timeline-row-facts").dataset.critical).toBe("false");
    fireEvent.click(screen.getByTestId("seg-seo-1"));
    expect(useEditor.getState().selection).toEqual(["seo"]);
    // Hover shows exact times.
    fireEvent.mouseMove(screen.getByTestId("seg-seo-1"));
    expect(screen.getByTestId("analytics-tip").textContent).toContain("1,201 ms");
  });

  it("lists bottlenecks by impact; a click focuses the node", () => {
    render(<BottlenecksPanel report={report} />);
    const items = screen.getAllByTestId("bottleneck");
    expect(items[0].dataset.node).toBe("seo");
    expect(items[0].dataset.kind).toBe("fan_in");
    fireEvent.click(items[0]);
    expect(useEditor.getState().selection).toEqual(["seo"]);
    expect(useEditor.getState().focusRequest).toBeGreaterThan(0);
  });

  it("applies a recommendation as one undoable edit", async () => {
    act(() => useAnalytics.setState({ runId: report.run_id, report }));
    const before = useEditor.getState().doc;
    // Stands in for the app's preview_edits command (Rust's apply_edits),
    // which cannot run under jsdom: the edited workflow it answers.
    const wf = before.workflow;
    const edited = {
      ...wf,
      steps: wf.steps.map((s) => (s.id === "seo" ? { ...s, group: undefined, weight: undefined } : s)),
      edges: [...wf.edges, { from: "fetch", to: "seo" }],
    };
    const spy = vi.spyOn(api, "previewEdits").mockResolvedValue({ workflow: edited, plan: null } as Awaited<ReturnType<typeof api.previewEdits>>);
    await act(() => useAnalytics.getState().applyRecommendation(0));
    expect(spy).toHaveBeenCalledWith(wf, report.recommendations[0].edits);
    spy.mockRestore();
    const after = useEditor.getState().doc;
    expect(after.workflow.steps.find((s) => s.id === "seo")?.group).toBeUndefined();
    expect(after.workflow.edges).toContainEqual({ from: "fetch", to: "seo" });
    act(() => undo());
    expect(useEditor.getState().doc).toBe(before);
  });
});
