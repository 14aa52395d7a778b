// The run's Gantt chart (custom SVG): one row per step, branches under their
// group, bars coloured by how each attempt ended, queued time hatched, backoff
// dashed, the critical path outlined. Hover shows exact times; a click selects
// the node on the canvas.
import { useMemo, useRef } from "react";
import { useEditor } from "../editor/store";
import { fmtDuration, fmtExactMs } from "./format";

/** Exact milliseconds, and the rounded reading too once they stop being easy to read. */
const exact = (ms: number) => (ms >= 60_000 ? `${fmtExactMs(ms)} (${fmtDuration(ms)})` : fmtExactMs(ms));
import { linear, niceAxis, tickLabel } from "./scale";
import { Sparkline } from "./Sparkline";
import { focusNode, useAnalytics } from "./store";
import { timelineEnd, timelineRows, type Row, type Segment, type StepRow } from "./timeline";
import { TipCard, useTip } from "./Tooltip";
import type { RunReport } from "./types";
import { useWidth } from "./useWidth";

const LABEL_W = 190;
const ROW_H = 24;
const GROUP_H = 22;
const AXIS_H = 22;
const PAD_R = 16;

const SEGMENT_NAME: Record<Segment["kind"], string> = { queued: "waiting for a slot", run: "running", backoff: "retry backoff" };

function rowHeight(r: Row) {
  return r.kind === "group" ? GROUP_H : ROW_H;
}

function SegmentTip({ row, seg, report }: { row: StepRow; seg: Segment; report: RunReport }) {
  const step = report.steps[row.node];
  return (
    <>
      <div className="t-title">
        {row.label} · attempt {seg.attempt}
      </div>
      <div className="t-kind">
        {SEGMENT_NAME[seg.kind]}
        {seg.kind === "run" && ` · ${seg.result.replace(/_/g, " ")}`}
      </div>
      <table>
        <tbody>
          <tr>
            <td>from</td>
            <td>{exact(seg.start)}</td>
          </tr>
          <tr>
            <td>to</td>
            <td>{exact(seg.end)}</td>
          </tr>
          <tr>
            <td>for</td>
            <td>{exact(seg.end - seg.start)}</td>
          </tr>
          {step && (
            <>
              <tr>
                <td>step</td>
                <td>
                  {fmtDuration(step.duration_ms)} · {step.attempts} attempt{step.attempts === 1 ? "" : "s"}
                </td>
              </tr>
              <tr>
                <td>queued · retry</td>
                <td>
                  {fmtDuration(step.queued_ms)} · {fmtDuration(step.retry_ms)}
                </td>
              </tr>
              <tr>
                <td>slack</td>
                <td>{step.critical ? "on the critical path" : step.slack_ms != null ? fmtDuration(step.slack_ms) : "–"}</td>
              </tr>
            </>
          )}
        </tbody>
      </table>
    </>
  );
}

function LabelTip({ row }: { row: Row }) {
  const trend = useAnalytics((s) => s.trends?.steps[row.node]);
  return (
    <>
      <div className="t-title">{row.label}</div>
      {trend ? (
        <>
          <div className="t-kind">
            {trend.runs} runs · p50 {fmtDuration(trend.p50_ms)} · p95 {fmtDuration(trend.p95_ms)}
          </div>
          <Sparkline series={trend.series} p50={trend.p50_ms} p95={trend.p95_ms} width={220} height={40} />
        </>
      ) : (
        <div className="t-kind">click to select it on the canvas</div>
      )}
    </>
  );
}

