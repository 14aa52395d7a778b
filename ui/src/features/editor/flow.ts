// From the editor's document to React Flow's nodes and edges. Node and edge
// objects are cached by their inputs, so a change (a drag, an edit, a new
// diagnostic) rebuilds only the objects it touched and React Flow re-renders
// only those cards — the difference between fluid and stuck at 1,000 steps.
import { useMemo, useRef } from "react";
import { MarkerType, Position, type NodeHandle } from "@xyflow/react";
import type { Workflow } from "../../ipc";
import type { ConditionEdgeType } from "../nodes/edge/ConditionEdge";
import type { GroupNodeType } from "../nodes/group/Node";
import type { FlowMark, StepNodeType } from "../nodes/step/Node";
import { keyFlow } from "./dataflow";
import { pin, type PinnedDiagnostics } from "./diagnostics";
import { STEP_H, STEP_W } from "./geometry";
import { edgeKeys, groupRects, isMap } from "./ops";
import { useEditor } from "./store";

export type FlowNode = StepNodeType | GroupNodeType;

interface Cached<T> {
  deps: unknown[];
  value: T;
}

function sameDeps(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

class Memo<T> {
  private map = new Map<string, Cached<T>>();
  private seen = new Set<string>();
  get(key: string, deps: unknown[], make: () => T): T {
    this.seen.add(key);
    const hit = this.map.get(key);
    if (hit && sameDeps(hit.deps, deps)) return hit.value;
    const value = make();
    this.map.set(key, { deps, value });
    return value;
  }
  /** Forgets entries not used since the last sweep. */
  sweep() {
    for (const key of this.map.keys()) if (!this.seen.has(key)) this.map.delete(key);
    this.seen.clear();
  }
}

/** Handle size in app.css (`.react-flow__handle`). */
const HANDLE = 10;

/**
 * Where a node's handles are, given its size. Declaring handles and sizes up
 * front means React Flow never has to mount a card just to measure it, so a
 * 1,000-step graph mounts only the cards on screen.
 */
function handlesFor(width: number, height: number, connectable: boolean): NodeHandle[] {
  if (!connectable) return [];
  const y = height / 2 - HANDLE / 2;
  return [
    { type: "target", position: Position.Left, x: -HANDLE / 2, y, width: HANDLE, height: HANDLE },
    { type: "source", position: Position.Right, x: width - HANDLE / 2, y, width: HANDLE, height: HANDLE },
  ];
}

function flowMarks(wf: Workflow, key: string | null): Map<string, FlowMark> | null {
  if (!key) return null;
  const { producers, readers } = keyFlow(wf, key);
  const marks = new Map<string, FlowMark>();
  for (const id of producers) marks.set(id, "produce");
  for (const id of readers) marks.set(id, producers.has(id) ? "both" : "read");
  return marks;
}

export function usePinned(): PinnedDiagnostics {
  const diagnostics = useEditor((s) => s.diagnostics);
  const wf = useEditor((s) => s.diagnosticsFor?.workflow ?? s.doc.workflow);
  const prev = useRef<PinnedDiagnostics | undefined>(undefined);
  return useMemo(() => {
    const next = pin(diagnostics, wf, prev.current);
    prev.current = next;
    return next;
  }, [diagnostics, wf]);
}

export function useFlowElements(): { nodes: FlowNode[]; edges: ConditionEdgeType[] } {
  const doc = useEditor((s) => s.doc);
  const selection = useEditor((s) => s.selection);
  const selectedEdges = useEditor((s) => s.selectedEdges);
  const drag = useEditor((s) => s.drag);
  const dropTarget = useEditor((s) => s.dropTarget);
  const flowKey = useEditor((s) => s.dataflowKey);
  const pinned = usePinned();
  const nodeMemo = useRef(new Memo<FlowNode>());
  const edgeMemo = useRef(new Memo<ConditionEdgeType>());

  const rects = useMemo(() => groupRects(doc), [doc]);
  const marks = useMemo(() => flowMarks(doc.workflow, flowKey), [doc.workflow, flowKey]);

  const nodes = useMemo(() => {
    const wf = doc.workflow;
    const selected = new Set(selection);
    const memo = nodeMemo.current;
    const out: FlowNode[] = [];
    const branches = new Map<string, number>();
    for (const s of wf.steps) if (s.group != null) branches.set(s.group, (branches.get(s.group) ?? 0) + 1);
    const groupIds = new Set(wf.groups.map((g) => g.id));
    for (const g of wf.groups) {
      const rect = rects.get(g.id)!;
      const dragged = drag?.[g.id];
      const x = dragged?.x ?? rect.x;
      const y = dragged?.y ?? rect.y;
      const isSel = selected.has(g.id);
      const flow = marks ? (marks.get(g.id) ?? "dim") : null;
      const issues = pinned.nodes.get(g.id);
      const n = branches.get(g.id) ?? 0;
      const drop = dropTarget === g.id;
      const type = isMap(g) ? "map" : "parallel";
      out.push(
        memo.get(g.id, [g, x, y, rect.width, rect.height, isSel, flow, issues, n, drop, type], () => ({
          id: g.id,
          type,
          position: { x, y },
          width: rect.width,
          height: rect.height,
          measured: { width: rect.width, height: rect.height },
          handles: handlesFor(rect.width, rect.height, true),
          selected: isSel,
          className: flow === "dim" ? "group-flow-dim" : flow ? `flow-${flow}` : undefined,
          data: { group: g, issues, branches: n, flow, dropTarget: drop },
        })),
      );
    }
    for (const s of wf.steps) {
      const abs = doc.positions[s.id] ?? { x: 0, y: 0 };
      const parent = s.group != null && groupIds.has(s.group) ? s.group : undefined;
      const prect = parent ? rects.get(parent) : undefined;
      const dragged = drag?.[s.id];
      const x = dragged?.x ?? (prect ? abs.x - prect.x : abs.x);
      const y = dragged?.y ?? (prect ? abs.y - prect.y : abs.y);
      const isSel = selected.has(s.id);
      const flow = marks ? (marks.get(s.id) ?? "dim") : null;
      const issues = pinned.nodes.get(s.id);
      const fk = flow && flow !== "dim" ? flowKey : null;
      out.push(
        memo.get(s.id, [s, x, y, parent, isSel, flow, issues, fk], () => ({
          id: s.id,
          type: "step",
          position: { x, y },
          parentId: parent,
          width: STEP_W,
          height: STEP_H,
          measured: { width: STEP_W, height: STEP_H },
          handles: handlesFor(STEP_W, STEP_H, parent == null),
          selected: isSel,
          className: flow === "dim" ? "flow-dim" : flow ? `flow-${flow}` : undefined,
          data: { step: s, issues, flow, flowKey: fk, inGroup: parent != null },
        })),
      );
    }
    memo.sweep();
    return out;
  }, [doc, rects, selection, drag, dropTarget, marks, pinned, flowKey]);

  const edges = useMemo(() => {
    const wf = doc.workflow;
    const ids = new Set<string>([...wf.steps.map((s) => s.id), ...wf.groups.map((g) => g.id)]);
    const keys = edgeKeys(wf.edges);
    const selected = new Set(selectedEdges);
    const memo = edgeMemo.current;
    const out: ConditionEdgeType[] = [];
    const groupIds = new Set(wf.groups.map((g) => g.id));
    wf.edges.forEach((e, i) => {
      if (!ids.has(e.from) || !ids.has(e.to)) return; // dangling: shown in the problems list
      const key = keys[i];
      const isSel = selected.has(key);
      const issues = pinned.edges.get(key);
      const dim = marks ? !(marks.has(e.from) && marks.has(e.to)) : false;
      out.push(
        memo.get(key, [e, isSel, issues, dim, groupIds.has(e.from)], () => ({
          id: key,
          type: "condition",
          source: e.from,
          target: e.to,
          selected: isSel,
          className: [issues?.errors ? "has-error" : "", dim ? "flow-dim" : "", e.loop ? "loop-edge" : ""].join(" ").trim() || undefined,
          markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
          // An edge out of a group without `when` is taken on `approved`: say so on it (a loop edge always has its `when`).
          data: { from: e.from, to: e.to, when: e.when, implied: e.when || e.loop ? null : groupIds.has(e.from) ? "approved" : null, issues, dim, loop: e.loop?.max_rounds ?? null },
        })),
      );
    });
    memo.sweep();
    return out;
  }, [doc.workflow, selectedEdges, pinned, marks]);

  return { nodes, edges };
}
