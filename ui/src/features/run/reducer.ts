// What the canvas shows of a run, folded from its events. Pure: the live
// view, the replay of a past run and the scrubber (events[0..k]) all run the
// same function. A call copies only what its events touch, so node cards
// whose entry did not change keep their object and do not re-render.
import type { Json, JsonMap, Outcome, RunEvent, RunStatus, RunSummary, StepStatus, Stream } from "./types";

export type When = "succeeded" | "failed" | "done" | "approved" | "needs_work" | "rejected";

/** The parts of a workflow the reducer needs: who is in which group, which groups are maps, the edges. */
export interface RunShape {
  steps: { id: string; group: string | null }[];
  groups: { id: string; map: boolean }[];
  edges: { from: string; to: string; when: When | null }[];
}

/** An element of a map, or the count keys: a step status plus `queued` (waiting for limits). */
export type ElementStatus = StepStatus | "queued";
export type Counts = Partial<Record<ElementStatus, number>>;

export interface ElementRun {
  element: number;
  status: ElementStatus;
  attempt: number;
  startedAt: number | null;
  endedAt: number | null;
  retryAt: number | null;
  error: string | null;
}

export interface NodeRun {
  status: StepStatus;
  /** Ready but waiting for `limits` (status stays `pending`). */
  queued: boolean;
  /** The attempt running or last run (1-based; 0 before the first). */
  attempt: number;
  startedAt: number | null;
  endedAt: number | null;
  /** When the next attempt starts (epoch ms) while a retry backoff runs. */
  retryAt: number | null;
  /** Result carried over from another run (resume, rerun). */
  reused: boolean;
  error: string | null;
  /** A step's verdict score, or a group's aggregated score. */
  score: number | null;
  approved: boolean | null;
  /** Groups: the aggregated outcome. */
  outcome: Outcome | null;
  outputs: JsonMap | null;
  /** Map groups and their branch step: how many elements are in each state. */
  counts: Counts | null;
  pid: number | null;
}

export interface OutputLine {
  stream: Stream;
  line: string;
  attempt: number;
}

export interface OutputTail {
  /** The last lines seen live (capped at OUTPUT_LINES). */
  lines: OutputLine[];
  /** Final tails of the last attempt that ended, when it has. */
  stdoutTail: string | null;
  stderrTail: string | null;
  exitCode: number | null;
  durationMs: number | null;
}

export interface ContextWrite {
  seq: number;
  at: number;
  writer: string;
  key: string;
  old: Json | undefined;
  new: Json;
}

export interface RunView {
  shape: RunShape;
  runId: string | null;
  workflowId: string | null;
  status: RunStatus | "pending";
  startedAt: number | null;
  endedAt: number | null;
  timeScale: number | null;
  inputs: JsonMap;
  error: string | null;
  nodes: Record<string, NodeRun>;
  /** Map branch step id → its elements, in element order. */
  elements: Record<string, ElementRun[]>;
  /** Output per execution: `step` or `step#element`. */
  output: Record<string, OutputTail>;
  context: JsonMap;
  writes: ContextWrite[];
  warnings: { at: number; step: string | null; message: string }[];
  /** Node ids whose results came from an earlier run. */
  reused: string[];
  lastSeq: number;
  eventCount: number;
}

export const OUTPUT_LINES = 400;
const FINAL: ReadonlySet<ElementStatus> = new Set(["succeeded", "failed", "timed_out", "blocked", "skipped", "cancelled", "interrupted"]);
export const isFinal = (s: ElementStatus) => FINAL.has(s);

function pendingNode(): NodeRun {
  return {
    status: "pending",
    queued: false,
    attempt: 0,
    startedAt: null,
    endedAt: null,
    retryAt: null,
    reused: false,
    error: null,
    score: null,
    approved: null,
    outcome: null,
    outputs: null,
    counts: null,
    pid: null,
  };
}

/** Shape of a workflow document (any object with the format's steps, groups and edges). */
export function shapeOf(wf: {
  steps: { id: string; group?: string | null }[];
  groups: { id: string; for_each?: string | null }[];
  edges: { from: string; to: string; when?: When | null }[];
}): RunShape {
  return {
    steps: wf.steps.map((s) => ({ id: s.id, group: s.group ?? null })),
    groups: wf.groups.map((g) => ({ id: g.id, map: g.for_each != null })),
    edges: wf.edges.map((e) => ({ from: e.from, to: e.to, when: e.when ?? null })),
  };
}

