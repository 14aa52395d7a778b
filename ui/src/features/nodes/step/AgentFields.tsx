// Settings of a step's agent, one form per kind.
import type { Agent, HttpAgent, LlmAgent, ShellAgent, SimAgent, WorkflowAgent } from "../../../ipc";
import { ChipsInput, Field, JsonInput, LinesInput, LongText, MapEditor, NumberInput, Select, TextInput, TriState } from "../../../components/form";
import { withField } from "../../editor/patch";

type Props<A> = { agent: A; onChange: (a: Agent) => void };

function Sim({ agent, onChange }: Props<SimAgent & { kind: "sim" }>) {
  const set = <K extends keyof SimAgent>(k: K, v: SimAgent[K] | undefined) => onChange(withField(agent, k, v) as Agent);
  return (
    <>
      <div className="row2">
        <Field label="Duration ms" stack>
          <NumberInput value={agent.duration_ms} integer min={0} onCommit={(v) => set("duration_ms", v)} testid="agent-duration" />
        </Field>
        <Field label="± jitter ms" stack>
          <NumberInput value={agent.jitter_ms} integer min={0} onCommit={(v) => set("jitter_ms", v)} />
        </Field>
      </div>
      <div className="row2">
        <Field label="Score (0–100)" stack>
          <NumberInput value={agent.score} min={0} max={100} onCommit={(v) => set("score", v)} testid="agent-score" />
        </Field>
        <Field label="Fail rate" stack>
          <NumberInput value={agent.fail_rate} min={0} max={1} step={0.05} onCommit={(v) => set("fail_rate", v)} />
        </Field>
      </div>
      <Field label="Approved">
        <TriState value={agent.approved} onChange={(v) => set("approved", v)} labels={["unset", "approve", "reject"]} />
      </Field>
      <Field label="Seed">
        <NumberInput value={agent.seed} integer min={0} onCommit={(v) => set("seed", v)} />
      </Field>
      <Field label="Outputs" stack help="JSON object written to the step's produced keys">
        <JsonInput value={Object.keys(agent.outputs ?? {}).length ? agent.outputs : undefined} objectOnly onCommit={(v) => set("outputs", v as SimAgent["outputs"])} />
      </Field>
    </>
  );
}

function Shell({ agent, onChange }: Props<ShellAgent & { kind: "shell" }>) {
  const set = <K extends keyof ShellAgent>(k: K, v: ShellAgent[K] | undefined) => onChange(withField(agent, k, v) as Agent);
  const mode = agent.script != null ? "script" : "command";
  return (
    <>
      <Field label="Runs">
        <span className="seg">
          <button type="button" className={mode === "command" ? "on" : ""} onClick={() => onChange({ kind: "shell", command: agent.command ?? [""], cwd: agent.cwd, env: agent.env } as Agent)}>
            argv
          </button>
          <button type="button" className={mode === "script" ? "on" : ""} onClick={() => onChange({ kind: "shell", script: agent.script ?? "", cwd: agent.cwd, env: agent.env } as Agent)}>
            script
          </button>
        </span>
      </Field>
      {mode === "command" ? (
        <Field label="Command" stack help="One argument per line, run directly (never through a shell); {{key}} placeholders allowed">
          <LinesInput value={agent.command ?? []} onCommit={(v) => set("command", v)} testid="agent-command" />
        </Field>
      ) : (
        <Field label="Script" stack help="Run by sh -c; read BRAID_* variables (no placeholders)">
          <LongText value={agent.script} mono onCommit={(v) => set("script", v ?? "")} rows={5} />
        </Field>
      )}
      <Field label="Working dir">
        <TextInput value={agent.cwd} mono placeholder="the workflow's folder" onCommit={(v) => set("cwd", v)} />
      </Field>
      <Field label="Environment" stack>
        <MapEditor value={agent.env ?? {}} onCommit={(v) => set("env", v)} keyPlaceholder="add variable…" />
      </Field>
    </>
  );
}

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => ({ value: m, label: m }));

function Http({ agent, onChange }: Props<HttpAgent & { kind: "http" }>) {
  const set = <K extends keyof HttpAgent>(k: K, v: HttpAgent[K] | undefined) => onChange(withField(agent, k, v) as Agent);
  return (
    <>
      <Field label="Method">
        <Select value={agent.method ?? undefined} options={METHODS} allowEmpty="default" onChange={(v) => set("method", v)} />
      </Field>
      <Field label="URL" stack help="Placeholders only in the path and query; the host is written literally">
        <TextInput value={agent.url} mono onCommit={(v) => set("url", v ?? "")} testid="agent-url" />
      </Field>
      <Field label="Headers" stack help="{{secret:NAME}} reads a secret; only allowed here">
        <MapEditor value={agent.headers ?? {}} onCommit={(v) => set("headers", v)} keyPlaceholder="add header…" />
      </Field>
      <Field label="Body" stack>
        <JsonInput value={agent.body ?? undefined} onCommit={(v) => set("body", v as HttpAgent["body"])} />
      </Field>
    </>
  );
}

