// What a recommendation's edited copy changes, node by node: the list the
// preview shows and the nodes it highlights on the canvas. Values are compared
// canonically (keys sorted, null ≡ absent), since the edited copy comes back
// from Rust and the editor's objects may order or omit fields differently.
import type { Workflow } from "../../ipc";

export type Change =
  | { kind: "node_added"; id: string }
  | { kind: "node_removed"; id: string }
  | { kind: "node_changed"; id: string; fields: { field: string; before: unknown; after: unknown }[] }
  | { kind: "edge_added"; from: string; to: string; when: string | null }
  | { kind: "edge_removed"; from: string; to: string; when: string | null }
  | { kind: "limit_changed"; resource: string; before: number | null; after: number | null };

/** JSON with sorted keys, dropping null/undefined members. */
export function canonical(v: unknown): string {
  return JSON.stringify(normalise(v));
}

function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x != null) out[k] = normalise(x);
    }
    return out;
  }
  return v;
}

function fieldChanges(before: object, after: object): { field: string; before: unknown; after: unknown }[] {
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => k !== "id").sort();
  return keys.filter((k) => canonical(b[k]) !== canonical(a[k])).map((k) => ({ field: k, before: b[k] ?? null, after: a[k] ?? null }));
}

const edgeKey = (e: { from: string; to: string; when?: string | null }) => `${e.from}\u0000${e.to}\u0000${e.when ?? ""}`;

export function diffWorkflows(before: Workflow, after: Workflow): Change[] {
  const out: Change[] = [];
  const nodes = (wf: Workflow) => new Map<string, object>([...wf.steps.map((s) => [s.id, s] as const), ...wf.groups.map((g) => [`group:${g.id}`, g] as const)]);
  const b = nodes(before);
  const a = nodes(after);
  const plain = (k: string) => k.replace(/^group:/, "");
  for (const [k, node] of a) {
    const old = b.get(k);
    if (!old) out.push({ kind: "node_added", id: plain(k) });
    else {
      const fields = fieldChanges(old, node);
      if (fields.length) out.push({ kind: "node_changed", id: plain(k), fields });
    }
  }
  for (const k of b.keys()) if (!a.has(k)) out.push({ kind: "node_removed", id: plain(k) });

  const be = new Set(before.edges.map(edgeKey));
  const ae = new Set(after.edges.map(edgeKey));
  for (const e of before.edges) if (!ae.has(edgeKey(e))) out.push({ kind: "edge_removed", from: e.from, to: e.to, when: e.when ?? null });
  for (const e of after.edges) if (!be.has(edgeKey(e))) out.push({ kind: "edge_added", from: e.from, to: e.to, when: e.when ?? null });

  const bl = (before.limits ?? {}) as Record<string, number>;
  const al = (after.limits ?? {}) as Record<string, number>;
  for (const r of [...new Set([...Object.keys(bl), ...Object.keys(al)])].sort()) {
    if (bl[r] !== al[r]) out.push({ kind: "limit_changed", resource: r, before: bl[r] ?? null, after: al[r] ?? null });
  }
  return out;
}

/** Nodes of the current workflow a change touches (what the canvas highlights). */
export function touchedNodes(changes: Change[]): Set<string> {
  const ids = new Set<string>();
  for (const c of changes) {
    if (c.kind === "node_added" || c.kind === "node_removed" || c.kind === "node_changed") ids.add(c.id);
    else if (c.kind === "edge_added" || c.kind === "edge_removed") {
      ids.add(c.from);
      ids.add(c.to);
    }
  }
  return ids;
}

/** One line per change, for the preview's list. */
export function describeChange(c: Change): string {
  const show = (v: unknown) => (v == null ? "unset" : typeof v === "object" ? canonical(v) : String(v));
  switch (c.kind) {
    case "node_added":
      return `add ${c.id}`;
    case "node_removed":
      return `remove ${c.id}`;
    case "node_changed":
      return `${c.id}: ${c.fields.map((f) => `${f.field} ${show(f.before)} → ${show(f.after)}`).join(", ")}`;
    case "edge_added":
      return `add edge ${c.from} → ${c.to}${c.when ? ` (${c.when})` : ""}`;
    case "edge_removed":
      return `remove edge ${c.from} → ${c.to}${c.when ? ` (${c.when})` : ""}`;
    case "limit_changed":
      return `limits.${c.resource} ${show(c.before)} → ${show(c.after)}`;
  }
}