/** Every node pending: the view before the first event. */
export function initialView(shape: RunShape): RunView {
  const nodes: Record<string, NodeRun> = {};
  for (const s of shape.steps) nodes[s.id] = pendingNode();
  for (const g of shape.groups) nodes[g.id] = pendingNode();
  return {
    shape,
    runId: null,
    workflowId: null,
    status: "pending",
    startedAt: null,
    endedAt: null,
    timeScale: null,
    inputs: {},
    error: null,
    nodes,
    elements: {},
    output: {},
    context: {},
    writes: [],
    warnings: [],
    reused: [],
    lastSeq: -1,
    eventCount: 0,
  };
}

/** Worst-first order of a map branch's status once its elements are done: StepStatus::PRECEDENCE in
 * the engine; statusFromCounts is tested against the engine's table (step_status.json). */
const PRECEDENCE: StepStatus[] = ["running", "blocked", "failed", "timed_out", "interrupted", "cancelled", "succeeded", "skipped"];

/** A map branch step's status from its element counts. */
export function statusFromCounts(counts: Counts): StepStatus {
  const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  if (total === 0) return "pending";
  const open = (counts.running ?? 0) + (counts.queued ?? 0) + (counts.pending ?? 0);
  if (open > 0) return total > open || (counts.running ?? 0) > 0 ? "running" : "pending";
  return PRECEDENCE.find((p) => (counts[p] ?? 0) > 0) ?? "pending";
}

/** Copy-on-first-write working state for one `applyEvents` call. */
class Draft {
  v: RunView;
  private touchedNodes = new Set<string>();
  private touchedElements = new Set<string>();
  private touchedOutput = new Set<string>();
  private copied = { nodes: false, elements: false, output: false, context: false, writes: false, warnings: false, reused: false };
  private groupOf = new Map<string, string>();
  private mapGroups = new Set<string>();

  constructor(view: RunView) {
    this.v = { ...view };
    for (const s of view.shape.steps) if (s.group) this.groupOf.set(s.id, s.group);
    for (const g of view.shape.groups) if (g.map) this.mapGroups.add(g.id);
  }

  node(id: string): NodeRun {
    if (!this.copied.nodes) {
      this.v.nodes = { ...this.v.nodes };
      this.copied.nodes = true;
    }
    if (!this.touchedNodes.has(id)) {
      this.v.nodes[id] = { ...(this.v.nodes[id] ?? pendingNode()) };
      this.touchedNodes.add(id);
    }
    return this.v.nodes[id];
  }

  isMapBranch(step: string): boolean {
    const g = this.groupOf.get(step);
    return g != null && this.mapGroups.has(g);
  }

  element(step: string, index: number): ElementRun {
    if (!this.copied.elements) {
      this.v.elements = { ...this.v.elements };
      this.copied.elements = true;
    }
    if (!this.touchedElements.has(step)) {
      this.v.elements[step] = [...(this.v.elements[step] ?? [])];
      this.touchedElements.add(step);
    }
    const list = this.v.elements[step];
    for (let i = list.length; i <= index; i++) list.push({ element: i, status: "pending", attempt: 0, startedAt: null, endedAt: null, retryAt: null, error: null });
    // Entries are replaced, never mutated in place, so older views stay intact.
    list[index] = { ...list[index] };
    return list[index];
  }

  /** Moves an element to a new status, keeping its map's counts (on the branch step and the group) in step. */
  setElementStatus(step: string, index: number, status: ElementStatus, patch: Partial<ElementRun> = {}) {
    const el = this.element(step, index);
    const before = el.status;
    Object.assign(el, patch, { status });
    const node = this.node(step);
    const counts: Counts = { ...(node.counts ?? {}) };
    if (before !== status || !node.counts) {
      counts[before] = Math.max(0, (counts[before] ?? 0) - 1);
      counts[status] = (counts[status] ?? 0) + 1;
      for (const k of Object.keys(counts) as ElementStatus[]) if (!counts[k]) delete counts[k];
    }
    node.counts = counts;
    node.status = statusFromCounts(counts);
    node.attempt = Math.max(node.attempt, el.attempt);
    const group = this.groupOf.get(step);
    if (group) this.node(group).counts = counts;
  }

