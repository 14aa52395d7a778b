// The only importer of the generated bindings: unwraps their Result objects
// into resolved values or thrown CommandErrors, and names the model types the
// UI works with (the shapes Rust sends, i.e. the `_Serialize` variants).
import { Channel } from "@tauri-apps/api/core";
import * as b from "../bindings";

export type Workflow = b.Workflow_Serialize;
export type Step = b.Step_Serialize;
export type Group = b.Group_Serialize;
export type Edge = b.Edge_Serialize;
export type Agent = b.Agent_Serialize;
export type SimAgent = b.SimAgent_Serialize;
export type ShellAgent = b.ShellAgent_Serialize;
export type HttpAgent = b.HttpAgent_Serialize;
export type LlmAgent = b.LlmAgent_Serialize;
export type WorkflowAgent = b.WorkflowAgent_Serialize;
export type Aggregate = b.Aggregate_Serialize;
export type Retry = b.Retry_Serialize;
export type Defaults = b.Defaults_Serialize;
export type InputSpec = b.InputSpec_Serialize;
export type Layout = b.Layout_Serialize;
export type Diagnostic = b.Diagnostic_Serialize;
export type OpenedWorkflow = b.OpenedWorkflow_Serialize;
export type Example = b.Example_Serialize;
export type Startup = b.Startup_Serialize;
export type AggregatePreview = b.AggregatePreview_Serialize;
export type ExampleBranch = b.ExampleBranch_Deserialize;
export type SavedWorkflow = b.SavedWorkflow;
export type Plan = b.Plan_Serialize;
export type CommandError = b.CommandError;
export type Strategy = b.Strategy;
export type When = b.When;
export type Trigger = b.Trigger;
export type Code = b.Code;
// Runs, history, trust, secrets, analytics.
export type Event = b.Event_Serialize;
export type EventKind = b.EventKind_Serialize;
export type RunStatus = b.RunStatus;
export type StepStatus = b.StepStatus;
export type RunSummary = b.RunSummary_Serialize;
export type RunUpdate = b.RunUpdate_Serialize;
export type RunStart = b.RunStart_Serialize;
export type RunInfo = b.RunInfo_Serialize;
export type AttemptRecord = b.AttemptRecord_Serialize;
export type ContextWriteRecord = b.ContextWriteRecord_Serialize;
export type LoadedRun = b.LoadedRun_Serialize;
export type PendingDecision = b.PendingDecision_Serialize;
export type InterruptedChoice = b.InterruptedChoice;
export type TrustReview = b.TrustReview_Serialize;
export type PendingApproval = b.PendingApproval_Serialize;
export type Review = b.Review_Serialize;
export type SecretList = b.SecretList_Serialize;
export type SecretReference = b.SecretReference;
export type RunReport = b.RunReport_Serialize;
export type TrendReport = b.TrendReport_Serialize;
export type RunDigest = b.RunDigest_Serialize;
export type Bottleneck = b.Bottleneck_Serialize;
export type Recommendation = b.Recommendation_Serialize;
export type Edit = b.Edit_Serialize;
export type EditPreview = b.EditPreview_Serialize;
export type Timeline = b.Timeline_Serialize;
export type StepSpan = b.StepSpan_Serialize;
export type ExecSpan = b.ExecSpan_Serialize;
export type AttemptSpan = b.AttemptSpan_Serialize;
export type GroupSpan = b.GroupSpan_Serialize;
export type StepReport = b.StepReport_Serialize;
export type GroupReport = b.GroupReport_Serialize;
export type StepTrend = b.StepTrend;
export type StepDigest = b.StepDigest;
export type ReportFormat = b.ReportFormat;
export type JsonValue = b.Value;

/** A command's declared error, thrown so callers can use try/catch. */
export class IpcError extends Error implements CommandError {
  code: b.ErrorCode;
  constructor(err: CommandError) {
    super(err.message);
    this.code = err.code;
  }
}

async function unwrap<T, E>(p: Promise<{ status: "ok"; data: T } | { status: "error"; error: E }>): Promise<T> {
  const r = await p;
  if (r.status === "ok") return r.data;
  const e = r.error as unknown;
  if (e && typeof e === "object" && "code" in e && "message" in e) throw new IpcError(e as CommandError);
  throw new Error(String(e));
}

const asValue = (v: unknown) => v as b.Value;

/** A Channel whose messages go to `onUpdate` (one per coalesced batch, in order). */
function updatesChannel(onUpdate: (u: RunUpdate) => void): Channel<b.RunUpdate_Deserialize> {
  const channel = new Channel<b.RunUpdate_Deserialize>();
  channel.onmessage = (u) => onUpdate(u as RunUpdate);
  return channel;
}

