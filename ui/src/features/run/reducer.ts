// What the canvas shows of a run, folded from its events. Pure: the live
// view, the replay of a past run and the scrubber (events[0..k]) all run the
// same function. A call copies only what its events touch, so node cards
// whose entry did not change keep their object and do not re-render.
import { innermostLoop, loopsOf, type LoopInfo } from "../editor/loops";
import type { Json, JsonMap, Outcome, RunEvent, RunStatus, RunSummary, StepStatus, Stream } from "./types";

export type When = "succeeded" | "failed" | "done" | "approved" | "needs_work" | "rejected";

/** The parts of a workflow the reducer needs: who is in which group, which groups are maps, the edges. */
export interface RunShape {
  steps: { id: string; group: string | null }[];
  groups: { id: string; map: boolean }[];
  /** `loop`: a loop edge (revision 2), with its `max_rounds`. */
  edges: { from: string; to: string; when: When | null; loop?: { max_rounds: number } | null }[];
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
  /** The innermost loop's round it is in (1 outside loops). */
  round: number;
  /**
   * What it recommended this round: a step's (a map branch: every element's),
   * a group's `{from, index?, text}` per branch.
   */
  recommendations: Json[];
  /** Why it did not succeed, as a code (`input_not_written`, …), when the engine said. */
  errorCode: string | null;
}

/** An approval step (or map element) waiting for a person. */
export interface PendingApproval {
  step: string;
  element: number | null;
  attempt: number;
  round: number;
  prompt: string;
  /** The step's `show` keys and their values. */
  shown: JsonMap;
  /** Epoch ms of the decision's deadline, if it has one. */
  deadline: number | null;
  at: number;
}

/** One node's result in one round, kept when a loop runs its body again. */
export interface RoundResult {
  node: string;
  round: number;
  status: StepStatus;
  score: number | null;
  approved: boolean | null;
  outcome: Outcome | null;
  recommendations: Json[];
}

export interface LoopRun {
  from: string;
  /** The round running (or last run). */
  round: number;
  /** The round limit, not the condition, ended it. */
  exhausted: boolean;
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
  /** Approvals waiting for a person, by `step` or `step#element`. */
  approvals: Record<string, PendingApproval>;
  /** Loops that ran, by their `to`. */
  loops: Record<string, LoopRun>;
  /** Results of nodes in loop bodies, a row per node and round, in the order they ended. */
  rounds: RoundResult[];
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
    round: 1,
    recommendations: [],
    errorCode: null,
  };
}

/** Shape of a workflow document (any object with the format's steps, groups and edges). */
export function shapeOf(wf: {
  steps: { id: string; group?: string | null }[];
  groups: { id: string; for_each?: string | null }[];
  edges: { from: string; to: string; when?: When | null; loop?: { max_rounds: number } | null }[];
}): RunShape {
  return {
    steps: wf.steps.map((s) => ({ id: s.id, group: s.group ?? null })),
    groups: wf.groups.map((g) => ({ id: g.id, map: g.for_each != null })),
    edges: wf.edges.map((e) => ({ from: e.from, to: e.to, when: e.when ?? null, loop: e.loop ?? null })),
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
    approvals: {},
    loops: {},
    rounds: [],
    lastSeq: -1,
    eventCount: 0,
  };
}

/** Worst-first order of a map branch's status once its elements are done: StepStatus::PRECEDENCE in
 * the engine; statusFromCounts is tested against the engine's table (step_status.json). */
const PRECEDENCE: StepStatus[] = ["running", "blocked", "failed", "timed_out", "interrupted", "cancelled", "succeeded", "skipped"];

/**
 * A map branch step's status from its element counts (StepStatus::of_parts).
 * While any element is open: `running` if one runs, else `waiting` if one
 * waits for a person, else `running` if one has finished, else `pending`.
 */
export function statusFromCounts(counts: Counts): StepStatus {
  const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  if (total === 0) return "pending";
  const running = counts.running ?? 0;
  const waiting = counts.waiting ?? 0;
  const open = running + waiting + (counts.queued ?? 0) + (counts.pending ?? 0);
  if (open > 0) {
    if (running === 0 && waiting > 0) return "waiting";
    return total > open || running > 0 ? "running" : "pending";
  }
  return PRECEDENCE.find((p) => (counts[p] ?? 0) > 0) ?? "pending";
}

// Loops per shape, computed once: the reducer runs every animation frame.
const loopCache = new WeakMap<RunShape, LoopInfo[]>();

/** The shape's loops (bodies of outer nodes). */
export function shapeLoops(shape: RunShape): LoopInfo[] {
  let loops = loopCache.get(shape);
  if (!loops) {
    loops = loopsOf(shape.edges);
    loopCache.set(shape, loops);
  }
  return loops;
}

/** The innermost loop around a node (a branch: around its group), or null. */
export function loopAround(shape: RunShape, id: string): LoopInfo | null {
  const loops = shapeLoops(shape);
  if (loops.length === 0) return null;
  const outer = shape.steps.find((s) => s.id === id)?.group ?? id;
  return innermostLoop(loops, outer);
}

