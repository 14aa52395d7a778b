// The workflow across its runs: run duration over time (click a point to
// analyse that run), and per step p50/p95 with a sparkline, success and retry
// rates, and flags for steps getting slower or flaky.
import { useMemo, useRef } from "react";
import { fmtDuration, fmtPct, fmtWhen } from "./format";
import { niceAxis, tickLabel } from "./scale";
import { Sparkline } from "./Sparkline";
import { focusNode, useAnalytics } from "./store";
import { TipCard, useTip } from "./Tooltip";
import type { RunDigest, TrendReport } from "./types";
import { useWidth } from "./useWidth";

const CHART_H = 150;
const LEFT = 56;
const TOP = 10;
const BOTTOM = 22;

function DurationChart({ digests, trends }: { digests: RunDigest[]; trends: TrendReport }) {
  const wrap = useRef<HTMLDivElement>(null);
  const width = useWidth(wrap, 700);
  const { tip, show, hide } = useTip();
  const runId = useAnalytics((s) => s.runId);
  const runs = [...digests].sort((a, b) => a.started_at_ms - b.started_at_ms);
  const axis = niceAxis(Math.max(1, ...runs.map((r) => r.wall_ms)), 4);
  const innerW = Math.max(40, width - LEFT - 12);
  const innerH = CHART_H - TOP - BOTTOM;
  const xi = (i: number) => LEFT + (runs.length > 1 ? (i / (runs.length - 1)) * innerW : innerW / 2);
  const y = (ms: number) => TOP + innerH - (ms / axis.domainMs) * innerH;
  const path = runs.map((r, i) => `${i ? "L" : "M"}${xi(i).toFixed(1)} ${y(r.wall_ms).toFixed(1)}`).join(" ");
  // p50 labelled at the left end, p95 at the right: close values stay legible.
  const ref = (ms: number, cls: string, label: string, right: boolean) => (
    <g className={`an-ref ${cls}`}>
      <line x1={LEFT} x2={LEFT + innerW} y1={y(ms)} y2={y(ms)} />
      <text x={right ? LEFT + innerW : LEFT + 4} y={y(ms) - 3} textAnchor={right ? "end" : "start"}>
        {label} {fmtDuration(ms)}
      </text>
    </g>
  );
  return (
    <div className="an-chart" ref={wrap} onMouseLeave={hide}>
      <svg width={width} height={CHART_H} data-testid="duration-chart" data-runs={runs.length}>
        {axis.ticks.map((t) => (
          <g key={t} className="an-tick">
            <line x1={LEFT} x2={LEFT + innerW} y1={y(t)} y2={y(t)} />
            <text x={LEFT - 6} y={y(t) + 3.5} textAnchor="end">
              {tickLabel(t, axis.stepMs)}
            </text>
          </g>
        ))}
        {ref(trends.duration.p95_ms, "p95", "p95", true)}
        {ref(trends.duration.p50_ms, "p50", "p50", false)}
        <path className="an-line" d={path} />
        {runs.map((r, i) => (
          <circle
            key={r.run_id}
            className={`an-dot s-${r.status ?? "running"}${r.run_id === runId ? " current" : ""}`}
            cx={xi(i)}
            cy={y(r.wall_ms)}
            r={r.run_id === runId ? 5 : 3.5}
            data-testid="duration-point"
            onMouseMove={(e) =>
              show(
                e,
                <>
                  <div className="t-title">{fmtDuration(r.wall_ms)}</div>
                  <div className="t-kind">
                    {r.status ?? "running"} · {fmtWhen(r.started_at_ms)}
                  </div>
                  <div className="an-muted mono">{r.run_id}</div>
                  <div className="an-muted">click to analyse this run</div>
                </>,
              )
            }
            onClick={() => void useAnalytics.getState().selectRun(r.run_id)}
          />
        ))}
        {runs.length > 0 && (
          <>
            <text className="an-axis-note" x={LEFT} y={CHART_H - 5}>
              {fmtWhen(runs[0].started_at_ms)}
            </text>
            <text className="an-axis-note" x={LEFT + innerW} y={CHART_H - 5} textAnchor="end">
              {fmtWhen(runs[runs.length - 1].started_at_ms)}
            </text>
          </>
        )}
      </svg>
      <TipCard tip={tip} />
    </div>
  );
}

