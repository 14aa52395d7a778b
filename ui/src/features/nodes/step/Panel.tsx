// Inspector for a step: identity, agent, data (requires/produces), reliability, resources.
import type { Agent, Retry, Step, Trigger } from "../../../ipc";
import { ChipsInput, Field, MapEditor, NumberInput, Select, TextInput, TriState } from "../../../components/form";
import { Icon } from "../../../components/icons";
import { allKeys, upstreamKeys } from "../../editor/dataflow";
import { renameNode, setStepGroup, updateStep, type AgentKind } from "../../editor/ops";
import { withField, withNested } from "../../editor/patch";
import { useEditor } from "../../editor/store";
import { AgentFields } from "./AgentFields";
import { AGENT_KINDS, defaultAgent } from "./defaults";

const TRIGGERS: { value: Trigger; label: string }[] = [
  { value: "all", label: "all — every incoming edge taken" },
  { value: "any", label: "any — at least one taken" },
];

export function StepPanel({ step }: { step: Step }) {
  const wf = useEditor((s) => s.doc.workflow);
  const edit = useEditor((s) => s.edit);
  const change = (fn: (s: Step) => Step) => edit((doc) => updateStep(doc, step.id, fn));
  const set = <K extends keyof Step>(k: K, v: Step[K] | undefined) => change((s) => withField(s, k, v));
  const setRetry = <K extends keyof Retry>(k: K, v: Retry[K] | undefined) => change((s) => withNested(s, "retry", withField(s.retry ?? ({} as Retry), k, v)));
  const upstream = upstreamKeys(wf, step.id);
  const known = allKeys(wf);
  const groups = wf.groups.map((g) => ({ value: g.id, label: g.name ?? g.id }));
  const inGroup = step.group != null;
  const limits = Object.keys(wf.limits ?? {}).filter((k) => k !== "concurrency");
  const dataflowKey = useEditor((s) => s.dataflowKey);
  const setFlow = useEditor((s) => s.setDataflowKey);

  return (
    <>
      <div className="fieldset">
        <div className="legend">Step</div>
        <Field label="Name">
          <TextInput value={step.name} onCommit={(v) => set("name", v)} placeholder={step.id} testid="step-name" />
        </Field>
        <Field label="Id">
          <TextInput value={step.id} mono testid="step-id" onCommit={(v) => v && edit((doc) => renameNode(doc, step.id, v))} />
        </Field>
        <Field label="Group">
          <Select value={step.group ?? undefined} options={groups} allowEmpty="— none (a phase) —" onChange={(g) => edit((doc) => setStepGroup(doc, step.id, g ?? null))} testid="step-group" />
        </Field>
        <Field label="Required" help={inGroup ? "A failed required branch fails the group" : "An optional step's failure never ends the run"}>
          <TriState value={step.required} onChange={(v) => set("required", v)} labels={["default", "required", "optional"]} testid="step-required" />
        </Field>
        {inGroup && (
          <Field label="Weight" help="Branch weight for weighted aggregation (default 1)">
            <NumberInput value={step.weight} min={0} step={0.1} onCommit={(v) => set("weight", v)} placeholder="1" testid="step-weight" />
          </Field>
        )}
      </div>

      <div className="fieldset">
        <div className="legend">Agent</div>
        <Field label="Kind">
          <Select<AgentKind>
            value={step.agent.kind}
            options={AGENT_KINDS.map((k) => ({ value: k.kind, label: k.label }))}
            onChange={(k) => k && k !== step.agent.kind && set("agent", defaultAgent(k))}
            testid="agent-kind"
          />
        </Field>
        <AgentFields agent={step.agent} onChange={(a: Agent) => set("agent", a)} visible={[...(step.requires ?? []), ...(step.reads ?? [])]} />
      </div>

      <div className="fieldset">
        <div className="legend">
          Data
          <span className="right">
            {dataflowKey && (
              <button className="link-btn" onClick={() => setFlow(null)}>
                clear trace
              </button>
            )}
          </span>
        </div>
        <Field label="Requires" stack help={upstream.length ? `Known upstream: ${upstream.slice(0, 6).join(", ")}${upstream.length > 6 ? "…" : ""}` : "No keys known upstream yet"}>
          <ChipsInput values={step.requires ?? []} suggestions={upstream} onCommit={(v) => set("requires", v)} testid="step-requires" placeholder="add a key…" />
        </Field>
        <Field label="Reads" stack help="Keys used when present; nothing has to guarantee them (e.g. an optional step's output)">
          <ChipsInput values={step.reads ?? []} suggestions={known} onCommit={(v) => set("reads", v)} testid="step-reads" placeholder="add a key…" />
        </Field>
        <Field label="Produces" stack>
          <ChipsInput values={step.produces ?? []} suggestions={known} onCommit={(v) => set("produces", v)} testid="step-produces" placeholder="add a key…" />
        </Field>
        {(step.requires?.length || step.reads?.length || step.produces?.length) ? (
          <div className="help" style={{ display: "flex", gap: 6, flexWrap: "wrap", fontSize: 11 }}>
            <Icon.flow />
            {[...new Set([...(step.requires ?? []), ...(step.reads ?? []), ...(step.produces ?? [])])].map((k) => (
              <button key={k} className="link-btn mono" onClick={() => setFlow(dataflowKey === k ? null : k)}>
                trace {k}
              </button>
            ))}
          </div>
        ) : null}
      </div>

      <div className="fieldset">
        <div className="legend">Reliability</div>
        <div className="row2">
          <Field label="Timeout s" stack>
            <NumberInput value={step.timeout_s} min={0} placeholder={wf.defaults?.timeout_s != null ? `${wf.defaults.timeout_s} (default)` : "none"} onCommit={(v) => set("timeout_s", v)} testid="step-timeout" />
          </Field>
          <Field label="Estimate s" stack>
            <NumberInput value={step.estimate_s} min={0} onCommit={(v) => set("estimate_s", v)} />
          </Field>
        </div>
        <div className="row2">
          <Field label="Max attempts" stack>
            <NumberInput value={step.retry?.max_attempts} integer min={1} placeholder={String(wf.defaults?.retry?.max_attempts ?? 1)} onCommit={(v) => setRetry("max_attempts", v)} testid="step-attempts" />
          </Field>
          <Field label="Backoff ms" stack>
            <NumberInput value={step.retry?.backoff_ms} integer min={0} onCommit={(v) => setRetry("backoff_ms", v)} />
          </Field>
        </div>
        <div className="row2">
          <Field label="Factor" stack>
            <NumberInput value={step.retry?.factor} min={1} step={0.5} placeholder="2" onCommit={(v) => setRetry("factor", v)} />
          </Field>
          <Field label="Max backoff ms" stack>
            <NumberInput value={step.retry?.max_backoff_ms} integer min={0} onCommit={(v) => setRetry("max_backoff_ms", v)} />
          </Field>
        </div>
        <Field label="Jitter">
          <TriState value={step.retry?.jitter} onChange={(v) => setRetry("jitter", v)} labels={["default", "±25 %", "none"]} />
        </Field>
        {!inGroup && (
          <Field label="Trigger">
            <Select value={step.trigger ?? undefined} options={TRIGGERS} allowEmpty="default (all)" onChange={(v) => set("trigger", v)} />
          </Field>
        )}
        <Field label="Idempotent" help="Safe to run again after a crash">
          <TriState value={step.idempotent} onChange={(v) => set("idempotent", v)} />
        </Field>
      </div>

      <div className="fieldset">
        <div className="legend">Resources</div>
        <MapEditor
          value={(step.resources ?? {}) as Record<string, number>}
          numeric
          onCommit={(v) => set("resources", v as Step["resources"])}
          keySuggestions={limits}
          keyPlaceholder={limits.length ? `add: ${limits.join(", ")}` : "add resource…"}
          valuePlaceholder="amount held"
        />
      </div>
    </>
  );
}
