// A small workflow for tests: a phase, a weighted group of two branches, a phase.
import type { Workflow } from "../../ipc";
import type { Doc } from "./ops";

export function sampleWorkflow(): Workflow {
  return {
    format: "braid/1",
    id: "review",
    inputs: { page_id: { required: true } },
    steps: [
      { id: "draft", agent: { kind: "sim", duration_ms: 2000 }, requires: ["page_id"], produces: ["text"] },
      { id: "legal", group: "gates", agent: { kind: "sim", duration_ms: 5000, score: 88 }, requires: ["text"], weight: 0.6 },
      { id: "brand", group: "gates", agent: { kind: "sim", duration_ms: 3000, score: 75 }, requires: ["text"], weight: 0.4 },
      { id: "publish", agent: { kind: "shell", command: ["./publish.sh", "{{page_id}}"] }, requires: ["page_id", "gates.outcome"] },
    ],
    groups: [{ id: "gates", aggregate: { strategy: "weighted", approve_at: 80, needs_work_at: 60 } }],
    edges: [
      { from: "draft", to: "gates" },
      { from: "gates", to: "publish", when: "approved" },
    ],
  } as unknown as Workflow;
}

export function sampleDoc(): Doc {
  return {
    workflow: sampleWorkflow(),
    positions: {
      draft: { x: 0, y: 100 },
      gates: { x: 300, y: 40, width: 280, height: 240 },
      legal: { x: 320, y: 80 },
      brand: { x: 320, y: 180 },
      publish: { x: 660, y: 100 },
    },
  };
}
