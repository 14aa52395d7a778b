// A step's durations across runs as a small line, with its p50 and p95 as
// reference lines (same y scale), the latest run as a dot.
import { sparkline } from "./sparkline";

export function Sparkline({ series, p50, p95, width = 120, height = 28, testId }: { series: number[]; p50?: number; p95?: number; width?: number; height?: number; testId?: string }) {
  if (series.length === 0) return <span className="an-muted">no runs</span>;
  const g = sparkline(series, width, height, 3, p95);
  const last = g.points[g.points.length - 1];
  return (
    <svg className="an-spark" width={width} height={height} viewBox={`0 0 ${width} ${height}`} data-testid={testId} data-points={series.length} aria-label={`durations of ${series.length} runs`}>
      {p95 != null && <line className="ref p95" x1={0} x2={width} y1={g.y(p95)} y2={g.y(p95)} />}
      {p50 != null && <line className="ref p50" x1={0} x2={width} y1={g.y(p50)} y2={g.y(p50)} />}
      <path className="line" d={g.path} />
      <circle className="last" cx={last.x} cy={last.y} r={2.2} />
    </svg>
  );
}
