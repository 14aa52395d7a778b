import type { Group, Strategy } from "../../../ipc";

export const STRATEGIES: { value: Strategy; label: string; blurb: string }[] = [
  { value: "all", label: "All", blurb: "A plain join: every required branch succeeded" },
  { value: "unanimous", label: "Unanimous", blurb: "Every counted branch approved" },
  { value: "majority", label: "Majority", blurb: "More than half approved" },
  { value: "quorum", label: "Quorum", blurb: "At least k branches approved" },
  { value: "weighted", label: "Weighted", blurb: "Weighted mean score ≥ approve at" },
  { value: "threshold", label: "Threshold", blurb: "Mean score ≥ approve at" },
  { value: "first", label: "First wins", blurb: "First success decides; others cancelled" },
];

export function defaultGroup(id: string): Group {
  return { id, name: "Parallel group", aggregate: { strategy: "all" } } as Group;
}

/** Uses `approve_at` (every strategy normalises score-only verdicts with it). */
export function usesThresholds(strategy: Strategy): boolean {
  return strategy !== "all";
}

/** Header pill of a group: `weighted` + `≥ 80 · needs work ≥ 60`. */
export function ruleParts(group: Group): { strategy: string; detail: string } {
  const a = group.aggregate;
  const detail: string[] = [];
  if (a.strategy === "quorum") detail.push(`k = ${a.k ?? "?"}`);
  if (a.strategy === "weighted" || a.strategy === "threshold") detail.push(`≥ ${a.approve_at ?? 80}`);
  else if (a.approve_at != null && a.strategy !== "all") detail.push(`approve at ${a.approve_at}`);
  if (a.needs_work_at != null) detail.push(`needs work ≥ ${a.needs_work_at}`);
  return { strategy: a.strategy, detail: detail.join(" · ") };
}
