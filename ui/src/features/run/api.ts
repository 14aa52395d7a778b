// The run commands, as this feature uses them: the one place that talks to
// `ipc` about runs, so the rest of the feature works with the shapes in
// types.ts (the same JSON the backend sends).
import { ipc, type RunUpdate as IpcRunUpdate } from "../../ipc";
import type { PendingApproval } from "../trust/types";
import type { JsonMap, RunEvent, RunStatus, RunSummary } from "./types";

export type RunUpdate = { kind: "events"; events: RunEvent[] } | { kind: "finished"; summary: RunSummary } | { kind: "failed"; message: string };

export type RunStart =
  | { kind: "started"; run_id: string; reused: string[] }
  | { kind: "needs_approval"; files: PendingApproval[] }
  | { kind: "needs_decision"; steps: string[] };

export interface RunInfo {
  run_id: string;
  workflow_id: string;
  status: RunStatus;
  started_at: string;
  duration_ms: number;
  started_at_ms: number;
  finished_at_ms?: number | null;
  workflow_name?: string | null;
  workflow_hash?: string | null;
  workflow_path?: string | null;
  error?: string | null;
  inputs: JsonMap;
  time_scale: number | null;
  parent_run_id?: string | null;
  cancel_requested: boolean;
  owner_pid?: number | null;
}

export interface AttemptRecord {
  step: string;
  element?: number | null;
  attempt: number;
  status: string;
  is_final: boolean;
  queued_at_ms: number | null;
  started_at_ms: number | null;
  finished_at_ms: number | null;
  duration_ms: number | null;
  exit_code: number | null;
  score: number | null;
  approved: boolean | null;
  outputs: JsonMap | null;
  error: string | null;
  stdout_tail: string | null;
  stderr_tail: string | null;
  pid: number | null;
  pgid: number | null;
  retry_delay_ms: number | null;
  reused_from: string | null;
}

export interface ContextWriteRecord {
  seq: number;
  at_ms: number;
  writer: string;
  key: string;
  old?: unknown;
  new: unknown;
}

export interface LoadedRun {
  info: RunInfo;
  workflow_source: string | null;
  events: RunEvent[];
  summary: RunSummary;
  attempts: AttemptRecord[];
  context_writes: ContextWriteRecord[];
  sub_runs: RunInfo[];
}

type OnUpdate = (u: RunUpdate) => void;

// The generated bindings name the same JSON with their own types; this
// feature reads it through types.ts and the interfaces above. The wrappers
// below take the generated values without casts, so the compiler checks
// that those shapes still match what the backend sends.
const updates = (onUpdate: OnUpdate) => (u: IpcRunUpdate) => onUpdate(u);

export const runApi = {
  start: (path: string, inputs: JsonMap, timeScale: number, onUpdate: OnUpdate): Promise<RunStart> => ipc.startRun(path, inputs, timeScale, updates(onUpdate)),
  cancel: (runId: string): Promise<void> => ipc.cancelRun(runId),
  follow: (runId: string, from: number, onUpdate: OnUpdate): Promise<void> => ipc.followRun(runId, from, updates(onUpdate)),
  resume: (runId: string, interrupted: "ask" | "retry" | "skip", onUpdate: OnUpdate): Promise<RunStart> => ipc.resumeRun(runId, interrupted, updates(onUpdate)),
  rerunFrom: (runId: string, step: string, onUpdate: OnUpdate): Promise<RunStart> => ipc.rerunFrom(runId, step, updates(onUpdate)),
  list: (workflowId: string | null, limit: number): Promise<RunInfo[]> => ipc.listRuns(workflowId, limit),
  load: (runId: string): Promise<LoadedRun> => ipc.loadRun(runId),
  notifyEnded: (title: string, body: string): Promise<void> => ipc.notifyRunEnded(title, body),
};
