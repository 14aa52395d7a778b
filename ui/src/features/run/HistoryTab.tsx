// History: runs of this workflow (or all runs) from the shared store — the
// CLI's too. Open one to replay it on the canvas, resume an interrupted or
// failed one, tick two to compare their step durations side by side.
import { useEffect, useState } from "react";
import { openPath } from "../editor/files";
import { useEditor } from "../editor/store";
import { runApi, type PendingDecision, type RunInfo } from "./api";
import { STATUS_LABEL, StatusIcon } from "./badges";
import { fmtDuration } from "./hooks";
import { shapeOf } from "./reducer";
import { followRun, openRun, resumeRun, useRun } from "./store";
import type { RunSummary } from "./types";

const RESUMABLE = new Set(["interrupted", "failed", "cancelled"]);
// A waiting run whose process has ended (no owner) continues on resume once decided;
// one a process still follows continues there by itself.

/** Makes sure the canvas shows the run's workflow (opening its file if another is open); false if it cannot. */
async function showWorkflowOf(info: RunInfo): Promise<boolean> {
  if (useEditor.getState().doc.workflow.id === info.workflow_id) return true;
  if (!info.workflow_path) return false;
  return openPath(info.workflow_path);
}

export async function openPastRun(info: RunInfo) {
  if (!(await showWorkflowOf(info))) {
    useRun.setState({ message: { text: `The workflow of ${info.run_id} (${info.workflow_id}) is not open and its file is unknown.`, error: true } });
    return;
  }
  const shape = shapeOf(useEditor.getState().doc.workflow);
  // A run still going (here or in a terminal) is watched live, not replayed;
  // so is a waiting one, whose prompts can be decided from the canvas.
  if (info.status === "running" || info.status === "waiting") await followRun(info.run_id, shape);
  else await openRun(info.run_id, shape);
}

async function resumePast(info: RunInfo) {
  if (!(await showWorkflowOf(info))) return;
  await resumeRun(info.run_id, shapeOf(useEditor.getState().doc.workflow));
}

