import { describe, expect, it } from "vitest";
import { sampleWorkflow } from "./fixtures";
import { allKeys, keyFlow, upstreamKeys } from "./dataflow";

describe("data flow", () => {
  const wf = sampleWorkflow();
  it("lists keys known upstream of a node (branches see their group's upstream)", () => {
    expect(upstreamKeys(wf, "legal")).toEqual(["page_id", "text"]);
    expect(upstreamKeys(wf, "publish")).toEqual(["gates.approved", "gates.outcome", "gates.score", "page_id", "text"]);
    expect(upstreamKeys(wf, "draft")).toEqual(["page_id"]);
  });
  it("finds producers and readers of a key", () => {
    const f = keyFlow(wf, "text");
    expect([...f.producers]).toEqual(["draft"]);
    expect([...f.readers]).toEqual(["legal", "brand"]);
    expect([...keyFlow(wf, "gates.outcome").producers]).toEqual(["gates"]);
  });
  it("collects every key", () => {
    expect(allKeys(wf)).toContain("gates.score");
  });
});
