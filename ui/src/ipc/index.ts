// The only importer of the generated bindings: unwraps their Result objects
// into resolved values or thrown CommandErrors, and names the model types the
// UI works with (the shapes Rust sends, i.e. the `_Serialize` variants).
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
export type Plan = b.Plan;
export type CommandError = b.CommandError;
export type Strategy = b.Strategy;
export type When = b.When;
export type Trigger = b.Trigger;
export type Code = b.Code;

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

export const ipc = {
  startup: (): Promise<Startup> => b.commands.startup(),
  listExamples: (): Promise<Example[]> => unwrap(b.commands.listExamples()),
  recentFiles: (): Promise<string[]> => b.commands.recentFiles(),
  openWorkflow: (path: string): Promise<OpenedWorkflow> => unwrap(b.commands.openWorkflow(path)),
  validateWorkflow: (workflow: Workflow): Promise<Diagnostic[]> => b.commands.validateWorkflow(asValue(workflow)),
  planWorkflow: (workflow: Workflow): Promise<Plan | null> => b.commands.planWorkflow(asValue(workflow)),
  saveWorkflow: (path: string, workflow: Workflow, layout: Layout): Promise<SavedWorkflow> =>
    unwrap(b.commands.saveWorkflow(path, asValue(workflow), layout as b.Layout_Deserialize)),
  previewAggregate: (rule: Aggregate, branches: ExampleBranch[]): Promise<AggregatePreview> =>
    b.commands.previewAggregate(rule as b.Aggregate_Deserialize, branches),
};

export { platform } from "./platform";
