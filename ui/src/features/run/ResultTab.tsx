// The result: the selected step's (or group's) outputs, score, verdict and
// error as JSON; without a selection, the run's own result.
import { useEditor } from "../editor/store";
import { openPastRun } from "./HistoryTab";
import type { RoundResult, RunView } from "./reducer";
import type { Json } from "./types";
import { useRun } from "./store";

/** The runs a `workflow` step started (one per attempt and map element), each openable on its own canvas. */
function SubRuns({ step }: { step: string }) {
  const events = useRun((s) => s.events);
  const loaded = useRun((s) => s.loaded);
  const started = events.flatMap((e) => (e.type === "sub_run_started" && e.step === step ? [e] : []));
  if (started.length === 0) return null;
  return (
    <div data-testid="sub-runs">
      <h4 style={{ margin: "10px 0 6px" }}>Sub-workflow runs</h4>
      {started.map((e) => {
        const info = loaded?.sub_runs.find((r) => r.run_id === e.run_id);
        return (
          <div key={e.run_id} className="run-hint" style={{ padding: "2px 0" }}>
            <code>{e.workflow_id}</code> · {e.element != null ? `element ${e.element} · ` : ""}attempt {e.attempt} · <code>{e.run_id}</code>
            {info ? ` · ${info.status} ` : " "}
            {info && (
              <button className="btn" style={{ height: 22 }} onClick={() => void openPastRun(info)} data-testid={`sub-run-open-${e.run_id}`}>
                Open
              </button>
            )}
          </div>
        );
      })}
    </div>
  );
}

/** A recommendation as text: strings as they are, anything else as JSON. */
const recText = (v: Json) => (typeof v === "string" ? v : JSON.stringify(v));

/** A group's `{from, index?, text}` entries by branch (a map: by element), in the order they came. */
export function byBranch(recs: readonly Json[]): [string, string[]][] {
  const out = new Map<string, string[]>();
  for (const r of recs) {
    const o = r && typeof r === "object" && !Array.isArray(r) ? (r as { from?: Json; index?: Json; text?: Json }) : null;
    const from = o && typeof o.from === "string" ? (typeof o.index === "number" ? `${o.from}#${o.index}` : o.from) : "?";
    const list = out.get(from) ?? [];
    list.push(recText(o ? (o.text ?? null) : r));
    out.set(from, list);
  }
  return [...out];
}

/** What the group's branches (or a step) recommended, per branch. */
function Recommendations({ view, id }: { view: RunView; id: string }) {
  const node = view.nodes[id];
  if (!node || node.recommendations.length === 0) return null;
  const isGroup = view.shape.groups.some((g) => g.id === id);
  return (
    <div data-testid={`recommendations-${id}`}>
      <h4 style={{ margin: "10px 0 6px" }}>
        Recommendations of <code>{id}</code>
      </h4>
      {isGroup ? (
        byBranch(node.recommendations).map(([from, texts]) => (
          <div key={from} style={{ marginBottom: 4 }}>
            <code>{from}</code>
            <ul style={{ margin: "2px 0" }}>
              {texts.map((t, i) => (
                <li key={i}>{t}</li>
              ))}
            </ul>
          </div>
        ))
      ) : (
        <ul style={{ margin: "2px 0" }}>
          {node.recommendations.map((r, i) => (
            <li key={i}>{recText(r)}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Each round's verdicts and recommendations, once a loop has run its body more than once. */
function Rounds({ view, only }: { view: RunView; only: string | null }) {
  const rows: RoundResult[] = view.rounds.filter((r) => only == null || r.node === only);
  if (!rows.some((r) => r.round > 1) && !Object.values(view.loops).some((l) => l.round > 1)) return null;
  if (rows.length === 0) return null;
  return (
    <div data-testid="run-rounds">
      <h4 style={{ margin: "10px 0 6px" }}>
        Rounds
        {Object.entries(view.loops).map(([to, l]) => (
          <span key={to} className="run-hint" style={{ padding: "0 0 0 8px", fontWeight: 400 }}>
            loop at <code>{to}</code>: {l.round} round{l.round === 1 ? "" : "s"}
            {l.exhausted ? " (limit reached)" : ""}
          </span>
        ))}
      </h4>
      <table className="run-table">
        <thead>
          <tr>
            <th className="num">round</th>
            <th>node</th>
            <th>result</th>
            <th className="num">score</th>
            <th>recommendations</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i} data-testid={`round-${r.node}-${r.round}`}>
              <td className="num">{r.round}</td>
              <td>
                <code>{r.node}</code>
              </td>
              <td>{r.outcome ? r.outcome.replace("_", " ") : r.approved != null ? (r.approved ? "approved" : "not approved") : r.status.replace("_", " ")}</td>
              <td className="num">{r.score != null ? Math.round(r.score * 10) / 10 : "—"}</td>
              <td>
                {r.recommendations.length === 0
                  ? "—"
                  : r.recommendations.map((x) => {
                      const o = x && typeof x === "object" && !Array.isArray(x) ? (x as { from?: Json; text?: Json }) : null;
                      return o && "text" in o ? `${String(o.from ?? "")}: ${recText(o.text ?? null)}` : recText(x);
                    }).join(" · ")}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ResultTab({ view }: { view: RunView }) {
  const selected = useEditor((s) => s.selection[0] ?? null);
  const summary = useRun((s) => s.summary);
  const node = selected ? view.nodes[selected] : undefined;
  if (selected && node) {
    const isGroup = view.shape.groups.some((g) => g.id === selected);
    const result = isGroup
      ? { status: node.status, outcome: node.outcome, score: node.score, approved: node.approved, elements: node.counts ?? undefined }
      : { status: node.status, outputs: node.outputs, score: node.score, approved: node.approved, error: node.error, attempts: node.attempt, counts: node.counts ?? undefined };
    return (
      <div>
        <h4 style={{ margin: "2px 0 6px" }}>
          Result of <code>{selected}</code>
        </h4>
        <pre className="run-json" data-testid="run-result">
          {JSON.stringify(result, null, 2)}
        </pre>
        <Recommendations view={view} id={selected} />
        <Rounds view={view} only={selected} />
        <SubRuns step={selected} />
      </div>
    );
  }
  const withRecs = Object.keys(view.nodes).filter((id) => view.shape.groups.some((g) => g.id === id) && view.nodes[id].recommendations.length > 0);
  const run = summary ?? { run_id: view.runId, workflow_id: view.workflowId, status: view.status, error: view.error, inputs: view.inputs, context: view.context };
  return (
    <div>
      <h4 style={{ margin: "2px 0 6px" }}>Run result {summary ? "(as recorded in the store)" : "(so far)"} — select a step for its own</h4>
      <pre className="run-json" data-testid="run-result">
        {JSON.stringify(run, null, 2)}
      </pre>
      {withRecs.map((id) => (
        <Recommendations key={id} view={view} id={id} />
      ))}
      <Rounds view={view} only={null} />
    </div>
  );
}