function Llm({ agent, onChange }: Props<LlmAgent & { kind: "llm" }>) {
  const set = <K extends keyof LlmAgent>(k: K, v: LlmAgent[K] | undefined) => onChange(withField(agent, k, v) as Agent);
  return (
    <>
      <Field label="Base URL" stack>
        <TextInput value={agent.base_url} mono onCommit={(v) => set("base_url", v ?? "")} />
      </Field>
      <div className="row2">
        <Field label="Model" stack>
          <TextInput value={agent.model} mono onCommit={(v) => set("model", v ?? "")} />
        </Field>
        <Field label="API key" stack>
          <TextInput value={agent.api_key} mono placeholder="{{secret:NAME}}" onCommit={(v) => set("api_key", v)} />
        </Field>
      </div>
      <Field label="System" stack>
        <LongText value={agent.system} rows={2} onCommit={(v) => set("system", v)} />
      </Field>
      <Field label="Prompt" stack>
        <LongText value={agent.prompt} rows={5} onCommit={(v) => set("prompt", v ?? "")} testid="agent-prompt" />
      </Field>
      <div className="row2">
        <Field label="Temperature" stack>
          <NumberInput value={agent.temperature} min={0} max={2} step={0.1} onCommit={(v) => set("temperature", v)} />
        </Field>
        <Field label="Max tokens" stack>
          <NumberInput value={agent.max_tokens} integer min={1} onCommit={(v) => set("max_tokens", v)} />
        </Field>
      </div>
    </>
  );
}

function Sub({ agent, onChange }: Props<WorkflowAgent & { kind: "workflow" }>) {
  const set = <K extends keyof WorkflowAgent>(k: K, v: WorkflowAgent[K] | undefined) => onChange(withField(agent, k, v) as Agent);
  return (
    <>
      <Field label="Workflow file" stack help="Relative to this workflow's folder">
        <TextInput value={agent.path} mono onCommit={(v) => set("path", v ?? "")} />
      </Field>
      <Field label="Inputs" stack>
        <JsonInput value={Object.keys(agent.inputs ?? {}).length ? agent.inputs : undefined} objectOnly onCommit={(v) => set("inputs", v as WorkflowAgent["inputs"])} />
      </Field>
    </>
  );
}

type ApprovalAgent = Extract<Agent, { kind: "approval" }>;

/** A person decides: what they are asked, and which context keys they see beside it (each must be in `requires` or `reads`). */
function Approval({ agent, onChange, visible }: Props<ApprovalAgent> & { visible: string[] }) {
  const set = <K extends keyof ApprovalAgent>(k: K, v: ApprovalAgent[K] | undefined) => onChange(withField(agent, k, v) as Agent);
  const unlisted = (agent.show ?? []).filter((k) => !visible.includes(k));
  return (
    <>
      <Field label="Prompt" stack help="What the person is asked; {{key}} placeholders read the context (keys in requires or reads)">
        <LongText value={agent.prompt} rows={3} onCommit={(v) => set("prompt", v ?? "")} testid="agent-approval-prompt" />
      </Field>
      <Field
        label="Show"
        stack
        error={unlisted.length ? `not in requires or reads: ${unlisted.join(", ")}` : null}
        help="Context keys shown next to the prompt (add them to requires or reads too)"
      >
        <ChipsInput values={agent.show ?? []} suggestions={visible} onCommit={(v) => set("show", v)} testid="agent-approval-show" placeholder="add a key…" />
      </Field>
      <div className="help">Waits for Approve / Reject here or `braid approve`; the step's own timeout is the deadline (defaults do not apply).</div>
    </>
  );
}

/** `visible`: the keys the step requires or reads (what an approval may show). */
export function AgentFields({ agent, onChange, visible = [] }: { agent: Agent; onChange: (a: Agent) => void; visible?: string[] }) {
  switch (agent.kind) {
    case "sim":
      return <Sim agent={agent} onChange={onChange} />;
    case "shell":
      return <Shell agent={agent} onChange={onChange} />;
    case "http":
      return <Http agent={agent} onChange={onChange} />;
    case "llm":
      return <Llm agent={agent} onChange={onChange} />;
    case "workflow":
      return <Sub agent={agent} onChange={onChange} />;
    case "approval":
      return <Approval agent={agent} onChange={onChange} visible={visible} />;
  }
}
