import { describe, expect, it } from "vitest";
import { sampleDoc } from "./fixtures";
import {
  addEdge,
  addLoopEdge,
  defaultLoopWhen,
  copyNodes,
  deleteNodes,
  edgeKeys,
  groupRects,
  layoutOf,
  moveNodes,
  pasteNodes,
  renameNode,
  setStepGroup,
  uniqueId,
  wouldCycle,
} from "./ops";

describe("ops", () => {
  it("makes unique slug ids", () => {
    expect(uniqueId(new Set(["a"]), "b")).toBe("b");
    expect(uniqueId(new Set(["sim-step"]), "sim-step")).toBe("sim-step-2");
    expect(uniqueId(new Set(["sim-step", "sim-step-2"]), "sim-step-2")).toBe("sim-step-3");
    expect(uniqueId(new Set(), "My Step!")).toBe("my-step");
  });

  it("renames a node everywhere it is referenced", () => {
    const doc = renameNode(sampleDoc(), "gates", "quality");
    expect(doc.workflow.groups[0].id).toBe("quality");
    expect(doc.workflow.steps.filter((s) => s.group === "quality")).toHaveLength(2);
    expect(doc.workflow.edges.map((e) => `${e.from}->${e.to}`)).toEqual(["draft->quality", "quality->publish"]);
    expect(doc.positions.quality).toBeDefined();
    expect(doc.positions.gates).toBeUndefined();
  });

  it("refuses a rename onto an existing id", () => {
    const doc = sampleDoc();
    expect(renameNode(doc, "draft", "publish")).toBe(doc);
  });

  it("deletes a group with its branches and edges", () => {
    const doc = deleteNodes(sampleDoc(), ["gates"]);
    expect(doc.workflow.steps.map((s) => s.id)).toEqual(["draft", "publish"]);
    expect(doc.workflow.edges).toEqual([]);
  });

  it("adds an edge once", () => {
    const doc = addEdge(sampleDoc(), "draft", "publish");
    expect(addEdge(doc, "draft", "publish")).toBe(doc);
    expect(edgeKeys(doc.workflow.edges)).toContain("draft->publish");
  });

  it("detects cycles", () => {
    const { edges } = sampleDoc().workflow;
    expect(wouldCycle(edges, "publish", "draft")).toBe(true);
    expect(wouldCycle(edges, "draft", "publish")).toBe(false);
    expect(wouldCycle(edges, "draft", "draft")).toBe(true);
  });

  it("leaves loop edges out of the cycle check", () => {
    // gates → draft is a loop edge: the graph without it is still draft → gates → publish.
    const doc = addLoopEdge(sampleDoc(), "gates", "draft", "needs_work", 3);
    const { edges } = doc.workflow;
    expect(edges.at(-1)).toEqual({ from: "gates", to: "draft", when: "needs_work", loop: { max_rounds: 3 } });
    expect(wouldCycle(edges, "draft", "publish")).toBe(false);
    // Closing a cycle through plain edges is still one.
    expect(wouldCycle(edges, "publish", "draft")).toBe(true);
    // The loop edge alone would have made publish → gates a cycle (gates → draft → gates); it does not count.
    expect(wouldCycle([{ from: "gates", to: "draft", when: "needs_work", loop: { max_rounds: 3 } }], "draft", "gates")).toBe(false);
  });

  it("makes loop edges with rounds in range and a default condition per source", () => {
    const doc = sampleDoc();
    expect(defaultLoopWhen(doc, "gates")).toBe("needs_work");
    expect(defaultLoopWhen(doc, "draft")).toBe("failed");
    expect(addLoopEdge(doc, "publish", "draft", "failed", 500).workflow.edges.at(-1)?.loop).toEqual({ max_rounds: 100 });
    expect(addLoopEdge(doc, "publish", "draft", "failed", 1).workflow.edges.at(-1)?.loop).toEqual({ max_rounds: 2 });
  });

  it("grows a group to hold its branches", () => {
    const doc = moveNodes(sampleDoc(), { brand: { x: 320, y: 400 } });
    const r = groupRects(doc).get("gates")!;
    expect(r.y + r.height).toBeGreaterThanOrEqual(400 + 80 + 20);
    expect(doc.positions.gates.height).toBe(r.height);
  });

  it("moves a group with its branches", () => {
    const doc = moveNodes(sampleDoc(), { gates: { x: 400, y: 40 } });
    expect(doc.positions.legal.x).toBe(420);
    expect(doc.positions.brand.x).toBe(420);
  });

  it("moves a step out of and into a group", () => {
    let doc = setStepGroup(sampleDoc(), "legal", null);
    const legal = doc.workflow.steps.find((s) => s.id === "legal")!;
    expect(legal.group).toBeUndefined();
    expect(legal.weight).toBeUndefined();
    doc = setStepGroup(doc, "legal", "gates");
    expect(doc.workflow.steps.find((s) => s.id === "legal")!.group).toBe("gates");
  });

  it("copies and pastes with fresh ids and internal edges", () => {
    const doc = sampleDoc();
    const clip = copyNodes(doc, ["draft", "gates"])!;
    expect(clip.steps.map((s) => s.id)).toEqual(["draft", "legal", "brand"]);
    expect(clip.edges).toEqual([{ from: "draft", to: "gates" }]);
    const { doc: pasted, ids } = pasteNodes(doc, clip);
    expect(ids).toEqual(["gates-2", "draft-2", "legal-2", "brand-2"]);
    expect(pasted.workflow.edges).toContainEqual({ from: "draft-2", to: "gates-2" });
    expect(pasted.workflow.steps.find((s) => s.id === "legal-2")!.group).toBe("gates-2");
    expect(pasted.positions["draft-2"]).toEqual({ x: 40, y: 140 });
  });

  it("writes the layout sidecar in file order with only existing nodes", () => {
    const doc = sampleDoc();
    doc.positions.ghost = { x: 1, y: 2 };
    const layout = layoutOf(doc);
    expect(Object.keys(layout.nodes)).toEqual(["draft", "publish", "gates", "legal", "brand"]);
  });
});