/** `step`, or `step#element` for a map element: how outputs and approvals are keyed (and `braid approve` names it). */
export const outputKey = (step: string, element: number | null | undefined) => (element == null ? step : `${step}#${element}`);

/** Copy-on-first-write working state for one `applyEvents` call. */
class Draft {
  v: RunView;
  private touchedNodes = new Set<string>();
  private touchedElements = new Set<string>();
  private touchedOutput = new Set<string>();
  private copied = { nodes: false, elements: false, output: false, context: false, writes: false, warnings: false, reused: false, approvals: false, loops: false, rounds: false };
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

  approvals(): Record<string, PendingApproval> {
    if (!this.copied.approvals) {
      this.v.approvals = { ...this.v.approvals };
      this.copied.approvals = true;
    }
    return this.v.approvals;
  }

  /** Forgets a step's (element's) pending approval once it ended, whichever way. */
  settleApproval(step: string, element: number | null | undefined) {
    const key = outputKey(step, element);
    if (key in this.v.approvals) delete this.approvals()[key];
  }

  loops(): Record<string, LoopRun> {
    if (!this.copied.loops) {
      this.v.loops = { ...this.v.loops };
      this.copied.loops = true;
    }
    return this.v.loops;
  }

  /** Keeps a node's result under its round when the node is in a loop body. */
  recordRound(id: string) {
    if (!loopAround(this.v.shape, id)) return;
    const n = this.v.nodes[id];
    if (!this.copied.rounds) {
      this.v.rounds = [...this.v.rounds];
      this.copied.rounds = true;
    }
    this.v.rounds.push({ node: id, round: n.round, status: n.status, score: n.score, approved: n.approved, outcome: n.outcome, recommendations: n.recommendations });
  }

  groupOfStep(step: string): string | undefined {
    return this.groupOf.get(step);
  }

  isGroup(id: string): boolean {
    return this.v.shape.groups.some((g) => g.id === id);
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

/** An event's round: 1 in runs recorded before loops existed (the field was absent). */
const roundOf = (e: { round?: number }) => e.round ?? 1;

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
      // Nothing waits for a person once the run has ended.
      if (Object.keys(d.v.approvals).length) d.v.approvals = {};
      return;
    case "run_waiting":
      // Only a live run moves between running and waiting.
      if (e.waiting && d.v.status === "running") d.v.status = "waiting";
      else if (!e.waiting && d.v.status === "waiting") d.v.status = "running";
      return;
    case "approval_requested": {
      const element = e.element ?? null;
      if (element != null && d.isMapBranch(e.step)) {
        d.setElementStatus(e.step, element, "waiting", { attempt: e.attempt });
      } else {
        const n = d.node(e.step);
        n.status = "waiting";
        n.queued = false;
        n.attempt = Math.max(n.attempt, e.attempt);
        n.startedAt ??= t;
      }
      d.node(e.step).round = roundOf(e);
      d.approvals()[outputKey(e.step, element)] = {
        step: e.step,
        element,
        attempt: e.attempt,
        round: roundOf(e),
        prompt: e.prompt,
        shown: e.shown,
        deadline: e.deadline_ms ?? null,
        at: t,
      };
      return;
    }
    case "loop_round":
      startRound(d, e.to, e.from, e.round);
      return;
    case "loop_exhausted": {
      const loops = d.loops();
      loops[e.to] = { from: e.from, round: e.rounds, exhausted: true };
      return;
    }
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
      d.recordRound(e.group);
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
      d.node(e.step).round = roundOf(e);
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
    case "step_succeeded": {
      d.settleApproval(e.step, e.element);
      const recs = e.recommendations ?? [];
      const mapped = e.element != null && d.isMapBranch(e.step);
      if (mapped) {
        d.setElementStatus(e.step, e.element!, "succeeded", { endedAt: t, error: null, retryAt: null });
        const n = d.node(e.step);
        n.endedAt = t;
        if (recs.length) n.recommendations = [...n.recommendations, ...recs];
      } else {
        const n = d.node(e.step);
        n.status = "succeeded";
        n.endedAt = t;
        n.outputs = e.outputs;
        n.score = e.score ?? null;
        n.approved = e.approved ?? null;
        n.error = null;
        n.errorCode = null;
        n.retryAt = null;
        n.queued = false;
        n.recommendations = recs;
        d.recordRound(e.step);
      }
      // The group's list grows as branches report; its own context write (at aggregation) is the final word.
      const group = d.groupOfStep(e.step);
      if (group && recs.length) {
        const g = d.node(group);
        g.recommendations = [...g.recommendations, ...recs.map((text): Json => (mapped ? { from: e.step, index: e.element!, text } : { from: e.step, text }))];
      }
      return;
    }
    case "step_failed":
    case "step_timed_out":
    case "step_blocked": {
      const status: StepStatus = e.type === "step_failed" ? "failed" : e.type === "step_timed_out" ? "timed_out" : "blocked";
      d.settleApproval(e.step, e.element);
      if (e.element != null && d.isMapBranch(e.step)) {
        d.setElementStatus(e.step, e.element, status, { endedAt: t, error: e.error, retryAt: null });
        d.node(e.step).endedAt = t;
      } else {
        const n = d.node(e.step);
        n.status = status;
        n.endedAt = t;
        n.error = e.error;
        n.errorCode = e.type === "step_blocked" ? (e.error_code ?? null) : null;
        n.retryAt = null;
        n.queued = false;
        d.recordRound(e.step);
      }
      return;
    }
    case "step_interrupted":
      d.settleApproval(e.step, e.element);
      if (e.element != null && d.isMapBranch(e.step)) {
        d.setElementStatus(e.step, e.element, "interrupted", { endedAt: t });
      } else {
        const n = d.node(e.step);
        n.status = "interrupted";
        n.endedAt = t;
      }
      return;
    case "step_skipped": {
      d.settleApproval(e.step, null);
      const n = d.node(e.step);
      if (!isFinal(n.status)) {
        n.status = "skipped";
        n.error = null;
        n.queued = false;
      }
      return;
    }
    case "step_cancelled":
      d.settleApproval(e.step, e.element);
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
    case "context_write": {
      d.context()[e.key] = e.new;
      // `<group>.recommendations` is the group's complete list (branch order, failed branches included).
      const dot = e.key.lastIndexOf(".");
      if (dot > 0 && e.key.slice(dot + 1) === "recommendations" && Array.isArray(e.new) && d.isGroup(e.key.slice(0, dot))) {
        d.node(e.key.slice(0, dot)).recommendations = e.new;
      }
      d.writes().push({ seq: e.seq, at: t, writer: e.writer, key: e.key, old: e.old, new: e.new });
      return;
    }
    case "warning":
      d.warnings().push({ at: t, step: e.step ?? null, message: e.message });
      return;
    case "step_metrics":
    case "sub_run_started":
      return;
  }
}

