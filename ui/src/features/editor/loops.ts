// Loops (format revision 2): a loop edge points back, from `from` to `to`
// (`from` itself or an ancestor), and its *body* is every node on a path
// `to` → `from` in the graph without loop edges. The editor and the run view
// need the bodies (round badges, what a new round resets); the validator
// (`bad_loop`) stays the judge of which loops are allowed.

/** The edge fields loops are about (a workflow's `Edge`, or the run shape's). */
export interface LoopishEdge {
  from: string;
  to: string;
  loop?: { max_rounds: number } | null;
}

export interface LoopInfo {
  from: string;
  to: string;
  maxRounds: number;
  /** Outer nodes (steps outside groups, groups) the body holds; empty for a loop that does not point back. */
  body: Set<string>;
}

export const isLoopEdge = (e: LoopishEdge) => e.loop != null;

function adjacency(edges: readonly LoopishEdge[], reverse: boolean): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of edges) {
    if (isLoopEdge(e)) continue;
    const [a, b] = reverse ? [e.to, e.from] : [e.from, e.to];
    const list = out.get(a);
    if (list) list.push(b);
    else out.set(a, [b]);
  }
  return out;
}

function reach(start: string, adj: Map<string, string[]>): Set<string> {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const m of adj.get(n) ?? []) stack.push(m);
  }
  return seen;
}

/** Every node on a path `to` → `from` without loop edges (both ends included). */
export function loopBody(edges: readonly LoopishEdge[], from: string, to: string): Set<string> {
  const down = reach(to, adjacency(edges, false));
  if (!down.has(from)) return new Set();
  const up = reach(from, adjacency(edges, true));
  return new Set([...down].filter((n) => up.has(n)));
}

/** The workflow's loops, one per loop edge, in edge order. */
export function loopsOf(edges: readonly LoopishEdge[]): LoopInfo[] {
  return edges.filter(isLoopEdge).map((e) => ({ from: e.from, to: e.to, maxRounds: e.loop!.max_rounds, body: loopBody(edges, e.from, e.to) }));
}

/**
 * The innermost loop around an outer node: the smallest body holding it
 * (bodies nest or are disjoint, else the file is `bad_loop`).
 */
export function innermostLoop(loops: readonly LoopInfo[], node: string): LoopInfo | null {
  let best: LoopInfo | null = null;
  for (const l of loops) if (l.body.has(node) && (!best || l.body.size < best.body.size)) best = l;
  return best;
}