export const ipc = {
  startup: (): Promise<Startup> => b.commands.startup(),
  listExamples: (): Promise<Example[]> => unwrap(b.commands.listExamples()),
  recentFiles: (): Promise<string[]> => b.commands.recentFiles(),
  openWorkflow: (path: string): Promise<OpenedWorkflow> => unwrap(b.commands.openWorkflow(path)),
  validateWorkflow: (workflow: Workflow): Promise<Diagnostic[]> => b.commands.validateWorkflow(asValue(workflow)),
  /** The predicted schedule, from the store's recent step durations where there are some. */
  planWorkflow: (workflow: Workflow): Promise<Plan | null> => unwrap(b.commands.planWorkflow(asValue(workflow))),
  /** `origin`: the file the document was opened from (null: created in the app). */
  saveWorkflow: (path: string, workflow: Workflow, layout: Layout, origin: string | null): Promise<SavedWorkflow> =>
    unwrap(b.commands.saveWorkflow(path, asValue(workflow), layout as b.Layout_Deserialize, origin)),
  previewAggregate: (rule: Aggregate, branches: ExampleBranch[]): Promise<AggregatePreview> =>
    b.commands.previewAggregate(rule as b.Aggregate_Deserialize, branches),

  // Runs: the file as saved on disk runs in the app process; updates stream in.
  startRun: (path: string, inputs: Record<string, JsonValue>, timeScale: number, onUpdate: (u: RunUpdate) => void): Promise<RunStart> =>
    unwrap(b.commands.startRun(path, asValue(inputs), timeScale, updatesChannel(onUpdate))),
  resumeRun: (runId: string, interrupted: InterruptedChoice, onUpdate: (u: RunUpdate) => void): Promise<RunStart> =>
    unwrap(b.commands.resumeRun(runId, interrupted, updatesChannel(onUpdate))),
  rerunFrom: (runId: string, stepId: string, onUpdate: (u: RunUpdate) => void): Promise<RunStart> =>
    unwrap(b.commands.rerunFrom(runId, stepId, updatesChannel(onUpdate))),
  cancelRun: (runId: string): Promise<void> => unwrap(b.commands.cancelRun(runId)).then(() => undefined),
  /** Streams a run another process records, from event `from` on, ending with its summary. */
  followRun: (runId: string, from: number, onUpdate: (u: RunUpdate) => void): Promise<void> =>
    unwrap(b.commands.followRun(runId, from, updatesChannel(onUpdate))).then(() => undefined),
  listRuns: (workflowId: string | null, limit: number): Promise<RunInfo[]> => unwrap(b.commands.listRuns(workflowId, limit)),
  loadRun: (runId: string): Promise<LoadedRun> => unwrap(b.commands.loadRun(runId)),
  notifyRunEnded: (title: string, body: string): Promise<void> => b.commands.notifyRunEnded(title, body).then(() => undefined),
  /** Approval steps waiting for a person: of one run, or (`null`) of every run in the store. */
  pendingDecisions: (runId: string | null): Promise<PendingDecision[]> => unwrap(b.commands.pendingDecisions(runId)),
  /** `step` is `STEP` or `STEP#INDEX` (a map element), as `braid approve` names it. */
  decideApproval: (runId: string, step: string, approved: boolean, score: number | null, note: string | null): Promise<void> =>
    unwrap(b.commands.decideApproval(runId, step, approved, score, note)).then(() => undefined),

  // Import quarantine and secrets (values go in, never come back).
  reviewWorkflow: (path: string): Promise<TrustReview> => unwrap(b.commands.reviewWorkflow(path)),
  approveWorkflow: (files: { path: string; hash: string }[]): Promise<void> =>
    unwrap(b.commands.approveWorkflow(files)).then(() => undefined),
  listSecrets: (): Promise<SecretList> => unwrap(b.commands.listSecrets()),
  workflowSecrets: (workflow: Workflow): Promise<SecretReference[]> => unwrap(b.commands.workflowSecrets(asValue(workflow))),
  secretNameProblem: (name: string): Promise<string | null> => b.commands.secretNameProblem(name),
  setSecret: (name: string, value: string): Promise<void> => unwrap(b.commands.setSecret(name, value)).then(() => undefined),
  deleteSecret: (name: string): Promise<boolean> => unwrap(b.commands.deleteSecret(name)),

  // Analytics.
  analyzeRun: (runId: string): Promise<RunReport> => unwrap(b.commands.analyzeRun(runId)),
  workflowTrends: (workflowId: string): Promise<TrendReport> => unwrap(b.commands.workflowTrends(workflowId)),
  workflowRunDigests: (workflowId: string): Promise<RunDigest[]> => unwrap(b.commands.workflowRunDigests(workflowId)),
  exportReport: (runId: string, format: ReportFormat, path: string): Promise<void> =>
    unwrap(b.commands.exportReport(runId, format, path)).then(() => undefined),
  previewEdits: (workflow: Workflow, edits: Edit[]): Promise<EditPreview> =>
    unwrap(b.commands.previewEdits(asValue(workflow), edits as b.Edit_Deserialize[])),
};

export { platform } from "./platform";