function TrendFlag({ trend, pct }: { trend: string; pct: number | null }) {
  if (trend === "rising") return <span className="an-flag bad" title="getting slower across the window (least-squares fit)">▲ {fmtPct(pct)}</span>;
  if (trend === "falling") return <span className="an-flag good" title="getting faster across the window">▼ {fmtPct(pct == null ? null : -pct)}</span>;
  return <span className="an-muted">stable</span>;
}

export function TrendsPanel() {
  const trends = useAnalytics((s) => s.trends);
  const digests = useAnalytics((s) => s.digests);
  const error = useAnalytics((s) => s.trendsError);
  const report = useAnalytics((s) => s.report);
  const regressed = useMemo(() => new Set((report?.bottlenecks ?? []).filter((b) => b.kind === "regression" && b.node).map((b) => b.node!)), [report]);
  if (error) return <div className="an-empty error">Trends could not be computed: {error}</div>;
  if (!trends) return <div className="an-empty">Loading trends…</div>;
  if (trends.runs === 0) return <div className="an-empty">No recorded runs of this workflow yet.</div>;
  const d = trends.duration;
  const statuses = Object.entries(trends.statuses).map(([k, v]) => `${v} ${k}`).join(" · ");
  return (
    <div className="an-trends" data-testid="trends" data-runs={trends.runs}>
      <div className="an-kpis">
        <span>
          <b>{trends.runs}</b> runs <span className="an-muted">({statuses})</span>
        </span>
        <span>
          success <b data-testid="success-rate">{fmtPct(trends.success_rate)}</b>
        </span>
        <span>
          p50 <b>{fmtDuration(d.p50_ms)}</b> · p95 <b>{fmtDuration(d.p95_ms)}</b> · max {fmtDuration(d.max_ms)}
        </span>
        <span>
          trend <TrendFlag trend={d.trend} pct={d.trend_pct} />
        </span>
        <span className="an-muted">
          critical path {fmtPct(trends.critical_path.share)} stable ({trends.critical_path.distinct} distinct)
        </span>
      </div>
      <DurationChart digests={digests} trends={trends} />
      <table className="an-table" data-testid="step-trends">
        <thead>
          <tr>
            <th>step</th>
            <th>runs</th>
            <th>p50</th>
            <th>p95</th>
            <th>durations (p50 / p95 lines)</th>
            <th>success</th>
            <th>retried</th>
            <th>critical</th>
            <th>trend</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(trends.steps).map(([id, t]) =>
            t ? (
              <tr key={id} data-testid={`step-trend-${id}`} data-trend={t.trend} className={t.trend === "rising" || regressed.has(id) ? "regressed" : undefined}>
                <td>
                  <code className="clickable" onClick={() => focusNode(id)}>
                    {id}
                  </code>
                  {t.flaky && <span className="an-flag bad" title="its outcome varies from run to run"> flaky</span>}
                  {regressed.has(id) && (
                    <span className="an-flag bad" data-testid="regression-flag" title="This run: slower than its p95 over earlier runs">
                      {" "}
                      regression
                    </span>
                  )}
                </td>
                <td>{t.runs}</td>
                <td>{fmtDuration(t.p50_ms)}</td>
                <td>{fmtDuration(t.p95_ms)}</td>
                <td>
                  <Sparkline series={t.series} p50={t.p50_ms} p95={t.p95_ms} testId={`spark-${id}`} />
                </td>
                <td className={(t.success_rate ?? 1) < 1 ? "warn" : undefined}>{fmtPct(t.success_rate)}</td>
                <td className={(t.retry_rate ?? 0) > 0 ? "warn" : undefined}>{fmtPct(t.retry_rate)}</td>
                <td>{fmtPct(t.critical_share)}</td>
                <td>
                  <TrendFlag trend={t.trend} pct={t.trend_pct} />
                </td>
              </tr>
            ) : null,
          )}
        </tbody>
      </table>
    </div>
  );
}