  /** A map branch's elements as `pending` once the group says how many there are. */
  seedElements(group: string, n: number) {
    const branch = this.v.shape.steps.find((s) => s.group === group);
    if (!branch) return;
    const list: ElementRun[] = [];
    for (let i = 0; i < n; i++) list.push({ element: i, status: "pending", attempt: 0, startedAt: null, endedAt: null, retryAt: null, error: null });
    if (!this.copied.elements) {
      this.v.elements = { ...this.v.elements };
      this.copied.elements = true;
    }
    this.v.elements[branch.id] = list;
    this.touchedElements.add(branch.id);
    const counts: Counts = n > 0 ? { pending: n } : {};
    const node = this.node(branch.id);
    node.counts = counts;
    node.status = n > 0 ? "pending" : node.status;
    this.node(group).counts = counts;
  }

  output(key: string): OutputTail {
    if (!this.copied.output) {
      this.v.output = { ...this.v.output };
      this.copied.output = true;
    }
    if (!this.touchedOutput.has(key)) {
      const prev = this.v.output[key];
      this.v.output[key] = prev ? { ...prev, lines: [...prev.lines] } : { lines: [], stdoutTail: null, stderrTail: null, exitCode: null, durationMs: null };
      this.touchedOutput.add(key);
    }
    return this.v.output[key];
  }

  context(): JsonMap {
    if (!this.copied.context) {
      this.v.context = { ...this.v.context };
      this.copied.context = true;
    }
    return this.v.context;
  }

  writes(): ContextWrite[] {
    if (!this.copied.writes) {
      this.v.writes = [...this.v.writes];
      this.copied.writes = true;
    }
    return this.v.writes;
  }

  warnings() {
    if (!this.copied.warnings) {
      this.v.warnings = [...this.v.warnings];
      this.copied.warnings = true;
    }
    return this.v.warnings;
  }

  markReused(id: string) {
    if (this.v.reused.includes(id)) return;
    if (!this.copied.reused) {
      this.v.reused = [...this.v.reused];
      this.copied.reused = true;
    }
    this.v.reused.push(id);
  }

  finish(): RunView {
    // Trim output buffers once per call rather than per line.
    for (const key of this.touchedOutput) {
      const o = this.v.output[key];
      if (o.lines.length > OUTPUT_LINES) o.lines = o.lines.slice(o.lines.length - OUTPUT_LINES);
    }
    return this.v;
  }
}

const outputKey = (step: string, element: number | null | undefined) => (element == null ? step : `${step}#${element}`);

/** Applies events (in sequence order) to a view; returns a new view sharing what did not change. */
export function applyEvents(view: RunView, events: readonly RunEvent[]): RunView {
  if (events.length === 0) return view;
  const d = new Draft(view);
  for (const e of events) {
    if (e.seq <= d.v.lastSeq) continue; // a batch seen twice (resume re-attach) changes nothing
    d.v.lastSeq = e.seq;
    d.v.eventCount += 1;
    applyOne(d, e);
  }
  return d.finish();
}

