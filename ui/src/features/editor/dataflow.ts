// Context keys: which exist, which a node can see upstream (for autocomplete),
// and who produces and reads a key (the data-flow view). Helpers for the
// editor's suggestions only — the validator remains the judge of what is valid.
import type { Workflow } from "../../ipc";

export const GROUP_KEYS = ["outcome", "score", "approved", "recommendations"] as const;
/** Keys every step writes (revision 2): its agent's recommendations; an approval's decision too. */
const stepKeys = (s: Workflow["steps"][number]) => [`${s.id}.recommendations`, ...(s.agent.kind === "approval" ? [`${s.id}.decision`] : [])];

export function allKeys(wf: Workflow): string[] {
  const keys = new Set<string>();
  for (const k of Object.keys(wf.inputs ?? {})) keys.add(k);
  for (const k of Object.keys(wf.context ?? {})) keys.add(k);
  for (const s of wf.steps) {
    for (const k of s.produces ?? []) keys.add(k);
    for (const k of s.requires ?? []) keys.add(k);
    for (const k of s.reads ?? []) keys.add(k);
    for (const k of stepKeys(s)) keys.add(k);
  }
  for (const g of wf.groups) for (const k of GROUP_KEYS) keys.add(`${g.id}.${k}`);
  return [...keys].sort();
}

/** Outer nodes that come before `id` (for a branch: before its group). */
export function ancestors(wf: Workflow, id: string): Set<string> {
  const step = wf.steps.find((s) => s.id === id);
  const start = step?.group ?? id;
  const incoming = new Map<string, string[]>();
  for (const e of wf.edges) {
    const list = incoming.get(e.to);
    if (list) list.push(e.from);
    else incoming.set(e.to, [e.from]);
  }
  const seen = new Set<string>();
  const stack = [...(incoming.get(start) ?? [])];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(incoming.get(n) ?? []));
  }
  return seen;
}

/** Keys a node could read: inputs, initial context, and what upstream nodes write. */
export function upstreamKeys(wf: Workflow, id: string): string[] {
  const keys = new Set<string>([...Object.keys(wf.inputs ?? {}), ...Object.keys(wf.context ?? {})]);
  const before = ancestors(wf, id);
  for (const s of wf.steps) {
    const outer = s.group ?? s.id;
    if (before.has(outer)) for (const k of [...(s.produces ?? []), ...stepKeys(s)]) keys.add(k);
  }
  for (const g of wf.groups) if (before.has(g.id)) for (const k of GROUP_KEYS) keys.add(`${g.id}.${k}`);
  return [...keys].sort();
}

export interface KeyFlow {
  producers: Set<string>;
  readers: Set<string>;
}

/** Who writes and who reads `key` (group outcome keys are written by their group). */
export function keyFlow(wf: Workflow, key: string): KeyFlow {
  const producers = new Set<string>();
  const readers = new Set<string>();
  for (const s of wf.steps) {
    if (s.produces?.includes(key) || stepKeys(s).includes(key)) producers.add(s.id);
    if (s.requires?.includes(key) || s.reads?.includes(key)) readers.add(s.id);
  }
  for (const g of wf.groups) {
    if (GROUP_KEYS.some((k) => `${g.id}.${k}` === key)) producers.add(g.id);
    if (g.for_each === key) readers.add(g.id);
  }
  return { producers, readers };
}
