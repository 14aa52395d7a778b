// The analytics dock under the canvas: which run, its headline numbers,
// export, and tabs for the timeline, bottlenecks, recommendations and trends.
import { useEffect, useRef, useState } from "react";
import { Icon } from "../../components/icons";
import { BottlenecksPanel } from "./BottlenecksPanel";
import { exportReport } from "./export";
import { followRunView } from "./followRun";
import { fmtDuration, fmtPct, fmtWhen } from "./format";
import { RecommendationsPanel } from "./RecommendationsPanel";
import { startAnalyticsSync, useAnalytics, type Tab } from "./store";
import { TimelineChart } from "./TimelineChart";
import { TrendsPanel } from "./TrendsPanel";
import "./analytics.css";

function RunPicker() {
  const runs = useAnalytics((s) => s.runs);
  const runId = useAnalytics((s) => s.runId);
  return (
    <select className="select an-run" value={runId ?? ""} onChange={(e) => void useAnalytics.getState().selectRun(e.target.value || null)} data-testid="analytics-run" title="The run to analyse">
      <option value="">Prediction (no run)</option>
      {runs.map((r) => (
        <option key={r.run_id} value={r.run_id}>
          {fmtWhen(r.started_at_ms)} · {r.status} · {fmtDuration(r.duration_ms)}
        </option>
      ))}
    </select>
  );
}

function ExportMenu() {
  const runId = useAnalytics((s) => s.runId);
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => ref.current && !ref.current.contains(e.target as Node) && setOpen(false);
    window.addEventListener("mousedown", close);
    return () => window.removeEventListener("mousedown", close);
  }, [open]);
  const pick = (format: "html" | "markdown") => {
    setOpen(false);
    if (runId) void exportReport(runId, format);
  };
  return (
    <div className="menu" ref={ref}>
      <button className="btn icon" disabled={!runId} onClick={() => setOpen(!open)} data-testid="export-button" title="Export this run's report (HTML or Markdown)">
        <svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
          <path d="M12 3v12M7 10l5 5 5-5M4 17v3h16v-3" />
        </svg>
      </button>
      {open && (
        <div className="menu-pop an-export-pop" data-testid="export-menu">
          <button onClick={() => pick("html")} data-testid="export-html">
            HTML report
            <span className="sub">one self-contained file with the Gantt chart</span>
          </button>
          <button onClick={() => pick("markdown")} data-testid="export-markdown">
            Markdown report
            <span className="sub">tables, for a pull request or a wiki</span>
          </button>
        </div>
      )}
    </div>
  );
}

function Headline() {
  const report = useAnalytics((s) => s.report);
  if (!report) return null;
  return (
    <div className="an-headline" data-testid="analytics-headline">
      <span title="RunStarted → RunFinished">
        wall <b data-testid="wall-ms" data-ms={report.wall_ms}>{fmtDuration(report.wall_ms)}</b>
      </span>
      <span title={report.critical_path.nodes.join(" → ")}>
        critical path <b>{fmtDuration(report.critical_path.duration_ms)}</b>
      </span>
      <span title="sequential time ÷ wall time">
        speedup <b>{report.speedup != null ? `${report.speedup.toFixed(2)}×` : "–"}</b>
      </span>
      <span title="busy time ÷ (wall × slots it could use)">
        efficiency <b>{fmtPct(report.parallel_efficiency)}</b>
      </span>
      {report.coordination_overhead_ms > 0 && (
        <span title="wall time neither work nor queueing on the critical path explains">
          overhead <b>{fmtDuration(report.coordination_overhead_ms)}</b>
        </span>
      )}
    </div>
  );
}

function Body({ tab }: { tab: Tab }) {
  const report = useAnalytics((s) => s.report);
  const runId = useAnalytics((s) => s.runId);
  const loading = useAnalytics((s) => s.loading);
  const error = useAnalytics((s) => s.error);
  const runs = useAnalytics((s) => s.runs.length);
  if (tab === "trends") return <TrendsPanel />;
  if (error) return <div className="an-empty error">{error}</div>;
  // A refresh of the run shown keeps showing it until the new report arrives.
  if (loading && report?.run_id !== runId) return <div className="an-empty">Analysing the run…</div>;
  if (!runId || !report) {
    return (
      <div className="an-empty">
        {runs === 0 ? "No recorded runs of this workflow yet. Run it, then come back: the timeline, bottlenecks and recommendations are computed from what happened." : "Choose a run to analyse."}{" "}
        The critical-path toggle in the toolbar shows the planner's prediction meanwhile.
      </div>
    );
  }
  return (
    <>
      <Headline />
      {tab === "timeline" && <TimelineChart report={report} />}
      {tab === "bottlenecks" && <BottlenecksPanel report={report} />}
      {tab === "recommendations" && <RecommendationsPanel report={report} />}
    </>
  );
}

const MIN_H = 140;

export function AnalyticsDock() {
  const open = useAnalytics((s) => s.open);
  const tab = useAnalytics((s) => s.tab);
  const report = useAnalytics((s) => s.report);
  const [height, setHeight] = useState(300);

  useEffect(() => {
    // A handle for the WebDriver tests, beside the editor's `window.__braid`.
    (window as unknown as { __braidAnalytics?: unknown }).__braidAnalytics = useAnalytics;
    const stops = [startAnalyticsSync(), followRunView()];
    return () => stops.forEach((stop) => stop());
  }, []);

  if (!open) return null;

  // Drag the top edge to resize, between a readable minimum and most of the window.
  const startResize = (e: React.PointerEvent) => {
    const y0 = e.clientY;
    const h0 = height;
    const move = (ev: PointerEvent) => setHeight(Math.max(MIN_H, Math.min(window.innerHeight - 200, h0 + y0 - ev.clientY)));
    const up = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  };

  const tabs: { id: Tab; label: string; count?: number }[] = [
    { id: "timeline", label: "Timeline" },
    { id: "bottlenecks", label: "Bottlenecks", count: report?.bottlenecks.length },
    { id: "recommendations", label: "Recommendations", count: report?.recommendations.length },
    { id: "trends", label: "Trends" },
  ];
  return (
    <section className="an-dock" style={{ height }} data-testid="analytics-dock">
      <div className="an-resize" onPointerDown={startResize} title="Drag to resize" />
      <div className="an-head">
        <span className="an-title" title="Analytics">
          <svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" aria-hidden="true">
            <path d="M4 20V10M10 20V4M16 20v-7M22 20H2" />
          </svg>
        </span>
        <RunPicker />
        <div className="an-tabs" role="tablist">
          {tabs.map((t) => (
            <button key={t.id} role="tab" aria-selected={tab === t.id} className={`an-tab${tab === t.id ? " active" : ""}`} onClick={() => useAnalytics.getState().setTab(t.id)} data-testid={`analytics-tab-${t.id}`}>
              {t.label}
              {t.count != null && t.count > 0 && <span className="an-count">{t.count}</span>}
            </button>
          ))}
        </div>
        <span className="spacer" />
        <button className="btn icon" onClick={() => void useAnalytics.getState().refresh()} title="Reload runs and reports" data-testid="analytics-refresh">
          <Icon.retry />
        </button>
        <ExportMenu />
        <button className="btn icon" onClick={() => useAnalytics.getState().setOpen(false)} title="Close analytics" data-testid="analytics-close">
          <Icon.close />
        </button>
      </div>
      <div className="an-body" data-tab={tab}>
        <Body tab={tab} />
      </div>
    </section>
  );
}
