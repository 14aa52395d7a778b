// The run shapes the backend sends, as serde writes them (engine events.rs,
// run/summary.rs; store records.rs). The reducer is written against these so
// it can be tested without the generated bindings; `ipc` values are
// structurally the same.
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonMap = { [key: string]: Json };

export type RunStatus = "running" | "succeeded" | "failed" | "blocked" | "rejected" | "needs_work" | "cancelled" | "interrupted";
export type StepStatus = "pending" | "running" | "succeeded" | "failed" | "timed_out" | "blocked" | "skipped" | "cancelled" | "interrupted";
export type Outcome = "approved" | "needs_work" | "rejected" | "failed";
export type Stream = "stdout" | "stderr";

interface At {
  step: string;
  element?: number | null;
  attempt: number;
}

export type EventKind =
  | { type: "run_started"; run_id: string; workflow_id: string; inputs: JsonMap; time_scale: number | null; concurrency?: number }
  | { type: "run_resumed"; run_id: string }
  | ({ type: "step_reused"; from_run: string } & At)
  | ({ type: "step_interrupted" } & At)
  | { type: "group_started"; group: string; elements?: number | null }
  | ({ type: "step_queued" } & At)
  | ({ type: "step_started" } & At)
  | ({ type: "process_spawned"; pid: number; pgid: number } & At)
  | ({ type: "output_line"; stream: Stream; line: string } & At)
  | ({ type: "attempt_ended"; exit_code?: number | null; stdout_tail: string; stderr_tail: string; duration_ms: number } & At)
  | ({ type: "attempt_failed"; error: string; timed_out: boolean } & At)
  | ({ type: "step_retrying"; next_attempt: number; delay_ms: number } & At)
  | ({ type: "step_succeeded"; outputs: JsonMap; score?: number | null; approved?: boolean | null } & At)
  | ({ type: "step_failed"; error: string } & At)
  | ({ type: "step_timed_out"; error: string } & At)
  | ({ type: "step_blocked"; error: string } & At)
  | { type: "step_skipped"; step: string; reason: string }
  | { type: "step_cancelled"; step: string; element?: number | null; attempt?: number | null }
  | { type: "context_write"; writer: string; key: string; old?: Json; new: Json }
  | { type: "group_aggregated"; group: string; outcome: Outcome; score?: number | null; approved: boolean }
  | { type: "warning"; step?: string | null; message: string }
  | { type: "run_finished"; status: RunStatus; error?: string | null }
  | ({ type: "step_metrics"; metrics: { [key: string]: number } } & At)
  | ({ type: "sub_run_started"; run_id: string; workflow_id: string } & At);

export type RunEvent = { seq: number; at_ms: number } & EventKind;

export interface StepSummary {
  status: StepStatus;
  attempts: number;
  duration_ms: number;
  score: number | null;
  approved: boolean | null;
  error: string | null;
  elements?: { [status: string]: number } | null;
}

export interface RunSummary {
  run_id: string;
  workflow_id: string;
  status: RunStatus;
  started_at: string;
  duration_ms: number;
  steps: { [id: string]: StepSummary };
  groups: { [id: string]: { outcome: Outcome | null; score: number | null } };
  context: JsonMap;
  error?: string | null;
}
