// The run commands, as this feature uses them: the one place that talks to
// `ipc` about runs. The shapes are the generated bindings' (named by `ipc`).
import { ipc, type LoadedRun, type PendingDecision, type RunInfo, type RunStart, type RunUpdate } from "../../ipc";
import type { JsonMap } from "./types";

export type { AttemptRecord, ContextWriteRecord, LoadedRun, PendingDecision, RunInfo, RunStart, RunUpdate } from "../../ipc";

type OnUpdate = (u: RunUpdate) => void;

export const runApi = {
  start: (path: string, inputs: JsonMap, timeScale: number, onUpdate: OnUpdate): Promise<RunStart> => ipc.startRun(path, inputs, timeScale, onUpdate),
  cancel: (runId: string): Promise<void> => ipc.cancelRun(runId),
  follow: (runId: string, from: number, onUpdate: OnUpdate): Promise<void> => ipc.followRun(runId, from, onUpdate),
  resume: (runId: string, interrupted: "ask" | "retry" | "skip", onUpdate: OnUpdate): Promise<RunStart> => ipc.resumeRun(runId, interrupted, onUpdate),
  rerunFrom: (runId: string, step: string, onUpdate: OnUpdate): Promise<RunStart> => ipc.rerunFrom(runId, step, onUpdate),
  list: (workflowId: string | null, limit: number): Promise<RunInfo[]> => ipc.listRuns(workflowId, limit),
  load: (runId: string): Promise<LoadedRun> => ipc.loadRun(runId),
  notifyEnded: (title: string, body: string): Promise<void> => ipc.notifyRunEnded(title, body),
  /** The same desktop notification as a run's end (the command takes any title and body). */
  notifyWaiting: (title: string, body: string): Promise<void> => ipc.notifyRunEnded(title, body),
  pending: (runId: string | null): Promise<PendingDecision[]> => ipc.pendingDecisions(runId),
  decide: (runId: string, step: string, approved: boolean, score: number | null, note: string | null): Promise<void> =>
    ipc.decideApproval(runId, step, approved, score, note),
};
