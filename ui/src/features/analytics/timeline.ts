// The Gantt chart's rows, from a run report: which rows, in which order, and
// the segments each row draws (queued wait, each attempt's execution, the
// backoff after a retried attempt). Pure data; the SVG is drawn elsewhere.
import type { AttemptSpan, ExecSpan, RunReport } from "./types";

export type SegmentKind = "queued" | "run" | "backoff";

export interface Segment {
  kind: SegmentKind;
  start: number;
  end: number;
  attempt: number;
  /** How the attempt ended (`run` segments), else the step's status. */
  result: string;
}

export interface StepRow {
  kind: "step";
  /** Unique per row: the step id, plus `[i]` for a map element. */
  key: string;
  /** The workflow node this row belongs to (what a click selects). */
  node: string;
  label: string;
  group: string | null;
  element: number | null;
  status: string;
  critical: boolean;
  reused: boolean;
  segments: Segment[];
  /** First queued → final end, for the hover card (null when it never became ready). */
  span: { start: number; end: number } | null;
  attempts: number;
}

export interface GroupRow {
  kind: "group";
  key: string;
  node: string;
  label: string;
  outcome: string | null;
  critical: boolean;
  span: { start: number; end: number } | null;
}

export interface HiddenRow {
  kind: "more";
  key: string;
  node: string;
  label: string;
}

export type Row = StepRow | GroupRow | HiddenRow;

/** A map branch shows at most this many element rows; the rest are summarised. */
export const MAX_ELEMENT_ROWS = 24;

function attemptSegments(a: AttemptSpan, runEnd: number): Segment[] {
  const out: Segment[] = [];
  const startedOrEnded = a.start_ms ?? a.end_ms ?? runEnd;
  if (startedOrEnded > a.queued_ms) out.push({ kind: "queued", start: a.queued_ms, end: startedOrEnded, attempt: a.attempt, result: "queued" });
  if (a.start_ms != null) {
    out.push({ kind: "run", start: a.start_ms, end: a.end_ms ?? runEnd, attempt: a.attempt, result: a.result });
  }
  const backoff = a.backoff_ms ?? 0;
  if (a.retried && backoff > 0 && a.end_ms != null) {
    out.push({ kind: "backoff", start: a.end_ms, end: a.end_ms + backoff, attempt: a.attempt, result: "backoff" });
  }
  return out;
}

function execSpan(e: ExecSpan, runEnd: number): { start: number; end: number } | null {
  const first = e.attempts[0];
  if (!first) return null;
  const last = e.attempts[e.attempts.length - 1];
  return { start: first.queued_ms, end: e.end_ms ?? last.end_ms ?? runEnd };
}

function stepRow(
  report: RunReport,
  id: string,
  label: string,
  group: string | null,
  exec: ExecSpan | null,
  status: string,
): StepRow {
  const runEnd = report.wall_ms;
  const segments = exec ? exec.attempts.flatMap((a) => attemptSegments(a, runEnd)) : [];
  return {
    kind: "step",
    key: exec?.element != null ? `${id}[${exec.element}]` : id,
    node: id,
    label: exec?.element != null ? `${label} [${exec.element}]` : label,
    group,
    element: exec?.element ?? null,
    status: exec?.status ?? status,
    critical: report.steps[id]?.critical ?? false,
    reused: exec?.reused ?? false,
    segments,
    span: exec ? execSpan(exec, runEnd) : null,
    attempts: exec?.attempts.length ?? 0,
  };
}

/**
 * Rows in the order things happened: outer units (phase steps, and groups with
 * their branches under them) sorted by when they became ready, never-started
 * ones last in file order; branches keep file order inside their group.
 */
export function timelineRows(report: RunReport, names: (id: string) => string = (id) => id): Row[] {
  const tl = report.timeline;
  const runEnd = report.wall_ms;
  type Unit = { order: number; first: number; rows: Row[] };
  const units: Unit[] = [];
  const groupUnits = new Map<string, Unit>();
  tl.steps.forEach((s, i) => {
    const execs = [...s.execs].sort((a, b) => (a.element ?? 0) - (b.element ?? 0));
    const ready = execs.map((e) => e.attempts[0]?.queued_ms).filter((t): t is number => t != null);
    const first = ready.length ? Math.min(...ready) : Infinity;
    const group = s.group ?? null;
    const rows: Row[] = [];
    if (execs.length === 0) rows.push(stepRow(report, s.id, names(s.id), group, null, s.status));
    for (const e of execs.slice(0, MAX_ELEMENT_ROWS)) rows.push(stepRow(report, s.id, names(s.id), group, e, s.status));
    if (execs.length > MAX_ELEMENT_ROWS) {
      rows.push({ kind: "more", key: `${s.id}+more`, node: s.id, label: `${execs.length - MAX_ELEMENT_ROWS} more elements of ${s.id}` });
    }
    if (group == null) {
      units.push({ order: i, first, rows });
      return;
    }
    let unit = groupUnits.get(group);
    if (!unit) {
      const g = tl.groups.find((x) => x.id === group);
      const gr = report.groups[group];
      const start = g?.start_ms ?? null;
      const header: GroupRow = {
        kind: "group",
        key: `group:${group}`,
        node: group,
        label: names(group),
        outcome: g?.outcome ?? gr?.outcome ?? null,
        critical: gr?.critical ?? false,
        span: start != null ? { start, end: g?.end_ms ?? runEnd } : null,
      };
      unit = { order: i, first: start ?? Infinity, rows: [header] };
      groupUnits.set(group, unit);
      units.push(unit);
    }
    unit.first = Math.min(unit.first, first);
    unit.rows.push(...rows);
  });
  units.sort((a, b) => (a.first === b.first ? a.order - b.order : a.first - b.first));
  return units.flatMap((u) => u.rows);
}

/** The chart's right edge: the run's wall time, or later segments (a backoff still pending). */
export function timelineEnd(report: RunReport, rows: Row[]): number {
  let end = report.wall_ms;
  for (const r of rows) if (r.kind === "step") for (const s of r.segments) end = Math.max(end, s.end);
  return end;
}