export function TimelineChart({ report }: { report: RunReport }) {
  const wrap = useRef<HTMLDivElement>(null);
  const width = useWidth(wrap, 800);
  const wf = useEditor((s) => s.doc.workflow);
  const selection = useEditor((s) => s.selection);
  const { tip, show, hide } = useTip();

  const names = useMemo(() => {
    const byId = new Map<string, string>();
    for (const s of wf.steps) byId.set(s.id, s.name ?? s.id);
    for (const g of wf.groups) byId.set(g.id, g.name ?? g.id);
    return (id: string) => byId.get(id) ?? id;
  }, [wf]);
  const rows = useMemo(() => timelineRows(report, names), [report, names]);
  const end = timelineEnd(report, rows);
  const axis = niceAxis(end, Math.max(3, Math.floor((width - LABEL_W) / 90)));
  const x = linear(axis.domainMs, LABEL_W, Math.max(50, width - LABEL_W - PAD_R));
  const height = AXIS_H + rows.reduce((h, r) => h + rowHeight(r), 0) + 6;
  const selected = new Set(selection);

  let y = AXIS_H;
  const drawn = rows.map((r) => {
    const top = y;
    y += rowHeight(r);
    return { r, top };
  });

  return (
    <div className="an-timeline" ref={wrap} onMouseLeave={hide}>
      <svg width={width} height={height} data-testid="timeline" data-rows={rows.length} data-wall-ms={report.wall_ms}>
        <defs>
          <pattern id="an-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="6" height="6" className="hatch-bg" />
            <line x1="0" y1="0" x2="0" y2="6" className="hatch-line" />
          </pattern>
        </defs>
        {axis.ticks.map((t) => (
          <g key={t} className="an-tick">
            <line x1={x(t)} x2={x(t)} y1={AXIS_H - 4} y2={height} />
            <text x={x(t)} y={AXIS_H - 8} textAnchor={t === 0 ? "start" : x(t) > width - 30 ? "end" : "middle"}>
              {tickLabel(t, axis.stepMs)}
            </text>
          </g>
        ))}
        <line className="an-end" x1={x(report.wall_ms)} x2={x(report.wall_ms)} y1={AXIS_H - 4} y2={height}>
          <title>run ended at {fmtExactMs(report.wall_ms)}</title>
        </line>
        {drawn.map(({ r, top }) => {
          const h = rowHeight(r);
          const sel = selected.has(r.node);
          const click = () => focusNode(r.node);
          if (r.kind === "more") {
            return (
              <text key={r.key} x={LABEL_W + 4} y={top + h / 2 + 4} className="an-more">
                {r.label}
              </text>
            );
          }
          const indent = r.kind === "step" && r.group ? 14 : 0;
          return (
            <g
              key={r.key}
              className={`an-row ${r.kind}${r.critical ? " critical" : ""}${sel ? " selected" : ""}`}
              data-testid={`timeline-row-${r.key}`}
              data-node={r.node}
              data-critical={String(r.critical)}
              data-status={r.kind === "step" ? r.status : (r.outcome ?? undefined)}
            >
              <rect className="an-row-bg" x={0} y={top} width={width} height={h} onClick={click} />
              <text className="an-label" x={8 + indent} y={top + h / 2 + 4} onClick={click} onMouseMove={(e) => show(e, <LabelTip row={r} />)} onMouseLeave={hide}>
                {r.critical && <tspan className="an-crit-dot">● </tspan>}
                {r.label.length > 24 ? `${r.label.slice(0, 23)}…` : r.label}
              </text>
              {r.kind === "group" && r.span && (
                <g className="an-group-span" onClick={click} onMouseMove={(e) => show(e, <GroupTip row={r} report={report} />)} onMouseLeave={hide}>
                  <rect x={x(r.span.start)} y={top + h / 2 - 3} width={Math.max(2, x(r.span.end) - x(r.span.start))} height={6} rx={2} />
                  <line x1={x(r.span.start)} x2={x(r.span.start)} y1={top + 4} y2={top + h - 4} />
                  <line x1={x(r.span.end)} x2={x(r.span.end)} y1={top + 4} y2={top + h - 4} />
                </g>
              )}
              {r.kind === "step" &&
                r.segments.map((seg, i) => {
                  const x0 = x(seg.start);
                  const w = Math.max(seg.kind === "run" ? 2 : 1, x(seg.end) - x0);
                  const onMove = (e: React.MouseEvent) => show(e, <SegmentTip row={r} seg={seg} report={report} />);
                  if (seg.kind === "backoff") {
                    return (
                      <line key={i} className="an-seg backoff" x1={x0} x2={x0 + w} y1={top + h / 2} y2={top + h / 2} onMouseMove={onMove} onMouseLeave={hide} onClick={click} />
                    );
                  }
                  const inset = seg.kind === "queued" ? 7 : 4;
                  return (
                    <g key={i} onMouseMove={onMove} onMouseLeave={hide} onClick={click}>
                      <rect
                        className={`an-seg ${seg.kind} r-${seg.result}`}
                        data-testid={seg.kind === "run" ? `seg-${r.key}-${seg.attempt}` : undefined}
                        x={x0}
                        y={top + inset}
                        width={w}
                        height={h - inset * 2}
                        rx={seg.kind === "run" ? 3 : 1}
                      />
                      {seg.kind === "run" && r.attempts > 1 && w > 22 && (
                        <text className="an-seg-label" x={x0 + w / 2} y={top + h / 2 + 3.5} textAnchor="middle">
                          #{seg.attempt}
                        </text>
                      )}
                    </g>
                  );
                })}
              {r.kind === "step" && r.reused && (
                <text className="an-more" x={LABEL_W + 4} y={top + h / 2 + 4}>
                  reused from an earlier run
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <TipCard tip={tip} />
    </div>
  );
}

function GroupTip({ row, report }: { row: Extract<Row, { kind: "group" }>; report: RunReport }) {
  const g = report.groups[row.node];
  return (
    <>
      <div className="t-title">{row.label}</div>
      <div className="t-kind">
        group · {row.outcome ?? "not aggregated"}
        {g?.deciding_branch && ` · waited for ${g.deciding_branch}`}
      </div>
      {row.span && (
        <table>
          <tbody>
            <tr>
              <td>from</td>
              <td>{exact(row.span.start)}</td>
            </tr>
            <tr>
              <td>to</td>
              <td>{exact(row.span.end)}</td>
            </tr>
            <tr>
              <td>slack</td>
              <td>{g?.critical ? "on the critical path" : g?.slack_ms != null ? fmtDuration(g.slack_ms) : "–"}</td>
            </tr>
          </tbody>
        </table>
      )}
    </>
  );
}
