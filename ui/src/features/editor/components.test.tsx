import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { ReactFlowProvider } from "@xyflow/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Diagnostic } from "../../ipc";
import { GroupPanel } from "../nodes/group/Panel";
import { Canvas } from "./Canvas";
import { sampleDoc } from "./fixtures";
import { Problems } from "./Problems";
import { useEditor } from "./store";

vi.mock("../../ipc", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../ipc")>();
  return {
    ...real,
    ipc: { ...real.ipc, previewAggregate: vi.fn(async () => ({ outcome: "needs_work", score: 67.5 })) },
  };
});

const missing: Diagnostic = { severity: "error", code: "missing_input", message: "`x` is required but nothing provides it", path: "$.steps[3].requires[0]", nodes: ["publish"] } as Diagnostic;

describe("components", () => {
  beforeEach(() => {
    act(() => useEditor.getState().load(sampleDoc(), "/tmp/review.json", { diagnostics: [] }));
  });

  it("renders every step and group with test ids, and badges diagnostics on their node", async () => {
    render(
      <ReactFlowProvider>
        <div style={{ width: 1000, height: 700 }}>
          <Canvas />
        </div>
      </ReactFlowProvider>,
    );
    await waitFor(() => expect(screen.getByTestId("node-draft")).toBeTruthy());
    expect(screen.getByTestId("node-gates").dataset.kind).toBe("group");
    expect(screen.getByTestId("node-legal").dataset.kind).toBe("step");
    expect(screen.getByTestId("rule-gates").textContent).toMatch(/weighted/);
    expect(screen.queryByTestId("badge-publish")).toBeNull();
    act(() => useEditor.getState().setDiagnostics(useEditor.getState().doc, [missing]));
    await waitFor(() => expect(screen.getByTestId("badge-publish").dataset.severity).toBe("error"));
  });

  it("labels an edge out of a group with the approved it defaults to, and a step's plain edge not at all", async () => {
    cleanup(); // the canvas of the test before
    const doc = sampleDoc();
    doc.workflow = { ...doc.workflow, edges: [{ from: "draft", to: "gates" }, { from: "gates", to: "publish" }] };
    act(() => useEditor.getState().load(doc, "/tmp/review.json", { diagnostics: [] }));
    render(
      <ReactFlowProvider>
        <div style={{ width: 1000, height: 700 }}>
          <Canvas />
        </div>
      </ReactFlowProvider>,
    );
    const label = await screen.findByTestId("edge-label-gates-publish");
    expect(label.textContent).toBe("approved");
    expect(label.className).toMatch(/implied/);
    expect(screen.queryByTestId("edge-label-draft-gates")).toBeNull();
  });

  it("lists problems and selects the node when one is clicked", () => {
    act(() => useEditor.getState().setDiagnostics(useEditor.getState().doc, [missing]));
    render(<Problems />);
    const item = screen.getByTestId("diagnostic");
    expect(item.dataset.code).toBe("missing_input");
    fireEvent.click(item);
    expect(useEditor.getState().selection).toEqual(["publish"]);
  });

  it("edits a group's strategy and shows the engine's preview of the outcome", async () => {
    const group = useEditor.getState().doc.workflow.groups[0];
    const { rerender } = render(<GroupPanel group={group} />);
    await waitFor(() => expect(screen.getByTestId("aggregate-preview").dataset.outcome).toBe("needs_work"));
    fireEvent.change(screen.getByTestId("group-strategy"), { target: { value: "quorum" } });
    const updated = useEditor.getState().doc.workflow.groups[0];
    expect(updated.aggregate.strategy).toBe("quorum");
    rerender(<GroupPanel group={updated} />);
    expect(screen.getByTestId("group-k")).toBeTruthy();
    expect(useEditor.temporal.getState().pastStates).toHaveLength(1);
  });
});
