// The analytics shapes this feature reads, as Rust serialises them
// (engine/src/analytics/report.rs, timeline.rs; plan/mod.rs). Only the fields
// the UI uses are named, and optional ones are lenient (`?: T | null`), so the
// generated bindings' types (which name every field) are assignable to these.

import type { Edit as IpcEdit } from "../../ipc";

export interface AttemptSpan {
  attempt: number;
  /** Became ready and started waiting for a slot (ms since the run started). */
  queued_ms: number;
  /** Started running; absent when cancelled while still queued. */
  start_ms?: number | null;
  end_ms?: number | null;
  /** succeeded | failed | timed_out | blocked | cancelled | unfinished */
  result: string;
  retried?: boolean;
  /** Time from this attempt's end to the next attempt being queued. */
  backoff_ms?: number;
}

export interface ExecSpan {
  /** Map element index; absent for a plain step. */
  element?: number | null;
  status: string;
  attempts: AttemptSpan[];
  end_ms?: number | null;
  reused?: boolean;
}

export interface StepSpan {
  id: string;
  group?: string | null;
  status: string;
  execs: ExecSpan[];
}

export interface GroupSpan {
  id: string;
  start_ms?: number | null;
  end_ms?: number | null;
  outcome?: string | null;
  elements?: number | null;
}

export interface Timeline {
  run_id: string;
  status?: string | null;
  started_at_ms: number;
  wall_ms: number;
  steps: StepSpan[];
  groups: GroupSpan[];
}

export interface StepReport {
  duration_ms: number;
  queued_ms: number;
  slack_ms?: number | null;
  attempts: number;
  status: string;
  group?: string | null;
  start_ms?: number | null;
  end_ms?: number | null;
  exec_ms: number;
  retry_ms: number;
  join_wait_ms: number;
  critical: boolean;
}

export interface GroupReport {
  start_ms?: number | null;
  end_ms?: number | null;
  outcome?: string | null;
  deciding_branch?: string | null;
  slack_ms?: number | null;
  critical: boolean;
}

export interface Bottleneck {
  kind: string;
  node?: string | null;
  impact_ms: number;
  severity: "low" | "medium" | "high";
  message: string;
  limit?: string | null;
  group?: string | null;
  ratio?: number | null;
  retry_rate?: number | null;
  p95_ms?: number | null;
}

/** A recommendation's change (engine `Edit`), as the bindings type it. */
export type Edit = IpcEdit;

export interface Recommendation {
  kind: string;
  nodes: string[];
  saves_ms: number;
  message: string;
  edits: Edit[];
  predicted_ms: number;
}

export interface RunReport {
  run_id: string;
  workflow_id: string;
  workflow_name?: string | null;
  status?: string | null;
  started_at: string;
  wall_ms: number;
  critical_path: { nodes: string[]; duration_ms: number; queued_ms: number; branches: Partial<Record<string, string>> };
  sequential_ms: number;
  speedup: number | null;
  parallel_efficiency: number | null;
  coordination_overhead_ms: number;
  steps: Partial<Record<string, StepReport>>;
  groups: Partial<Record<string, GroupReport>>;
  bottlenecks: Bottleneck[];
  recommendations: Recommendation[];
  replanned_ms?: number | null;
  history_runs: number;
  time_scale: number | null;
  timeline: Timeline;
}

export interface StepTrend {
  runs: number;
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
  mean_ms: number;
  trend_pct: number | null;
  /** rising | falling | stable */
  trend: string;
  success_rate: number | null;
  retry_rate: number | null;
  flaky: boolean;
  critical_share: number | null;
  series: number[];
}

export interface TrendReport {
  workflow_id: string;
  runs: number;
  statuses: Partial<Record<string, number>>;
  success_rate: number | null;
  duration: { p50_ms: number; p95_ms: number; max_ms: number; mean_ms: number; trend_pct: number | null; trend: string; series: number[] };
  steps: Partial<Record<string, StepTrend>>;
  flaky_steps: string[];
  critical_path: { most_common: string[]; share: number | null; distinct: number };
}

export interface StepDigest {
  id: string;
  status: string;
  duration_ms: number;
  attempts: number;
  retries: number;
  queued_ms: number;
  critical: boolean;
}

export interface RunDigest {
  run_id: string;
  started_at_ms: number;
  status?: string | null;
  wall_ms: number;
  steps: StepDigest[];
  critical_path: string[];
}

/** The planner's prediction (plan/mod.rs), as the editor store holds it. */
export interface PlanLike {
  predicted_ms: number;
  critical_path: { nodes: string[]; duration_ms: number };
  steps: Partial<Record<string, { predicted_ms: number; source: string }>>;
  schedule: Partial<Record<string, { start_ms: number; end_ms: number }>>;
  /** Branch steps' spans (over their map elements); absent from older plans. */
  branches?: Partial<Record<string, { start_ms: number; end_ms: number }>>;
}
