import { describe, expect, it } from "vitest";
import { innermostLoop, loopBody, loopsOf } from "./loops";

// draft → gates → fix → publish, with gates → draft (outer loop) and fix → fix (inner, self).
const edges = [
  { from: "draft", to: "gates" },
  { from: "gates", to: "fix" },
  { from: "fix", to: "publish" },
  { from: "side", to: "fix" },
  { from: "fix", to: "draft", loop: { max_rounds: 3 } },
  { from: "fix", to: "fix", loop: { max_rounds: 5 } },
];

describe("loop bodies", () => {
  it("holds every node on a path to → from, without loop edges", () => {
    expect([...loopBody(edges, "fix", "draft")].sort()).toEqual(["draft", "fix", "gates"]);
    // An edge entering the body (side → fix) does not bring its source in.
    expect(loopBody(edges, "fix", "draft").has("side")).toBe(false);
    expect([...loopBody(edges, "fix", "fix")]).toEqual(["fix"]);
  });

  it("is empty for a loop that does not point back", () => {
    expect(loopBody(edges, "draft", "publish").size).toBe(0);
  });

  it("finds the innermost loop around a node", () => {
    const loops = loopsOf(edges);
    expect(loops.map((l) => [l.to, l.maxRounds])).toEqual([
      ["draft", 3],
      ["fix", 5],
    ]);
    expect(innermostLoop(loops, "fix")?.to).toBe("fix");
    expect(innermostLoop(loops, "gates")?.to).toBe("draft");
    expect(innermostLoop(loops, "publish")).toBeNull();
  });
});