function applyOne(d: Draft, e: RunEvent) {
  const t = e.at_ms;
  switch (e.type) {
    case "run_started":
      d.v.runId = e.run_id;
      d.v.workflowId = e.workflow_id;
      d.v.startedAt ??= t;
      d.v.timeScale = e.time_scale;
      d.v.inputs = e.inputs;
      d.v.status = "running";
      return;
    case "run_resumed":
      d.v.status = "running";
      d.v.endedAt = null;
      d.v.error = null;
      return;
    case "run_finished":
      d.v.status = e.status;
      d.v.error = e.error ?? null;
      d.v.endedAt = t;
      return;
    case "group_started": {
      const g = d.node(e.group);
      g.status = "running";
      g.startedAt ??= t;
      if (e.elements != null) d.seedElements(e.group, e.elements);
      return;
    }
    case "group_aggregated": {
      const g = d.node(e.group);
      g.outcome = e.outcome;
      g.score = e.score ?? null;
      g.approved = e.approved;
      g.status = e.outcome === "failed" ? "failed" : "succeeded";
      g.endedAt = t;
      return;
    }
    case "step_reused": {
      d.markReused(e.step);
      if (e.element != null && d.isMapBranch(e.step)) {
        d.setElementStatus(e.step, e.element, "running", { attempt: e.attempt, startedAt: t });
      }
      const n = d.node(e.step);
      n.reused = true;
      n.attempt = Math.max(n.attempt, e.attempt);
      n.startedAt ??= t;
      const group = d.v.shape.steps.find((s) => s.id === e.step)?.group;
      if (group) d.markReused(group);
      return;
    }
    case "step_queued":
      if (e.element != null && d.isMapBranch(e.step)) {
        d.setElementStatus(e.step, e.element, "queued", { attempt: e.attempt });
      } else {
        const n = d.node(e.step);
        n.queued = true;
      }
      return;
    case "step_started":
      if (e.element != null && d.isMapBranch(e.step)) {
        const el = d.element(e.step, e.element);
        d.setElementStatus(e.step, e.element, "running", { attempt: e.attempt, startedAt: el.startedAt ?? t, retryAt: null, endedAt: null });
        d.node(e.step).startedAt ??= t;
      } else {
        const n = d.node(e.step);
        n.status = "running";
        n.queued = false;
        n.attempt = e.attempt;
        n.startedAt ??= t;
        n.endedAt = null;
        n.retryAt = null;
      }
      return;
    case "process_spawned":
      d.node(e.step).pid = e.pid;
      return;
    case "output_line":
      d.output(outputKey(e.step, e.element)).lines.push({ stream: e.stream, line: e.line, attempt: e.attempt });
      return;
    case "attempt_ended": {
      const o = d.output(outputKey(e.step, e.element));
      o.stdoutTail = e.stdout_tail;
      o.stderrTail = e.stderr_tail;
      o.exitCode = e.exit_code ?? null;
      o.durationMs = e.duration_ms;
      return;
    }
    case "attempt_failed":
      if (e.element != null && d.isMapBranch(e.step)) d.element(e.step, e.element).error = e.error;
      else d.node(e.step).error = e.error;
      return;
    case "step_retrying":
      if (e.element != null && d.isMapBranch(e.step)) {
        // Waiting out the backoff still counts as running: the element is not done.
        d.setElementStatus(e.step, e.element, "running", { retryAt: t + e.delay_ms });
      } else {
        const n = d.node(e.step);
        n.retryAt = t + e.delay_ms;
      }
      return;
    case "step_succeeded":
      if (e.element != null && d.isMapBranch(e.step)) {
        d.setElementStatus(e.step, e.element, "succeeded", { endedAt: t, error: null, retryAt: null });
        d.node(e.step).endedAt = t;
      } else {
        const n = d.node(e.step);
        n.status = "succeeded";
        n.endedAt = t;
        n.outputs = e.outputs;
        n.score = e.score ?? null;
        n.approved = e.approved ?? null;
        n.error = null;
        n.retryAt = null;
        n.queued = false;
      }
      return;
    case "step_failed":
    case "step_timed_out":
    case "step_blocked": {
      const status: StepStatus = e.type === "step_failed" ? "failed" : e.type === "step_timed_out" ? "timed_out" : "blocked";
      if (e.element != null && d.isMapBranch(e.step)) {
        d.setElementStatus(e.step, e.element, status, { endedAt: t, error: e.error, retryAt: null });
        d.node(e.step).endedAt = t;
      } else {
        const n = d.node(e.step);
        n.status = status;
        n.endedAt = t;
        n.error = e.error;
        n.retryAt = null;
        n.queued = false;
      }
      return;
    }
    case "step_interrupted":
      if (e.element != null && d.isMapBranch(e.step)) {
        d.setElementStatus(e.step, e.element, "interrupted", { endedAt: t });
      } else {
        const n = d.node(e.step);
        n.status = "interrupted";
        n.endedAt = t;
      }
      return;
    case "step_skipped": {
      const n = d.node(e.step);
      if (!isFinal(n.status)) {
        n.status = "skipped";
        n.error = null;
        n.queued = false;
      }
      return;
    }
    case "step_cancelled":
      if (e.element != null && d.isMapBranch(e.step)) {
        const el = d.element(e.step, e.element);
        if (!isFinal(el.status)) d.setElementStatus(e.step, e.element, "cancelled", { endedAt: t, retryAt: null });
      } else {
        const n = d.node(e.step);
        // A step that finished on its own before the cancel keeps its result.
        if (!isFinal(n.status)) {
          n.status = "cancelled";
          n.endedAt = t;
          n.retryAt = null;
          n.queued = false;
        }
      }
      return;
    case "context_write":
      d.context()[e.key] = e.new;
      d.writes().push({ seq: e.seq, at: t, writer: e.writer, key: e.key, old: e.old, new: e.new });
      return;
    case "warning":
      d.warnings().push({ at: t, step: e.step ?? null, message: e.message });
      return;
    case "step_metrics":
    case "sub_run_started":
      return;
  }
}

/**
 * The store's summary is the final truth: node statuses, attempts, scores
 * and group outcomes are set from it (events may have been coalesced or the
 * stream cut short), and the run's status and duration too.
 */
