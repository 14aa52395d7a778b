// What to change: each recommendation with its predicted saving. Preview asks
// the backend to apply the edits to a copy and re-plan it (the canvas marks the
// nodes it touches, a list shows every difference); Apply makes the change in
// the editor as one undoable edit.
import { useEditor } from "../editor/store";
import { describeChange } from "./diff";
import { fmtDuration } from "./format";
import { Message } from "./Message";
import { focusNode, useAnalytics } from "./store";
import type { Recommendation, RunReport } from "./types";

const KIND: Record<string, string> = {
  parallelize: "Parallelize",
  non_blocking: "Make non-blocking",
  timeout: "Add a timeout",
  raise_limit: "Raise a limit",
  retry_backoff: "Shorten backoff",
  split_group: "Split the group",
};

function PreviewBox({ rec }: { rec: Recommendation }) {
  const preview = useAnalytics((s) => s.preview);
  const current = useEditor((s) => s.plan?.predicted_ms ?? null);
  if (!preview) return null;
  const after = preview.plan?.predicted_ms ?? null;
  const drop = current != null && after != null ? current - after : null;
  return (
    <div className="an-preview" data-testid="preview">
      <div className="an-preview-nums">
        <span>
          now <b data-testid="current-predicted" data-ms={current ?? undefined}>{current != null ? fmtDuration(current) : "–"}</b>
        </span>
        <span className="arrow">→</span>
        <span>
          with this change <b data-testid="preview-predicted" data-ms={after ?? undefined}>{after != null ? fmtDuration(after) : "does not plan"}</b>
        </span>
        {drop != null && (
          <span className={`an-delta${drop > 0 ? " good" : drop < 0 ? " bad" : ""}`} data-testid="preview-delta" data-ms={drop}>
            {drop > 0 ? `−${fmtDuration(drop)}` : drop < 0 ? `+${fmtDuration(-drop)}` : "no change"}
          </span>
        )}
      </div>
      {preview.plan && (
        <div className="an-muted" data-testid="preview-critical">
          critical path after: {preview.plan.critical_path.nodes.join(" → ")}
        </div>
      )}
      <div className="an-muted">Predicted by the planner from this workflow's run history; the report priced it at {fmtDuration(rec.predicted_ms)} with this run's durations.</div>
      <ul className="an-diff" data-testid="preview-diff">
        {preview.changes.length === 0 && <li>No differences from the workflow in the editor (already applied?)</li>}
        {preview.changes.map((c, i) => (
          <li key={i} data-kind={c.kind} className={c.kind.split("_")[1]}>
            {describeChange(c)}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function RecommendationsPanel({ report }: { report: RunReport }) {
  const preview = useAnalytics((s) => s.preview);
  const previewing = useAnalytics((s) => s.previewing);
  const { previewRecommendation, clearPreview, applyRecommendation } = useAnalytics.getState();
  if (report.recommendations.length === 0) {
    return <div className="an-empty">No recommendations: no change the planner tried would save at least 1 % of this run.</div>;
  }
  return (
    <ol className="an-list" data-testid="recommendations">
      {report.recommendations.map((rec, i) => {
        const open = preview?.index === i;
        return (
          <li key={i} className={`an-item rec${open ? " open" : ""}`} data-testid="recommendation" data-kind={rec.kind} data-saves-ms={rec.saves_ms}>
            <span className="an-saves" title="predicted saving">
              −{fmtDuration(rec.saves_ms)}
            </span>
            <div className="an-item-main">
              <div className="an-item-head">
                <b>{KIND[rec.kind] ?? rec.kind}</b>
                {rec.nodes.map((n) => (
                  <code key={n} className="clickable" onClick={() => focusNode(n)}>
                    {n}
                  </code>
                ))}
              </div>
              <Message text={rec.message} />
              {open && <PreviewBox rec={rec} />}
            </div>
            <div className="an-actions">
              {open ? (
                <button className="btn outline" onClick={clearPreview} data-testid="preview-close">
                  Close preview
                </button>
              ) : (
                <button className="btn outline" onClick={() => void previewRecommendation(i)} disabled={previewing != null} data-testid="preview-button">
                  {previewing === i ? "Planning…" : "Preview"}
                </button>
              )}
              <button className="btn primary" onClick={() => applyRecommendation(i)} data-testid="apply-button" title="Change the workflow in the editor (one undo step)">
                Apply
              </button>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