/**
 * A loop edge was taken: its body runs again from `to`. Every body node (a
 * group with its branches) is pending again in `round`, keeping its attempt
 * number (attempts count on across rounds); nodes of an inner loop are in
 * round 1 of it again, as the engine restarts inner loops.
 */
function startRound(d: Draft, to: string, from: string, round: number) {
  const shape = d.v.shape;
  const loops = shapeLoops(shape);
  const loop = loops.find((l) => l.to === to);
  const all = d.loops();
  all[to] = { from, round, exhausted: false };
  if (!loop) return;
  for (const inner of loops) {
    if (inner !== loop && inner.body.size < loop.body.size && loop.body.has(inner.to) && all[inner.to]) all[inner.to] = { ...all[inner.to], round: 1, exhausted: false };
  }
  const members: string[] = [];
  for (const id of loop.body) {
    members.push(id);
    for (const s of shape.steps) if (s.group === id) members.push(s.id);
  }
  for (const id of members) {
    const outer = shape.steps.find((s) => s.id === id)?.group ?? id;
    const n = d.node(id);
    Object.assign(n, pendingNode(), { attempt: n.attempt, round: innermostLoop(loops, outer)?.to === to ? round : 1 });
    if (d.v.elements[id]) {
      d.v.elements = { ...d.v.elements };
      delete d.v.elements[id];
    }
    for (const key of Object.keys(d.v.approvals)) if (key === id || key.startsWith(`${id}#`)) delete d.approvals()[key];
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
      errorCode: s.error_code ?? prev.errorCode,
      recommendations: s.recommendations ?? prev.recommendations,
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
    const written = summary.context[`${g.id}.recommendations`];
    const recommendations = Array.isArray(written) ? written : prev.recommendations;
    if (status === prev.status && prev.outcome === (s?.outcome ?? null) && prev.score === (s?.score ?? null) && counts === prev.counts && recommendations.length === prev.recommendations.length) continue;
    nodes[g.id] = { ...prev, status, outcome: s?.outcome ?? null, score: s?.score ?? null, approved: s?.outcome ? s.outcome === "approved" : prev.approved, counts, recommendations, queued: false };
  }
  let loops = view.loops;
  for (const [to, l] of Object.entries(summary.loops ?? {})) {
    const prev = loops[to];
    if (prev && prev.round === l.rounds && prev.exhausted === l.exhausted) continue;
    if (loops === view.loops) loops = { ...loops };
    loops[to] = { from: prev?.from ?? shapeLoops(view.shape).find((x) => x.to === to)?.from ?? to, round: l.rounds, exhausted: l.exhausted };
  }
  const startedAt = view.startedAt ?? Date.parse(summary.started_at);
  return {
    ...view,
    nodes,
    loops,
    // A run that ended waits for nobody; one still waiting keeps its prompts.
    approvals: summary.status === "waiting" || summary.status === "running" ? view.approvals : {},
    runId: summary.run_id,
    workflowId: summary.workflow_id,
    status: summary.status,
    error: summary.error ?? null,
    startedAt,
    endedAt: summary.status === "running" || summary.status === "waiting" ? view.endedAt : startedAt + summary.duration_ms,
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
