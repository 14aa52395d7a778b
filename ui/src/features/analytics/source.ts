// The analytics commands this feature calls, typed with the shapes it reads
// (types.ts). Assigning the real `ipc` to this interface makes TypeScript
// check that the generated bindings still fit what the views use.
import { ipc, type Workflow } from "../../ipc";
import type { Edit, PlanLike, RunDigest, RunReport, TrendReport } from "./types";

export interface RunInfoLike {
  run_id: string;
  workflow_id: string;
  status: string;
  started_at: string;
  started_at_ms: number;
  duration_ms: number;
  parent_run_id?: string | null;
}

export interface AnalyticsApi {
  listRuns(workflowId: string | null, limit: number): Promise<RunInfoLike[]>;
  analyzeRun(runId: string): Promise<RunReport>;
  workflowTrends(workflowId: string): Promise<TrendReport>;
  workflowRunDigests(workflowId: string): Promise<RunDigest[]>;
  exportReport(runId: string, format: "html" | "markdown", path: string): Promise<void>;
  previewEdits(workflow: Workflow, edits: Edit[]): Promise<{ workflow: Workflow; plan: PlanLike | null }>;
}

export const api: AnalyticsApi = ipc;
