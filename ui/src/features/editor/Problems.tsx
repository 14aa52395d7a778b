// The problems list: every diagnostic from the Rust validator; a click selects
// (and centres) the node or edge it is about.
import { useState } from "react";
import { Icon } from "../../components/icons";
import { targetsOf, whereOf } from "./diagnostics";
import { useEditor } from "./store";

export function Problems() {
  const diagnostics = useEditor((s) => s.diagnostics);
  const wf = useEditor((s) => s.diagnosticsFor?.workflow ?? s.doc.workflow);
  const stale = useEditor((s) => s.diagnosticsFor !== s.doc);
  const [open, setOpen] = useState(true);
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const go = (i: number) => {
    const d = diagnostics[i];
    const t = targetsOf(d, wf);
    const s = useEditor.getState();
    if (t.nodes.length) {
      s.select(t.nodes, []);
      s.requestFocus();
    } else if (t.edges.length) {
      s.select([], t.edges);
    }
  };
  return (
    <section className="problems" data-testid="problems" data-errors={errors} data-warnings={warnings} data-stale={stale || undefined}>
      <div className="problems-head" onClick={() => setOpen(!open)}>
        <span className="title">Problems</span>
        {errors > 0 && (
          <span className="count err">
            <Icon.error /> {errors}
          </span>
        )}
        {warnings > 0 && (
          <span className="count warn">
            <Icon.warning /> {warnings}
          </span>
        )}
        {diagnostics.length === 0 && (
          <span className="count ok">
            <Icon.check /> Valid — no problems
          </span>
        )}
        <span style={{ marginLeft: "auto", color: "var(--muted)", fontSize: 11 }}>{stale ? "checking…" : "checked by the Braid validator"}</span>
        <span style={{ color: "var(--muted)" }}>{open ? "▾" : "▸"}</span>
      </div>
      {open && diagnostics.length > 0 && (
        <ul>
          {diagnostics.map((d, i) => (
            <li key={i} className="problem" data-testid="diagnostic" data-code={d.code} data-severity={d.severity} onClick={() => go(i)}>
              <span className={`sev-${d.severity}`}>{d.severity === "error" ? <Icon.error /> : <Icon.warning />}</span>
              <span className="msg">
                <span className="code">{d.code}</span>
                {d.message}
              </span>
              <span className="where">{whereOf(d, wf)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
