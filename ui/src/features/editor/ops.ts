// Pure operations on the editor's document (workflow + positions). Each takes
// a document and returns a new one, sharing everything it did not change, so
// the canvas can tell what changed by reference and undo is a pointer swap.
import type { Agent, Edge, Group, Step, When, Workflow } from "../../ipc";
import { GROUP_MIN, GROUP_PAD, STEP_H, STEP_W, type Pos, type Rect, round, union } from "./geometry";

export interface Doc {
  workflow: Workflow;
  /** Absolute canvas positions (steps inside groups too); group sizes. */
  positions: Record<string, Pos>;
}

export type AgentKind = Agent["kind"];

export function emptyWorkflow(id = "untitled"): Workflow {
  return { format: "braid/1", id, name: "Untitled workflow", steps: [], groups: [], edges: [] } as Workflow;
}

export function nodeIds(doc: Doc): Set<string> {
  const ids = new Set<string>();
  for (const s of doc.workflow.steps) ids.add(s.id);
  for (const g of doc.workflow.groups) ids.add(g.id);
  return ids;
}

/** `base`, else `base-2`, `base-3`, … — never an id already in use. */
export function uniqueId(taken: Set<string>, base: string): string {
  const clean = slugify(base) || "step";
  if (!taken.has(clean)) return clean;
  const stem = clean.replace(/-\d+$/, "");
  for (let i = 2; ; i++) {
    const candidate = `${stem}-${i}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export function slugify(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .replace(/-+$/, "");
}

export function isMap(group: Group): boolean {
  return group.for_each != null;
}

export function stepById(doc: Doc, id: string): Step | undefined {
  return doc.workflow.steps.find((s) => s.id === id);
}

export function groupById(doc: Doc, id: string): Group | undefined {
  return doc.workflow.groups.find((g) => g.id === id);
}

function withWorkflow(doc: Doc, patch: Partial<Workflow>): Doc {
  return { ...doc, workflow: { ...doc.workflow, ...patch } };
}

export function setWorkflow(doc: Doc, patch: Partial<Workflow>): Doc {
  return withWorkflow(doc, patch);
}

// ---------------------------------------------------------------- steps/groups

export function addStep(doc: Doc, step: Step, pos: { x: number; y: number }): Doc {
  return {
    workflow: { ...doc.workflow, steps: [...doc.workflow.steps, step] },
    positions: { ...doc.positions, [step.id]: { x: round(pos.x), y: round(pos.y) } },
  };
}

export function addGroup(doc: Doc, group: Group, pos: { x: number; y: number }, branches: Step[] = []): Doc {
  const positions = { ...doc.positions, [group.id]: { x: round(pos.x), y: round(pos.y), width: GROUP_MIN.width, height: GROUP_MIN.height } };
  branches.forEach((b, i) => {
    positions[b.id] = { x: round(pos.x + GROUP_PAD.left), y: round(pos.y + GROUP_PAD.top + i * (STEP_H + 16)) };
  });
  return {
    workflow: { ...doc.workflow, groups: [...doc.workflow.groups, group], steps: [...doc.workflow.steps, ...branches] },
    positions,
  };
}

export function updateStep(doc: Doc, id: string, fn: (s: Step) => Step): Doc {
  let changed = false;
  const steps = doc.workflow.steps.map((s) => {
    if (s.id !== id) return s;
    const next = fn(s);
    changed = changed || next !== s;
    return next;
  });
  return changed ? withWorkflow(doc, { steps }) : doc;
}

export function updateGroup(doc: Doc, id: string, fn: (g: Group) => Group): Doc {
  let changed = false;
  const groups = doc.workflow.groups.map((g) => {
    if (g.id !== id) return g;
    const next = fn(g);
    changed = changed || next !== g;
    return next;
  });
  return changed ? withWorkflow(doc, { groups }) : doc;
}

/** Renames a step or group everywhere it is referenced (edges, branches, layout). */
export function renameNode(doc: Doc, from: string, to: string): Doc {
  if (from === to || nodeIds(doc).has(to)) return doc;
  const wf = doc.workflow;
  const steps = wf.steps.map((s) => {
    let next = s;
    if (s.id === from) next = { ...next, id: to };
    if (s.group === from) next = { ...next, group: to };
    return next;
  });
  const groups = wf.groups.map((g) => (g.id === from ? { ...g, id: to } : g));
  const edges = wf.edges.map((e) =>
    e.from === from || e.to === from ? { ...e, from: e.from === from ? to : e.from, to: e.to === from ? to : e.to } : e,
  );
  const positions = { ...doc.positions };
  if (positions[from]) {
    positions[to] = positions[from];
    delete positions[from];
  }
  return { workflow: { ...wf, steps, groups, edges }, positions };
}

/** Deletes nodes (a group takes its branches with it) and every edge touching them. */
export function deleteNodes(doc: Doc, ids: Iterable<string>): Doc {
  const gone = new Set(ids);
  for (const g of doc.workflow.groups) {
    if (gone.has(g.id)) for (const s of doc.workflow.steps) if (s.group === g.id) gone.add(s.id);
  }
  if (gone.size === 0) return doc;
  const wf = doc.workflow;
  const positions = { ...doc.positions };
  for (const id of gone) delete positions[id];
  return {
    workflow: {
      ...wf,
      steps: wf.steps.filter((s) => !gone.has(s.id)),
      groups: wf.groups.filter((g) => !gone.has(g.id)),
      edges: wf.edges.filter((e) => !gone.has(e.from) && !gone.has(e.to)),
    },
    positions,
  };
}

/** Puts a step into a group (or, with `null`, back into the outer graph). */
export function setStepGroup(doc: Doc, stepId: string, groupId: string | null): Doc {
  return updateStep(doc, stepId, (s) => {
    if ((s.group ?? null) === groupId) return s;
    const next = { ...s };
    if (groupId == null) {
      delete next.group;
      delete next.weight;
    } else {
      next.group = groupId;
    }
    return next;
  });
}

// ---------------------------------------------------------------- edges

/** Stable React Flow id of an edge: `from->to`, with `#n` for repeats. */
export function edgeKeys(edges: Edge[]): string[] {
  const seen = new Map<string, number>();
  return edges.map((e) => {
    const base = `${e.from}->${e.to}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}#${n + 1}`;
  });
}

export function addEdge(doc: Doc, from: string, to: string): Doc {
  if (doc.workflow.edges.some((e) => e.from === from && e.to === to)) return doc;
  return withWorkflow(doc, { edges: [...doc.workflow.edges, { from, to }] });
}

/** Loop rounds the format allows (`max_rounds`). */
export const LOOP_ROUNDS = { min: 2, max: 100, default: 3 } as const;

/** The condition a new loop edge starts with: a group loops on `needs_work`, a step on `failed`. */
export function defaultLoopWhen(doc: Doc, from: string): When {
  return groupById(doc, from) ? "needs_work" : "failed";
}

/** Adds a loop edge from→to (pointing back: `to` is `from` or an ancestor); `when` is required for loops. */
export function addLoopEdge(doc: Doc, from: string, to: string, when: When, maxRounds: number): Doc {
  if (doc.workflow.edges.some((e) => e.from === from && e.to === to)) return doc;
  const max_rounds = Math.round(Math.min(LOOP_ROUNDS.max, Math.max(LOOP_ROUNDS.min, maxRounds)));
  return withWorkflow(doc, { edges: [...doc.workflow.edges, { from, to, when, loop: { max_rounds } }] });
}

export function updateEdge(doc: Doc, key: string, fn: (e: Edge) => Edge): Doc {
  const keys = edgeKeys(doc.workflow.edges);
  const i = keys.indexOf(key);
  if (i < 0) return doc;
  const edges = doc.workflow.edges.slice();
  edges[i] = fn(edges[i]);
  return withWorkflow(doc, { edges });
}

export function deleteEdges(doc: Doc, keys: Iterable<string>): Doc {
  const gone = new Set(keys);
  if (gone.size === 0) return doc;
  const all = edgeKeys(doc.workflow.edges);
  return withWorkflow(doc, { edges: doc.workflow.edges.filter((_, i) => !gone.has(all[i])) });
}

/**
 * True when an edge from→to would close a cycle in the outer graph. The one
 * rule the editor keeps in TypeScript on purpose: it answers on every pointer
 * move while an edge is dragged, too often for a round trip to the backend.
 * The validator (braid_model `validate::structure`, `cycle`) stays the judge:
 * whatever this lets through is checked again on the next validation.
 * Loop edges are not part of the acyclic graph (revision 2), so they are
 * left out: an edge closing a cycle only through a loop edge closes none.
 */
export function wouldCycle(edges: Edge[], from: string, to: string): boolean {
  if (from === to) return true;
  const out = new Map<string, string[]>();
  for (const e of edges) {
    if (e.loop != null) continue;
    const list = out.get(e.from);
    if (list) list.push(e.to);
    else out.set(e.from, [e.to]);
  }
  const stack = [to];
  const seen = new Set<string>();
  while (stack.length) {
    const n = stack.pop()!;
    if (n === from) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const m of out.get(n) ?? []) stack.push(m);
  }
  return false;
}

// ---------------------------------------------------------------- geometry

/** Each group's rectangle: its stored rectangle grown to hold its branches. */
export function groupRects(doc: Doc): Map<string, Rect> {
  const rects = new Map<string, Rect>();
  const children = new Map<string, Rect | null>();
  for (const s of doc.workflow.steps) {
    if (s.group == null) continue;
    const p = doc.positions[s.id];
    if (!p) continue;
    const r = { x: p.x - GROUP_PAD.left, y: p.y - GROUP_PAD.top, width: STEP_W + GROUP_PAD.left + GROUP_PAD.right, height: STEP_H + GROUP_PAD.top + GROUP_PAD.bottom };
    const prev = children.get(s.group);
    children.set(s.group, prev ? union(prev, r) : r);
  }
  for (const g of doc.workflow.groups) {
    const p = doc.positions[g.id];
    const kids = children.get(g.id) ?? null;
    let rect: Rect | null = p ? { x: p.x, y: p.y, width: p.width ?? GROUP_MIN.width, height: p.height ?? GROUP_MIN.height } : null;
    if (kids) rect = rect ? union(rect, kids) : kids;
    rects.set(g.id, rect ?? { x: 0, y: 0, width: GROUP_MIN.width, height: GROUP_MIN.height });
  }
  return rects;
}

/** Moves nodes to new absolute positions; a moved group carries its branches. */
export function moveNodes(doc: Doc, moves: Record<string, { x: number; y: number }>): Doc {
  const positions = { ...doc.positions };
  const rects = groupRects(doc);
  for (const [id, to] of Object.entries(moves)) {
    const group = groupById(doc, id);
    if (group) {
      const rect = rects.get(id)!;
      const dx = to.x - rect.x;
      const dy = to.y - rect.y;
      positions[id] = { x: round(to.x), y: round(to.y), width: rect.width, height: rect.height };
      for (const s of doc.workflow.steps) {
        if (s.group === id && positions[s.id] && !(s.id in moves)) {
          positions[s.id] = { x: round(positions[s.id].x + dx), y: round(positions[s.id].y + dy) };
        }
      }
    } else {
      positions[id] = { ...positions[id], x: round(to.x), y: round(to.y) };
    }
  }
  return settleGroups({ ...doc, positions });
}

/** Stores every group's grown rectangle, so the sidecar matches the canvas. */
export function settleGroups(doc: Doc): Doc {
  const rects = groupRects(doc);
  let positions = doc.positions;
  for (const [id, r] of rects) {
    const p = positions[id];
    if (!p || p.x !== r.x || p.y !== r.y || p.width !== r.width || p.height !== r.height) {
      if (positions === doc.positions) positions = { ...positions };
      positions[id] = { x: round(r.x), y: round(r.y), width: round(r.width), height: round(r.height) };
    }
  }
  return positions === doc.positions ? doc : { ...doc, positions };
}

/** The layout sidecar for a document: only nodes that exist, in file order. */
export function layoutOf(doc: Doc): { nodes: Record<string, Pos> } {
  const settled = settleGroups(doc);
  const nodes: Record<string, Pos> = {};
  const put = (id: string) => {
    const p = settled.positions[id];
    if (!p) return;
    const out: Pos = { x: round(p.x), y: round(p.y) };
    if (p.width != null) out.width = round(p.width);
    if (p.height != null) out.height = round(p.height);
    nodes[id] = out;
  };
  // Outer nodes and groups in file order, each group followed by its branches.
  for (const s of doc.workflow.steps) if (s.group == null) put(s.id);
  for (const g of doc.workflow.groups) {
    put(g.id);
    for (const s of doc.workflow.steps) if (s.group === g.id) put(s.id);
  }
  return { nodes };
}

// ---------------------------------------------------------------- clipboard

export interface Clip {
  steps: Step[];
  groups: Group[];
  edges: Edge[];
  positions: Record<string, Pos>;
}

export function copyNodes(doc: Doc, ids: Iterable<string>): Clip | null {
  const chosen = new Set(ids);
  for (const g of doc.workflow.groups) if (chosen.has(g.id)) for (const s of doc.workflow.steps) if (s.group === g.id) chosen.add(s.id);
  const steps = doc.workflow.steps.filter((s) => chosen.has(s.id));
  const groups = doc.workflow.groups.filter((g) => chosen.has(g.id));
  if (steps.length + groups.length === 0) return null;
  const edges = doc.workflow.edges.filter((e) => chosen.has(e.from) && chosen.has(e.to));
  const positions: Record<string, Pos> = {};
  for (const id of chosen) if (doc.positions[id]) positions[id] = doc.positions[id];
  return structuredClone({ steps, groups, edges, positions });
}

/** Pastes with fresh ids, offset on the canvas; returns the new ids. */
export function pasteNodes(doc: Doc, clip: Clip, offset = 40): { doc: Doc; ids: string[] } {
  const taken = nodeIds(doc);
  const rename = new Map<string, string>();
  for (const n of [...clip.groups, ...clip.steps]) {
    const id = uniqueId(taken, n.id);
    taken.add(id);
    rename.set(n.id, id);
  }
  const r = (id: string) => rename.get(id) ?? id;
  const groups = clip.groups.map((g) => ({ ...g, id: r(g.id) }));
  const steps = clip.steps.map((s) => {
    const next = { ...s, id: r(s.id) };
    // A branch pasted without its group lands in the outer graph.
    if (s.group != null && !rename.has(s.group)) {
      if (!groupById(doc, s.group)) delete next.group;
    } else if (s.group != null) next.group = r(s.group);
    return next;
  });
  const edges = clip.edges.map((e) => ({ ...e, from: r(e.from), to: r(e.to) }));
  const positions = { ...doc.positions };
  for (const [id, p] of Object.entries(clip.positions)) positions[r(id)] = { ...p, x: p.x + offset, y: p.y + offset };
  const next: Doc = {
    workflow: {
      ...doc.workflow,
      steps: [...doc.workflow.steps, ...steps],
      groups: [...doc.workflow.groups, ...groups],
      edges: [...doc.workflow.edges, ...edges],
    },
    positions,
  };
  return { doc: settleGroups(next), ids: [...rename.values()] };
}
