import { describe, expect, it } from "vitest";
import { sampleWorkflow } from "./fixtures";
import { allKeys, keyFlow, upstreamKeys } from "./dataflow";

describe("data flow", () => {
  const wf = sampleWorkflow();
  it("lists keys known upstream of a node (branches see their group's upstream)", () => {
    expect(upstreamKeys(wf, "legal")).toEqual(["draft.recommendations", "page_id", "text"]);
    // Every step and group writes its recommendations (revision 2).
    expect(upstreamKeys(wf, "publish")).toEqual([
      "brand.recommendations",
      "draft.recommendations",
      "gates.approved",
      "gates.outcome",
      "gates.recommendations",
      "gates.score",
      "legal.recommendations",
      "page_id",
      "text",
    ]);
    expect(upstreamKeys(wf, "draft")).toEqual(["page_id"]);
  });
  it("finds producers and readers of a key", () => {
    const f = keyFlow(wf, "text");
    expect([...f.producers]).toEqual(["draft"]);
    expect([...f.readers]).toEqual(["legal", "brand"]);
    expect([...keyFlow(wf, "gates.outcome").producers]).toEqual(["gates"]);
    // `reads` reads too.
    const reading = { ...wf, steps: wf.steps.map((s) => (s.id === "publish" ? { ...s, reads: ["gates.recommendations"] } : s)) };
    expect([...keyFlow(reading, "gates.recommendations").readers]).toEqual(["publish"]);
  });
  it("collects every key", () => {
    expect(allKeys(wf)).toContain("gates.score");
  });
});