export function reconcile(view: RunView, summary: RunSummary): RunView {
  const nodes = { ...view.nodes };
  for (const [id, s] of Object.entries(summary.steps)) {
    const prev = nodes[id] ?? pendingNode();
    const counts = s.elements ? (Object.fromEntries(Object.entries(s.elements).filter(([, n]) => n > 0)) as Counts) : prev.counts;
    const same =
      prev.status === s.status &&
      (s.elements ? sameCounts(prev.counts, counts) : prev.attempt === s.attempts) &&
      prev.score === (s.elements ? prev.score : s.score) &&
      prev.error === (s.error ?? prev.error);
    if (same) continue;
    nodes[id] = {
      ...prev,
      status: s.status,
      attempt: s.elements ? prev.attempt : s.attempts,
      score: s.elements ? prev.score : s.score,
      approved: s.elements ? prev.approved : s.approved,
      error: s.error ?? (s.status === "succeeded" ? null : prev.error),
      counts,
      retryAt: null,
      queued: false,
    };
  }
  for (const g of view.shape.groups) {
    const s = summary.groups[g.id];
    const prev = nodes[g.id] ?? pendingNode();
    const branchIds = view.shape.steps.filter((st) => st.group === g.id).map((st) => st.id);
    const branches = branchIds.map((b) => nodes[b]?.status ?? "pending");
    let status: StepStatus = prev.status;
    if (s?.outcome) status = s.outcome === "failed" ? "failed" : "succeeded";
    else if (branches.length && branches.every((b) => b === "skipped")) status = "skipped";
    else if (!isFinal(prev.status)) {
      status = branches.includes("interrupted") ? "interrupted" : branches.includes("cancelled") || summary.status === "cancelled" ? "cancelled" : prev.status;
    }
    const counts = g.map ? (nodes[branchIds[0]]?.counts ?? prev.counts) : prev.counts;
    if (status === prev.status && prev.outcome === (s?.outcome ?? null) && prev.score === (s?.score ?? null) && counts === prev.counts) continue;
    nodes[g.id] = { ...prev, status, outcome: s?.outcome ?? null, score: s?.score ?? null, approved: s?.outcome ? s.outcome === "approved" : prev.approved, counts, queued: false };
  }
  const startedAt = view.startedAt ?? Date.parse(summary.started_at);
  return {
    ...view,
    nodes,
    runId: summary.run_id,
    workflowId: summary.workflow_id,
    status: summary.status,
    error: summary.error ?? null,
    startedAt,
    endedAt: summary.status === "running" ? view.endedAt : startedAt + summary.duration_ms,
    context: summary.context,
  };
}

function sameCounts(a: Counts | null, b: Counts | null): boolean {
  if (!a || !b) return a === b;
  const ka = Object.keys(a).filter((k) => a[k as ElementStatus]);
  const kb = Object.keys(b).filter((k) => b[k as ElementStatus]);
  return ka.length === kb.length && ka.every((k) => a[k as ElementStatus] === b[k as ElementStatus]);
}

type NodeEnd = "succeeded" | "failed" | "not_run" | "cancelled" | Outcome;

/** How a node ended, as the engine routes on it; null while it has not. */
function nodeEnd(view: RunView, id: string): NodeEnd | null {
  const n = view.nodes[id];
  if (!n) return null;
  const isGroup = view.shape.groups.some((g) => g.id === id);
  if (isGroup && n.outcome) return n.outcome;
  switch (n.status) {
    case "succeeded":
      return isGroup ? null : "succeeded";
    case "failed":
    case "timed_out":
    case "blocked":
    case "interrupted":
      return "failed";
    case "skipped":
      return "not_run";
    case "cancelled":
      return "cancelled";
    default:
      return null;
  }
}

/**
 * Whether an edge was taken: `true` taken, `false` its source ended and it was
 * not, `null` not decided yet. Mirrors the engine's `edge_taken`, with the
 * format's default condition (`succeeded` from a step, `approved` from a group).
 */
export function edgeTaken(view: RunView, from: string, when: When | null): boolean | null {
  const end = nodeEnd(view, from);
  if (end == null) return null;
  const isGroup = view.shape.groups.some((g) => g.id === from);
  const w: When = when ?? (isGroup ? "approved" : "succeeded");
  switch (end) {
    case "not_run":
    case "cancelled":
      return false;
    case "succeeded":
      return w === "succeeded" || w === "done";
    case "failed":
      return w === "failed" || w === "done";
    default:
      return w === "done" || w === end;
  }
}
