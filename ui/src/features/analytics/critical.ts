// Critical path marks for the canvas: which nodes and edges are on it and
// every node's slack — from a recorded run's report (measured), or from the
// planner's prediction when no run is chosen (predicted).
import type { Workflow } from "../../ipc";
import type { PlanLike, RunReport } from "./types";

export interface NodeMark {
  critical: boolean;
  /** How much later it could end without delaying the run; null: it did not run / is not planned. */
  slackMs: number | null;
}

export interface CriticalMarks {
  source: "run" | "plan";
  nodes: Map<string, NodeMark>;
  /** `from->to` of edges along the path. */
  edges: Set<string>;
}

export const edgeId = (from: string, to: string) => `${from}->${to}`;

function pathEdges(path: string[], wf: Workflow | null): Set<string> {
  const out = new Set<string>();
  for (let i = 1; i < path.length; i++) {
    const [from, to] = [path[i - 1], path[i]];
    if (!wf || wf.edges.some((e) => e.from === from && e.to === to)) out.add(edgeId(from, to));
  }
  return out;
}

export function marksFromReport(report: RunReport, wf: Workflow | null): CriticalMarks {
  const nodes = new Map<string, NodeMark>();
  for (const [id, s] of Object.entries(report.steps)) if (s) nodes.set(id, { critical: s.critical, slackMs: s.slack_ms ?? null });
  for (const [id, g] of Object.entries(report.groups)) if (g) nodes.set(id, { critical: g.critical, slackMs: g.slack_ms ?? null });
  for (const id of report.critical_path.nodes) {
    const m = nodes.get(id);
    nodes.set(id, { critical: true, slackMs: m?.slackMs ?? 0 });
  }
  return { source: "run", nodes, edges: pathEdges(report.critical_path.nodes, wf) };
}

/**
 * Marks from the plan. Inside a critical group, the branch the planner has
 * ending with the group is the one it waits for (not for `first`, whose
 * losers are cancelled at the winner's end), and a branch's slack is how
 * much sooner than the group it ends. Without branch spans (an older plan),
 * the branch predicted to take longest stands in for it.
 */
export function marksFromPlan(plan: PlanLike, wf: Workflow): CriticalMarks {
  // Slack of outer nodes comes with the plan (the engine's plan::latest_ends).
  const slack = new Map(Object.entries(plan.slack ?? {}).filter((e): e is [string, number] => e[1] != null));
  const onPath = new Set(plan.critical_path.nodes);
  const nodes = new Map<string, NodeMark>();
  for (const [id, s] of slack) nodes.set(id, { critical: onPath.has(id), slackMs: onPath.has(id) ? 0 : s });
  for (const g of wf.groups) {
    const gSpan = plan.schedule[g.id];
    if (!gSpan) continue;
    const branches = wf.steps.filter((s) => s.group === g.id);
    const spans = plan.branches;
    // How long before the group's end each branch ends.
    const early = (id: string): number => {
      if (spans) {
        const span = spans[id];
        return span ? Math.max(0, gSpan.end_ms - span.end_ms) : gSpan.end_ms - gSpan.start_ms;
      }
      const predicted = (b: string) => plan.steps[b]?.predicted_ms ?? 0;
      return Math.max(0, ...branches.map((b) => predicted(b.id))) - predicted(id);
    };
    const decider = g.aggregate.strategy === "first" ? null : branches.find((b) => early(b.id) === 0);
    const groupSlack = slack.get(g.id) ?? 0;
    for (const b of branches) {
      const critical = onPath.has(g.id) && decider?.id === b.id;
      nodes.set(b.id, { critical, slackMs: groupSlack + early(b.id) });
    }
  }
  return { source: "plan", nodes, edges: pathEdges(plan.critical_path.nodes, wf) };
}