function Compare({ a, b, onClose }: { a: RunInfo; b: RunInfo; onClose: () => void }) {
  const [sums, setSums] = useState<[RunSummary, RunSummary] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    Promise.all([runApi.load(a.run_id), runApi.load(b.run_id)]).then(
      ([x, y]) => setSums([x.summary, y.summary]),
      (err) => setError(String(err?.message ?? err)),
    );
  }, [a.run_id, b.run_id]);
  if (error) return <div className="run-msg error">{error}</div>;
  if (!sums) return <div className="run-hint">Loading both runs…</div>;
  const [x, y] = sums;
  const ids = [...new Set([...Object.keys(x.steps), ...Object.keys(y.steps)])];
  const max = Math.max(1, ...ids.map((id) => Math.max(x.steps[id]?.duration_ms ?? 0, y.steps[id]?.duration_ms ?? 0)));
  return (
    <div data-testid="run-compare">
      <h4 style={{ margin: "2px 0 6px", display: "flex", gap: 8 }}>
        Step durations: <code>{a.run_id}</code> vs <code>{b.run_id}</code>
        <button className="run-drill" onClick={onClose}>
          back to the list
        </button>
      </h4>
      <table className="run-table">
        <thead>
          <tr>
            <th>step</th>
            <th className="num">A</th>
            <th />
            <th className="num">B</th>
            <th />
            <th className="num">B − A</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>
              <b>run</b>
            </td>
            <td className="num">{fmtDuration(x.duration_ms)}</td>
            <td>{STATUS_LABEL[x.status]}</td>
            <td className="num">{fmtDuration(y.duration_ms)}</td>
            <td>{STATUS_LABEL[y.status]}</td>
            <td className={`num run-delta ${y.duration_ms > x.duration_ms ? "slower" : "faster"}`}>{fmtDuration(Math.abs(y.duration_ms - x.duration_ms))}</td>
          </tr>
          {ids.map((id) => {
            const p = x.steps[id];
            const q = y.steps[id];
            const d = (q?.duration_ms ?? 0) - (p?.duration_ms ?? 0);
            return (
              <tr key={id} data-testid={`compare-${id}`}>
                <td>
                  <code>{id}</code>
                </td>
                <td className="num">{p ? fmtDuration(p.duration_ms) : "—"}</td>
                <td>
                  <span className="run-bar" style={{ width: `${((p?.duration_ms ?? 0) / max) * 120}px` }} /> {p && <StatusIcon status={p.status} />}
                </td>
                <td className="num">{q ? fmtDuration(q.duration_ms) : "—"}</td>
                <td>
                  <span className="run-bar" style={{ width: `${((q?.duration_ms ?? 0) / max) * 120}px` }} /> {q && <StatusIcon status={q.status} />}
                </td>
                <td className={`num run-delta ${d > 0 ? "slower" : d < 0 ? "faster" : ""}`}>
                  {d === 0 ? "=" : `${d > 0 ? "+" : "−"}${fmtDuration(Math.abs(d))}`}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function HistoryTab() {
  const workflowId = useEditor((s) => s.doc.workflow.id);
  const version = useRun((s) => s.historyVersion);
  const shownRun = useRun((s) => s.view?.runId ?? null);
  const [all, setAll] = useState(false);
  const [runs, setRuns] = useState<RunInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [picked, setPicked] = useState<string[]>([]);
  const [comparing, setComparing] = useState(false);
  const [reload, setReload] = useState(0);
  const [pending, setPending] = useState<PendingDecision[]>([]);

  useEffect(() => {
    let live = true;
    runApi.list(all ? null : workflowId, 200).then(
      (r) => live && (setRuns(r), setError(null)),
      (err) => live && setError(String(err?.message ?? err)),
    );
    return () => {
      live = false;
    };
  }, [all, workflowId, version, reload]);

  // What waiting runs (this app's or a terminal's) ask; a failure here only loses the detail.
  const anyWaiting = runs?.some((r) => r.status === "waiting") ?? false;
  useEffect(() => {
    if (!anyWaiting) return;
    let live = true;
    runApi.pending(null).then(
      (p) => live && setPending(p),
      () => live && setPending([]),
    );
    return () => {
      live = false;
    };
  }, [anyWaiting, runs]);

  const pair = picked.length === 2 && runs ? (picked.map((id) => runs.find((r) => r.run_id === id)).filter(Boolean) as RunInfo[]) : [];
  if (comparing && pair.length === 2) return <Compare a={pair[0]} b={pair[1]} onClose={() => setComparing(false)} />;

  return (
    <div data-testid="run-history">
      <div style={{ display: "flex", gap: 10, alignItems: "center", marginBottom: 6 }}>
        <label style={{ display: "flex", gap: 5, alignItems: "center" }}>
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} data-testid="history-all" /> all workflows
        </label>
        <button className="btn" style={{ height: 24 }} onClick={() => setReload((n) => n + 1)}>
          Refresh
        </button>
        <button className="btn" style={{ height: 24 }} disabled={pair.length !== 2} onClick={() => setComparing(true)} data-testid="history-compare" title="tick two runs to compare">
          Compare {picked.length}/2
        </button>
      </div>
      {error && <div className="run-msg error">{error}</div>}
      {runs && runs.length === 0 && <div className="run-hint">No runs {all ? "yet" : "of this workflow yet"}. The CLI's runs appear here too.</div>}
      {runs && runs.length > 0 && (
        <table className="run-table">
          <thead>
            <tr>
              <th />
              <th>status</th>
              <th>run</th>
              {all && <th>workflow</th>}
              <th>started</th>
              <th className="num">duration</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr
                key={r.run_id}
                data-testid={`history-${r.run_id}`}
                data-status={r.status}
                className={[r.run_id === shownRun && "on", r.status === "waiting" && "waiting"].filter(Boolean).join(" ") || undefined}
              >
                <td>
                  <input
                    type="checkbox"
                    checked={picked.includes(r.run_id)}
                    onChange={(e) => setPicked((p) => (e.target.checked ? [...p.filter((x) => x !== r.run_id), r.run_id].slice(-2) : p.filter((x) => x !== r.run_id)))}
                    title="compare"
                  />
                </td>
                <td>
                  <StatusIcon status={r.status} /> {r.status === "waiting" ? <b className="run-waiting-label">waiting for a decision</b> : (STATUS_LABEL[r.status] ?? r.status)}
                </td>
                <td>
                  <code>{r.run_id}</code>
                  {r.parent_run_id && <span className="run-hint"> (sub-run)</span>}
                  {r.status === "waiting" &&
                    pending
                      .filter((p) => p.run_id === r.run_id)
                      .map((p) => (
                        <div key={`${p.step}#${p.element ?? ""}`} className="run-hint" style={{ padding: 0 }} data-testid={`history-pending-${r.run_id}`}>
                          <code>{p.element != null ? `${p.step}#${p.element}` : p.step}</code>: {p.prompt}
                        </div>
                      ))}
                </td>
                {all && <td>{r.workflow_name ?? r.workflow_id}</td>}
                <td>{new Date(r.started_at_ms).toLocaleString()}</td>
                <td className="num">{fmtDuration(r.duration_ms)}</td>
                <td style={{ whiteSpace: "nowrap" }}>
                  <button className="btn" style={{ height: 24 }} onClick={() => void openPastRun(r)} data-testid={`history-open-${r.run_id}`}>
                    Open
                  </button>{" "}
                  {(RESUMABLE.has(r.status) || r.status === "waiting") && (
                    <button className="btn" style={{ height: 24 }} onClick={() => void resumePast(r)} data-testid={`history-resume-${r.run_id}`}>
                      Resume
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
