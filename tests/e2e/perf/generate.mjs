// Generates a large, valid braid/1 workflow: `lanes` parallel lanes of
// `stages` stages, each a phase step followed by a weighted group of
// `branches` branches (1 + branches steps per stage), with a few cross-lane
// edges. The default (8 × 25 × (1 + 4)) has exactly 1,000 steps.
//   node perf/generate.mjs [out.json] [lanes] [stages] [branches]
import { writeFileSync } from "node:fs";

export function generate(lanes = 8, stages = 25, branches = 4) {
  const steps = [];
  const groups = [];
  const edges = [];
  for (let l = 0; l < lanes; l++) {
    let prev = null;
    let prevKey = "run_id";
    for (let s = 0; s < stages; s++) {
      const phase = `l${l}-s${s}-prep`;
      const group = `l${l}-s${s}-review`;
      const key = `l${l}_s${s}_draft`;
      steps.push({ id: phase, name: `Prepare ${l}.${s}`, agent: { kind: "sim", duration_ms: 2000 + ((l * 7 + s * 13) % 9) * 500 }, requires: [prevKey], produces: [key], timeout_s: 60 });
      if (prev) edges.push({ from: prev, to: phase });
      groups.push({ id: group, name: `Review ${l}.${s}`, aggregate: { strategy: ["weighted", "majority", "quorum", "unanimous"][(l + s) % 4], approve_at: 75, needs_work_at: 50, ...((l + s) % 4 === 2 ? { k: 2 } : {}) }, max_concurrency: 2 });
      for (let b = 0; b < branches; b++) {
        steps.push({ id: `${group}-b${b}`, name: `Reviewer ${b + 1}`, group, agent: { kind: "sim", duration_ms: 1500 + b * 400, score: 70 + ((l + s + b) % 5) * 6 }, requires: [key], weight: 1 + (b % 3) * 0.5 });
      }
      edges.push({ from: phase, to: group, ...(s % 5 === 4 ? { when: "succeeded" } : {}) });
      prev = group;
      prevKey = `${group}.outcome`;
    }
    // A few joins across lanes keep it a graph, not eight lines.
    if (l > 0) edges.push({ from: `l${l - 1}-s${Math.floor(stages / 2)}-review`, to: `l${l}-s${Math.floor(stages / 2) + 1}-prep`, when: "done" });
  }
  return {
    format: "braid/1",
    id: "generated-large",
    name: `Generated: ${steps.length} steps`,
    description: "Synthetic workflow for the editor's performance measurements.",
    inputs: { run_id: { required: true } },
    limits: { concurrency: 16 },
    steps,
    groups,
    edges,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [out = "generated-1000.json", lanes, stages, branches] = process.argv.slice(2);
  const wf = generate(Number(lanes ?? 8), Number(stages ?? 25), Number(branches ?? 4));
  // The app saves canonical text; opening needs only valid JSON.
  writeFileSync(out, JSON.stringify(wf, null, 2) + "\n");
  console.log(`${out}: ${wf.steps.length} steps, ${wf.groups.length} groups, ${wf.edges.length} edges`);
}
