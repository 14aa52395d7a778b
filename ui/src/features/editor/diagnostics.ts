// Where each diagnostic belongs on the canvas. The Rust validator decides what
// is wrong (nothing here judges validity); this only pins its findings to
// nodes and edges: by the ids it names, else by the JSON path it points at.
import type { Diagnostic, Workflow } from "../../ipc";
import { edgeKeys } from "./ops";

export interface Issues {
  errors: number;
  warnings: number;
  /** Messages, for the badge's tooltip. */
  messages: string[];
}

export interface PinnedDiagnostics {
  nodes: Map<string, Issues>;
  edges: Map<string, Issues>;
}

const PATH = /^\$\.(steps|groups|edges)\[(\d+)\]/;

/** The node or edge a diagnostic points at. */
export function targetsOf(d: Diagnostic, wf: Workflow, keys = edgeKeys(wf.edges)): { nodes: string[]; edges: string[] } {
  const m = PATH.exec(d.path);
  const edges: string[] = [];
  let nodes = [...d.nodes];
  if (m) {
    const i = Number(m[2]);
    if (m[1] === "edges" && keys[i] != null) edges.push(keys[i]);
    if (nodes.length === 0) {
      if (m[1] === "steps" && wf.steps[i]) nodes = [wf.steps[i].id];
      if (m[1] === "groups" && wf.groups[i]) nodes = [wf.groups[i].id];
    }
  }
  // An edge problem is drawn on the edge, not on both of its ends.
  if (edges.length) nodes = [];
  return { nodes, edges };
}

function bump(map: Map<string, Issues>, id: string, d: Diagnostic) {
  let issues = map.get(id);
  if (!issues) {
    issues = { errors: 0, warnings: 0, messages: [] };
    map.set(id, issues);
  }
  if (d.severity === "error") issues.errors++;
  else issues.warnings++;
  issues.messages.push(`${d.code}: ${d.message}`);
}

/**
 * Pins diagnostics to nodes and edges. Entries equal to the previous result's
 * are returned as the previous objects, so unchanged cards do not re-render.
 */
export function pin(diagnostics: Diagnostic[], wf: Workflow, previous?: PinnedDiagnostics): PinnedDiagnostics {
  const nodes = new Map<string, Issues>();
  const edges = new Map<string, Issues>();
  const keys = edgeKeys(wf.edges);
  for (const d of diagnostics) {
    const t = targetsOf(d, wf, keys);
    for (const id of t.nodes) bump(nodes, id, d);
    for (const k of t.edges) bump(edges, k, d);
  }
  if (previous) {
    reuse(nodes, previous.nodes);
    reuse(edges, previous.edges);
  }
  return { nodes, edges };
}

function reuse(next: Map<string, Issues>, prev: Map<string, Issues>) {
  for (const [id, issues] of next) {
    const old = prev.get(id);
    if (old && old.errors === issues.errors && old.warnings === issues.warnings && old.messages.join("\n") === issues.messages.join("\n")) {
      next.set(id, old);
    }
  }
}

/** Human location of a diagnostic for the problems list. */
export function whereOf(d: Diagnostic, wf: Workflow): string {
  const t = targetsOf(d, wf);
  if (t.edges.length) return t.edges[0].replace("->", " → ");
  if (t.nodes.length) return t.nodes.join(", ");
  return d.path;
}
