import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { ReactFlowProvider } from "@xyflow/react";
import { beforeEach, describe, expect, it } from "vitest";
import { Canvas } from "../editor/Canvas";
import { sampleDoc } from "../editor/fixtures";
import { useEditor } from "../editor/store";
import { applyEvents, initialView, shapeOf } from "./reducer";
import { RunDock } from "./RunDock";
import { useRun } from "./store";
import type { EventKind, RunEvent } from "./types";

function stream(kinds: EventKind[], t0 = 1_000_000): RunEvent[] {
  return kinds.map((k, i) => ({ seq: i, at_ms: t0 + i * 100, ...k }) as RunEvent);
}

const events = stream([
  { type: "run_started", run_id: "R1", workflow_id: "review", inputs: { page_id: "p" }, time_scale: 1, concurrency: 4 },
  { type: "step_started", step: "draft", attempt: 1, round: 1 },
  { type: "output_line", step: "draft", attempt: 1, round: 1, stream: "stdout", line: "drafting page p" },
  { type: "step_succeeded", step: "draft", attempt: 1, round: 1, outputs: { text: "hello" } },
  { type: "context_write", writer: "draft", key: "text", new: "hello", round: 1 },
  { type: "group_started", group: "gates", round: 1 },
  { type: "step_started", step: "legal", attempt: 1, round: 1 },
  { type: "attempt_failed", step: "legal", attempt: 1, round: 1, error: "flaky", timed_out: false },
  { type: "step_retrying", step: "legal", attempt: 1, round: 1, next_attempt: 2, delay_ms: 60_000 },
  { type: "step_started", step: "brand", attempt: 1, round: 1 },
  { type: "step_succeeded", step: "brand", attempt: 1, round: 1, outputs: {}, score: 75 },
]);

function show(k = events.length) {
  const shape = shapeOf(useEditor.getState().doc.workflow);
  act(() => useRun.setState({ view: applyEvents(initialView(shape), events.slice(0, k)), mode: "live", events, panelOpen: true, tab: "output" }));
}

describe("the run view", () => {
  beforeEach(() => {
    act(() => {
      useEditor.getState().load(sampleDoc(), "/tmp/review.json", { diagnostics: [] });
      useRun.setState({ view: null, mode: null, events: [], summary: null, loaded: null });
    });
  });

  it("colours nodes by status, shows attempts, retry countdowns and taken edges; no run → no status", async () => {
    render(
      <ReactFlowProvider>
        <div style={{ width: 1000, height: 700 }}>
          <Canvas />
        </div>
      </ReactFlowProvider>,
    );
    await waitFor(() => expect(screen.getByTestId("node-draft")).toBeTruthy());
    expect(screen.getByTestId("node-draft").dataset.status).toBeUndefined();
    show();
    await waitFor(() => expect(screen.getByTestId("node-draft").dataset.status).toBe("succeeded"));
    expect(screen.getByTestId("node-legal").dataset.status).toBe("running");
    expect(screen.getByTestId("run-pill-legal").textContent).toMatch(/retry #2 in/);
    expect(screen.getByTestId("node-brand").dataset.status).toBe("succeeded");
    expect(screen.getByTestId("node-gates").dataset.status).toBe("running");
    expect(screen.getByTestId("node-publish").dataset.status).toBe("pending");
    expect(screen.getByTestId("edge-draft-gates").getAttribute("data-taken")).toBe("true");
    expect(screen.getByTestId("edge-gates-publish").getAttribute("data-taken")).toBeNull();
    act(() => {
      const v = useRun.getState().view!;
      useRun.setState({ view: applyEvents(v, stream([{ type: "group_aggregated", group: "gates", outcome: "rejected", score: 55, approved: false, round: 1 }, { type: "step_skipped", step: "publish", reason: "x", round: 1 }]).map((e, i) => ({ ...e, seq: 100 + i }))) });
    });
    await waitFor(() => expect(screen.getByTestId("group-outcome-gates").dataset.outcome).toBe("rejected"));
    expect(screen.getByTestId("group-score-gates").textContent).toBe("55");
    expect(screen.getByTestId("node-publish").dataset.status).toBe("skipped");
    expect(screen.getByTestId("edge-gates-publish").getAttribute("data-taken")).toBe("false");
    act(() => useRun.setState({ view: null }));
    await waitFor(() => expect(screen.getByTestId("node-draft").dataset.status).toBeUndefined());
  });

  it("the dock streams a step's output, lists the context audit trail and the events", async () => {
    render(<RunDock />);
    show();
    act(() => useEditor.getState().select(["draft"], []));
    await waitFor(() => expect(screen.getByTestId("output-draft").textContent).toContain("drafting page p"));
    expect(screen.getByTestId("run-status").textContent).toMatch(/running/);
    expect(screen.getByTestId("run-cancel")).toBeTruthy();
    fireEvent.click(screen.getByTestId("run-tab-context"));
    expect(screen.getByTestId("context-audit").textContent).toMatch(/draft\s*text\s*— → "hello"/);
    fireEvent.click(screen.getByTestId("run-tab-events"));
    expect(screen.getByTestId("run-events").textContent).toMatch(/retrying: attempt 2 in 60000 ms/);
    fireEvent.click(screen.getByTestId("run-tab-result"));
    expect(JSON.parse(screen.getByTestId("run-result").textContent!)).toMatchObject({ status: "succeeded", outputs: { text: "hello" } });
  });
});

describe("loops on the canvas", () => {
  it("draws a loop edge with its round limit, and badges the body with its round while a run is shown", async () => {
    cleanup();
    act(() => {
      const doc = sampleDoc();
      const looped = { ...doc, workflow: { ...doc.workflow, edges: [...doc.workflow.edges, { from: "gates", to: "draft", when: "needs_work" as const, loop: { max_rounds: 3 } }] } };
      useEditor.getState().load(looped, "/tmp/review.json", { diagnostics: [] });
      useRun.setState({ view: null, mode: null, events: [], summary: null, loaded: null });
    });
    render(
      <ReactFlowProvider>
        <div style={{ width: 1000, height: 700 }}>
          <Canvas />
        </div>
      </ReactFlowProvider>,
    );
    await waitFor(() => expect(screen.getByTestId("edge-loop-gates-draft").textContent).toMatch(/≤ 3 rounds/));
    expect(screen.getByTestId("edge-gates-draft").getAttribute("data-loop")).toBe("3");
    expect(screen.queryByTestId("round-draft")).toBeNull();
    const shape = shapeOf(useEditor.getState().doc.workflow);
    const run = stream([
      { type: "run_started", run_id: "R2", workflow_id: "review", inputs: {}, time_scale: 1, concurrency: 4 },
      { type: "step_started", step: "draft", attempt: 1, round: 1 },
      { type: "step_succeeded", step: "draft", attempt: 1, round: 1, outputs: {} },
      { type: "loop_round", to: "draft", from: "gates", round: 2 },
      { type: "step_started", step: "draft", attempt: 2, round: 2 },
    ]);
    act(() => useRun.setState({ view: applyEvents(initialView(shape), run), mode: "live", events: run }));
    await waitFor(() => expect(screen.getByTestId("round-draft").textContent).toBe("round 2 / 3"));
    // The whole body (the group with its branches) is in round 2, pending again.
    expect(screen.getByTestId("round-brand").textContent).toBe("round 2 / 3");
    expect(screen.getByTestId("node-brand").dataset.status).toBe("pending");
    expect(screen.queryByTestId("round-publish")).toBeNull();
    expect(screen.getByTestId("edge-gates-draft").getAttribute("data-taken")).toBe("true");
  });
});
