import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../ipc";
import { sampleWorkflow } from "./fixtures";
import { pin, targetsOf } from "./diagnostics";

const diag = (over: Partial<Diagnostic>): Diagnostic => ({ severity: "error", code: "missing_input", message: "m", path: "$", nodes: [], ...over }) as Diagnostic;

describe("pinning diagnostics", () => {
  const wf = sampleWorkflow();

  it("uses the nodes the validator names", () => {
    expect(targetsOf(diag({ nodes: ["legal"] }), wf).nodes).toEqual(["legal"]);
  });

  it("falls back to the JSON path", () => {
    expect(targetsOf(diag({ path: "$.steps[3].retry.max_atempts" }), wf).nodes).toEqual(["publish"]);
    expect(targetsOf(diag({ path: "$.groups[0].aggregate" }), wf).nodes).toEqual(["gates"]);
    expect(targetsOf(diag({ path: "$.edges[1].when", nodes: ["gates", "publish"] }), wf)).toEqual({ nodes: [], edges: ["gates->publish"] });
  });

  it("keeps unchanged issue objects between validations", () => {
    const first = pin([diag({ nodes: ["legal"] })], wf);
    const second = pin([diag({ nodes: ["legal"] }), diag({ nodes: ["draft"], severity: "warning" })], wf, first);
    expect(second.nodes.get("legal")).toBe(first.nodes.get("legal"));
    expect(second.nodes.get("draft")).toEqual({ errors: 0, warnings: 1, messages: ["missing_input: m"] });
  });
});
