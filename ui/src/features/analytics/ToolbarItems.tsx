// The toolbar's analytics controls: the predicted duration of the workflow as
// it is now (the planner, history-aware), the critical-path toggle, and the
// button that opens the analytics dock.
import { useEditor } from "../editor/store";
import { fmtDuration } from "./format";
import { useAnalytics } from "./store";

export function PredictedDuration() {
  const plan = useEditor((s) => s.plan);
  const fromHistory = plan ? Object.values(plan.steps).some((p) => p?.source === "history") : false;
  return (
    <span
      className={`an-predicted${plan ? "" : " none"}`}
      data-testid="predicted-duration"
      data-ms={plan?.predicted_ms}
      title={plan ? `Predicted run (${fromHistory ? "from run history" : "from the file's estimates"}); critical path ${plan.critical_path.nodes.join(" → ")}` : "No prediction: the workflow has errors"}
    >
      <svg viewBox="0 0 24 24" width="14" height="14" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" aria-hidden="true">
        <circle cx="12" cy="13" r="8" />
        <path d="M12 9v4l2.5 2M9 2h6" />
      </svg>
      {plan ? fmtDuration(plan.predicted_ms) : "–"}
    </span>
  );
}

export function CriticalToggle() {
  const on = useAnalytics((s) => s.showCritical);
  const source = useAnalytics((s) => s.marks?.source ?? null);
  return (
    <button
      className={`btn icon${on ? " an-on" : ""}`}
      onClick={() => useAnalytics.getState().toggleCritical()}
      aria-pressed={on}
      data-testid="critical-toggle"
      data-source={on ? (source ?? "none") : undefined}
      title={on ? (source === "run" ? "Critical path: the run chosen in Analytics (click to hide)" : "Critical path: predicted (click to hide)") : "Critical path: highlight it, with each step's slack"}
    >
      <svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" aria-hidden="true">
        <circle cx="5" cy="12" r="2.5" />
        <circle cx="19" cy="6" r="2.5" />
        <circle cx="19" cy="18" r="2.5" />
        <path d="M7.3 11l9.4-4M7.3 13l9.4 4" />
      </svg>
    </button>
  );
}

export function AnalyticsButton() {
  const open = useAnalytics((s) => s.open);
  return (
    <button className={`btn icon${open ? " an-on" : ""}`} onClick={() => useAnalytics.getState().setOpen(!open)} aria-pressed={open} data-testid="analytics-button" title="Run analytics: timeline, bottlenecks, recommendations, trends">
      <svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" aria-hidden="true">
        <path d="M4 20V10M10 20V4M16 20v-7M22 20H2" />
      </svg>
    </button>
  );
}
