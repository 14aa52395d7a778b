import { beforeEach, describe, expect, it } from "vitest";
import { sampleDoc } from "./fixtures";
import { addFromPalette, copySelection, deleteSelection, paste } from "./actions";
import { isDirty, redo, undo, useEditor } from "./store";
import { updateGroup } from "./ops";

describe("editor store", () => {
  beforeEach(() => {
    useEditor.getState().load(sampleDoc(), "/tmp/review.json");
  });

  it("starts clean with no history", () => {
    expect(isDirty(useEditor.getState())).toBe(false);
    expect(useEditor.temporal.getState().pastStates).toHaveLength(0);
  });

  it("undoes and redoes edits, and is clean again after undo", () => {
    useEditor.getState().edit((d) => updateGroup(d, "gates", (g) => ({ ...g, aggregate: { ...g.aggregate, strategy: "majority" } })));
    expect(isDirty(useEditor.getState())).toBe(true);
    undo();
    expect(useEditor.getState().doc.workflow.groups[0].aggregate.strategy).toBe("weighted");
    expect(isDirty(useEditor.getState())).toBe(false);
    redo();
    expect(useEditor.getState().doc.workflow.groups[0].aggregate.strategy).toBe("majority");
  });

  it("does not record view state in the history", () => {
    useEditor.getState().select(["draft"]);
    useEditor.getState().setDataflowKey("text");
    expect(useEditor.temporal.getState().pastStates).toHaveLength(0);
  });

  it("adds a palette step and selects it; a step dropped on a group joins it", () => {
    const id = addFromPalette({ type: "step", kind: "http" }, { x: 1000, y: 1000 });
    expect(id).toBe("http-step");
    expect(useEditor.getState().selection).toEqual(["http-step"]);
    const inside = addFromPalette({ type: "step", kind: "sim" }, { x: 320, y: 120 });
    expect(useEditor.getState().doc.workflow.steps.find((s) => s.id === inside)!.group).toBe("gates");
  });

  it("adds a map group with its single branch", () => {
    const id = addFromPalette({ type: "map" }, { x: 0, y: 600 });
    const wf = useEditor.getState().doc.workflow;
    expect(wf.groups.find((g) => g.id === id)!.for_each).toBe("items");
    expect(wf.steps.filter((s) => s.group === id)).toHaveLength(1);
  });

  it("deletes, copies and pastes the selection as single undo steps", () => {
    useEditor.getState().select(["publish"]);
    copySelection();
    deleteSelection();
    expect(useEditor.getState().doc.workflow.steps.map((s) => s.id)).not.toContain("publish");
    paste();
    expect(useEditor.getState().doc.workflow.steps.map((s) => s.id)).toContain("publish");
    expect(useEditor.temporal.getState().pastStates).toHaveLength(2);
  });
});
