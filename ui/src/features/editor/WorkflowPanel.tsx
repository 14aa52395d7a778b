// Workflow settings: identity, inputs, initial context, limits, defaults.
import type { Defaults, InputSpec, Retry, Workflow } from "../../ipc";
import { Field, JsonInput, LongText, MapEditor, NumberInput, TextInput } from "../../components/form";
import { setWorkflow } from "./ops";
import { withField, withNested } from "./patch";
import { useEditor } from "./store";

function InputsEditor({ inputs, onChange }: { inputs: Record<string, InputSpec>; onChange: (v: Record<string, InputSpec>) => void }) {
  const entries = Object.entries(inputs);
  const put = (key: string, spec: InputSpec) => onChange({ ...inputs, [key]: spec });
  return (
    <div data-testid="workflow-inputs">
      {entries.map(([key, spec]) => (
        <div key={key} style={{ border: "1px solid var(--border)", borderRadius: 8, padding: 8, marginBottom: 6 }}>
          <div style={{ display: "flex", alignItems: "center", gap: 8, marginBottom: 6 }}>
            <code style={{ fontWeight: 600, flex: 1 }}>{key}</code>
            <label className="check">
              <input type="checkbox" checked={!!spec.required} onChange={(e) => put(key, withField(spec, "required", e.target.checked || undefined))} />
              required
            </label>
            <button className="link-btn" onClick={() => onChange(Object.fromEntries(entries.filter(([k]) => k !== key)))}>
              remove
            </button>
          </div>
          <Field label="Description">
            <TextInput value={spec.description} onCommit={(v) => put(key, withField(spec, "description", v))} />
          </Field>
          <Field label="Default" help="JSON value">
            <TextInput
              value={spec.default === undefined || spec.default === null ? undefined : JSON.stringify(spec.default)}
              mono
              onCommit={(v) => {
                let parsed: unknown = v;
                if (v !== undefined) {
                  try {
                    parsed = JSON.parse(v);
                  } catch {
                    parsed = v; // a bare word is a string
                  }
                }
                put(key, withField(spec, "default", parsed as InputSpec["default"]));
              }}
            />
          </Field>
        </div>
      ))}
      <MapEditor value={{}} onCommit={(v) => onChange({ ...inputs, ...Object.fromEntries(Object.keys(v).map((k) => [k, {} as InputSpec])) })} keyPlaceholder="add input…" valuePlaceholder="Enter to add" />
    </div>
  );
}

export function WorkflowPanel() {
  const wf = useEditor((s) => s.doc.workflow);
  const edit = useEditor((s) => s.edit);
  const set = <K extends keyof Workflow>(k: K, v: Workflow[K] | undefined) => edit((doc) => setWorkflow(doc, withField(doc.workflow, k, v)));
  const setDefaults = <K extends keyof Defaults>(k: K, v: Defaults[K] | undefined) => set("defaults", (() => {
    const next = withField(wf.defaults ?? ({} as Defaults), k, v);
    return Object.keys(next).length ? next : undefined;
  })());
  const setRetry = <K extends keyof Retry>(k: K, v: Retry[K] | undefined) => {
    const d = withNested(wf.defaults ?? ({} as Defaults), "retry", withField(wf.defaults?.retry ?? ({} as Retry), k, v));
    set("defaults", Object.keys(d).length ? d : undefined);
  };
  return (
    <>
      <div className="fieldset">
        <div className="legend">Workflow</div>
        <Field label="Name">
          <TextInput value={wf.name} onCommit={(v) => set("name", v)} testid="workflow-name" />
        </Field>
        <Field label="Id" help="Stable across edits: runs are grouped by it">
          <TextInput value={wf.id} mono onCommit={(v) => v && set("id", v)} testid="workflow-id" />
        </Field>
        <Field label="Description" stack>
          <LongText value={wf.description} rows={3} onCommit={(v) => set("description", v)} />
        </Field>
      </div>
      <div className="fieldset">
        <div className="legend">Inputs</div>
        <InputsEditor inputs={(wf.inputs ?? {}) as Record<string, InputSpec>} onChange={(v) => set("inputs", v as Workflow["inputs"])} />
      </div>
      <div className="fieldset">
        <div className="legend">Initial context</div>
        <JsonInput value={Object.keys(wf.context ?? {}).length ? wf.context : undefined} objectOnly onCommit={(v) => set("context", v as Workflow["context"])} testid="workflow-context" />
      </div>
      <div className="fieldset">
        <div className="legend">Limits</div>
        <MapEditor
          value={(wf.limits ?? {}) as Record<string, number>}
          numeric
          onCommit={(v) => set("limits", v as Workflow["limits"])}
          keySuggestions={["concurrency", "api", "gpu", "tokens"]}
          keyPlaceholder="add resource (concurrency, api…)"
          valuePlaceholder="capacity"
          testid="workflow-limits"
        />
      </div>
      <div className="fieldset">
        <div className="legend">Defaults</div>
        <div className="row2">
          <Field label="Timeout s" stack>
            <NumberInput value={wf.defaults?.timeout_s} min={0} placeholder="none" onCommit={(v) => setDefaults("timeout_s", v)} testid="defaults-timeout" />
          </Field>
          <Field label="Max attempts" stack>
            <NumberInput value={wf.defaults?.retry?.max_attempts} integer min={1} placeholder="1" onCommit={(v) => setRetry("max_attempts", v)} />
          </Field>
        </div>
        <div className="row2">
          <Field label="Backoff ms" stack>
            <NumberInput value={wf.defaults?.retry?.backoff_ms} integer min={0} onCommit={(v) => setRetry("backoff_ms", v)} />
          </Field>
          <Field label="Factor" stack>
            <NumberInput value={wf.defaults?.retry?.factor} min={1} step={0.5} placeholder="2" onCommit={(v) => setRetry("factor", v)} />
          </Field>
        </div>
      </div>
    </>
  );
}
