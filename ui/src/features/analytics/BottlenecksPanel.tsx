// The report's bottlenecks, largest impact first; a click selects the node and
// centres the canvas on it.
import { Message } from "./Message";
import { fmtDuration, fmtPct } from "./format";
import { focusNode } from "./store";
import type { Bottleneck, RunReport } from "./types";

const KIND: Record<string, string> = {
  slow_step: "slow step",
  fan_in: "fan-in wait",
  queueing: "queueing",
  retries: "retries",
  coordination_overhead: "coordination overhead",
  regression: "regression",
};

function detail(b: Bottleneck): string | null {
  if (b.kind === "queueing" && b.limit) return `waited for ${b.limit}`;
  if (b.kind === "fan_in" && b.group) return `held up ${b.group}`;
  if (b.kind === "slow_step" && b.ratio != null) return `${b.ratio.toFixed(1)}× the mean step`;
  if (b.kind === "regression" && b.p95_ms != null) return `p95 was ${fmtDuration(b.p95_ms)}`;
  if (b.kind === "retries" && b.retry_rate != null) return `retried in ${fmtPct(b.retry_rate)} of earlier runs`;
  return null;
}

export function BottlenecksPanel({ report }: { report: RunReport }) {
  if (report.bottlenecks.length === 0) {
    return <div className="an-empty">No bottlenecks: nothing cost this run a noticeable share of its {fmtDuration(report.wall_ms)}.</div>;
  }
  const most = Math.max(1, ...report.bottlenecks.map((b) => b.impact_ms));
  return (
    <ol className="an-list" data-testid="bottlenecks">
      {report.bottlenecks.map((b, i) => {
        const extra = detail(b);
        return (
          <li
            key={i}
            className={`an-item sev-${b.severity}${b.node ? " clickable" : ""}`}
            data-testid="bottleneck"
            data-node={b.node ?? undefined}
            data-kind={b.kind}
            data-severity={b.severity}
            data-impact-ms={b.impact_ms}
            onClick={() => b.node && focusNode(b.node)}
            title={b.node ? `Select ${b.node} on the canvas` : undefined}
          >
            <span className={`an-sev ${b.severity}`}>{b.severity}</span>
            <div className="an-item-main">
              <div className="an-item-head">
                <b>{KIND[b.kind] ?? b.kind}</b>
                {b.node && <code>{b.node}</code>}
                {extra && <span className="an-muted">{extra}</span>}
              </div>
              <Message text={b.message} />
            </div>
            <div className="an-impact" title="wall time it cost this run">
              <span className="v">{fmtDuration(b.impact_ms)}</span>
              <span className="bar">
                <span style={{ width: `${(b.impact_ms / most) * 100}%` }} />
              </span>
              <span className="an-muted">{fmtPct(b.impact_ms / Math.max(1, report.wall_ms))} of the run</span>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
