// Automatic layout with ELK's layered algorithm, left to right; a group is
// one box in the outer graph with its branches stacked inside it.
import type { ELK as Elk, ElkNode, ElkExtendedEdge } from "elkjs/lib/elk-api";
import type { Workflow } from "../../ipc";
import { GROUP_MIN, GROUP_PAD, STEP_H, STEP_W, type Pos } from "./geometry";

// ELK is most of the bundle and only needed when a graph has no sidecar (or
// on "Layout"), so it loads on first use instead of at start-up.
let elk: Promise<Elk> | null = null;
function loadElk(): Promise<Elk> {
  elk ??= import("elkjs/lib/elk.bundled.js").then((m) => new m.default());
  return elk;
}

const ROOT_OPTIONS: Record<string, string> = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  "elk.layered.spacing.nodeNodeBetweenLayers": "90",
  "elk.spacing.nodeNode": "36",
  "elk.spacing.componentComponent": "60",
  "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
  "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
  // The canvas draws its own edges; ELK's cheapest routing keeps big layouts fast.
  "elk.edgeRouting": "POLYLINE",
};

/** Vertical gap between the branches stacked inside a group. */
const BRANCH_GAP = 16;

function groupSize(branches: number): { width: number; height: number } {
  const inner = branches * STEP_H + Math.max(0, branches - 1) * BRANCH_GAP;
  return {
    width: Math.max(GROUP_MIN.width, STEP_W + GROUP_PAD.left + GROUP_PAD.right),
    height: Math.max(GROUP_MIN.height, GROUP_PAD.top + inner + GROUP_PAD.bottom),
  };
}

/**
 * The outer graph for ELK: phases, and groups as boxes sized for their
 * branches (which have no edges of their own, so stacking them in a column
 * is their layout). One flat graph lays out far faster than a compound one.
 */
export function toElk(wf: Workflow): ElkNode {
  const branchCount = new Map<string, number>();
  for (const s of wf.steps) if (s.group != null) branchCount.set(s.group, (branchCount.get(s.group) ?? 0) + 1);
  const groupIds = new Set(wf.groups.map((g) => g.id));
  const children: ElkNode[] = [];
  for (const s of wf.steps) if (s.group == null || !groupIds.has(s.group)) children.push({ id: s.id, width: STEP_W, height: STEP_H });
  for (const g of wf.groups) children.push({ id: g.id, ...groupSize(branchCount.get(g.id) ?? 0) });
  const ids = new Set(children.map((c) => c.id));
  const edges: ElkExtendedEdge[] = wf.edges
    // Loop edges point back: ranking by them would turn the layout around.
    .filter((e) => ids.has(e.from) && ids.has(e.to) && e.from !== e.to && e.loop == null)
    .map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] }));
  return { id: "root", layoutOptions: ROOT_OPTIONS, children, edges };
}

/** Absolute positions of every node (and group sizes) for the workflow. */
export async function autoLayout(wf: Workflow): Promise<Record<string, Pos>> {
  const result = await (await loadElk()).layout(toElk(wf));
  const positions: Record<string, Pos> = {};
  const groups = new Set(wf.groups.map((g) => g.id));
  for (const n of result.children ?? []) {
    const x = Math.round(n.x ?? 0);
    const y = Math.round(n.y ?? 0);
    positions[n.id] = groups.has(n.id) ? { x, y, width: Math.round(n.width ?? GROUP_MIN.width), height: Math.round(n.height ?? GROUP_MIN.height) } : { x, y };
  }
  const next = new Map<string, number>();
  for (const s of wf.steps) {
    const g = s.group != null ? positions[s.group] : undefined;
    if (!g || !groups.has(s.group!)) continue;
    const i = next.get(s.group!) ?? 0;
    next.set(s.group!, i + 1);
    positions[s.id] = { x: g.x + GROUP_PAD.left, y: g.y + GROUP_PAD.top + i * (STEP_H + BRANCH_GAP) };
  }
  return positions;
}
