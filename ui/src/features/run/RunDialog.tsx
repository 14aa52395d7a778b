// The Run form: the workflow's inputs (required ones enforced, defaults
// filled, fields typed by their defaults), a time scale for sim-only
// rehearsals; Start saves the file when it has unsaved changes, then runs it.
import { useMemo, useState } from "react";
import { Icon } from "../../components/icons";
import { save } from "../editor/files";
import { validateNow } from "../editor/validation";
import { isDirty, useEditor } from "../editor/store";
import { hasSim, inputFields, parseTimeScale, readForm, simOnly } from "./inputs";
import { shapeOf } from "./reducer";
import { startRun, useRun } from "./store";
import "./run.css";

export function RunDialog({ onClose }: { onClose: () => void }) {
  const wf = useEditor((s) => s.doc.workflow);
  const errorsInDoc = useEditor((s) => s.diagnostics.some((d) => d.severity === "error"));
  const starting = useRun((s) => s.starting);
  const fields = useMemo(() => inputFields(wf.inputs), [wf.inputs]);
  const rehearsal = hasSim(wf.steps);
  const pure = simOnly(wf.steps);
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(fields.map((f) => [f.name, f.initial])));
  const [scaleText, setScaleText] = useState("1");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);

  const start = async () => {
    const form = readForm(fields, values);
    const timeScale = rehearsal ? parseTimeScale(scaleText) : 1;
    const errs = { ...form.errors };
    if (timeScale == null) errs.__scale = "a number above 0 (e.g. 1, 0.1, 0.01)";
    setErrors(errs);
    if (Object.keys(errs).length) return;
    // An invalid workflow cannot run: say so here, before anything is saved
    // (saving first would overwrite the file with the broken version).
    if (useEditor.getState().diagnosticsFor !== useEditor.getState().doc) await validateNow();
    const current = useEditor.getState();
    const problems = current.diagnosticsFor === current.doc ? current.diagnostics.filter((d) => d.severity === "error").length : 0;
    if (problems > 0) {
      setProblem(`Nothing was run or saved: ${problems} problem${problems === 1 ? "" : "s"} to fix first.`);
      return;
    }
    const s = useEditor.getState();
    if (isDirty(s) || !s.path) {
      if (!(await save())) {
        setProblem("The workflow must be saved before it can run.");
        return;
      }
    }
    const path = useEditor.getState().path;
    if (!path) return;
    onClose();
    await startRun(path, shapeOf(useEditor.getState().doc.workflow), form.inputs, timeScale ?? 1);
  };

  return (
    <div className="modal-back" onClick={onClose}>
      <div className="modal" style={{ width: "min(620px, 92vw)" }} data-testid="run-dialog" onClick={(e) => e.stopPropagation()}>
        <div className="modal-head">
          <h2>Run {wf.name ?? wf.id}</h2>
          <span className="spacer" />
          <button className="btn icon" onClick={onClose} aria-label="close">
            <Icon.close />
          </button>
        </div>
        <form
          className="modal-body run-form"
          onSubmit={(e) => {
            e.preventDefault();
            void start();
          }}
        >
          {fields.length === 0 && <div className="run-hint">This workflow takes no inputs.</div>}
          {fields.map((f) => (
            <div className="row" key={f.name}>
              <label className="name" htmlFor={`run-input-${f.name}`}>
                {f.name}
                {f.required && <span className="req" title="required">*</span>}
              </label>
              <div>
                {f.kind === "boolean" ? (
                  <input
                    id={`run-input-${f.name}`}
                    type="checkbox"
                    data-testid={`run-input-${f.name}`}
                    checked={values[f.name] === "true"}
                    onChange={(e) => setValues({ ...values, [f.name]: String(e.target.checked) })}
                  />
                ) : f.kind === "json" ? (
                  <textarea
                    id={`run-input-${f.name}`}
                    className={`textarea${errors[f.name] ? " invalid" : ""}`}
                    data-testid={`run-input-${f.name}`}
                    value={values[f.name]}
                    onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
                    spellCheck={false}
                  />
                ) : (
                  <input
                    id={`run-input-${f.name}`}
                    className={`input${errors[f.name] ? " invalid" : ""}`}
                    data-testid={`run-input-${f.name}`}
                    type={f.kind === "number" ? "number" : "text"}
                    step="any"
                    value={values[f.name]}
                    placeholder={f.required ? "required" : "optional"}
                    onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
                    spellCheck={false}
                  />
                )}
                {errors[f.name] ? <div className="err">{errors[f.name]}</div> : f.description ? <div className="desc">{f.description}</div> : null}
              </div>
            </div>
          ))}
          {rehearsal && (
            <div className="row">
              <label className="name" htmlFor="run-time-scale">
                Time scale
              </label>
              <div>
                <input
                  id="run-time-scale"
                  className={`input${errors.__scale ? " invalid" : ""}`}
                  data-testid="run-time-scale"
                  type="number"
                  min="0.001"
                  step="any"
                  value={scaleText}
                  onChange={(e) => setScaleText(e.target.value)}
                />
                <div className={errors.__scale ? "err" : "desc"}>{errors.__scale ??
                    (pure
                      ? "Every step is simulated: 0.01 rehearses the workflow in a hundredth of its time."
                      : "Scales the simulated (sim) steps only; real commands and services take the time they take.")}</div>
              </div>
            </div>
          )}
          {errorsInDoc && <div className="run-msg error">The workflow has errors (see Problems); the run will be refused until they are fixed.</div>}
          {problem && <div className="run-msg error">{problem}</div>}
          <div className="run-form-foot">
            <button type="button" className="btn outline" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="btn primary" disabled={starting} data-testid="run-start">
              <Icon.play /> Start run
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
