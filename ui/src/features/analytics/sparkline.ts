// The app's copy of braid_analytics::chart::spark_points (the HTML report's
// sparklines): both are tested against .../analytics/tests/fixtures/charts.json.
// Small-chart geometry: a series of durations to an SVG path in a box, with a
// y mapping the caller reuses for reference lines (p50, p95). The y range
// starts at zero so a flat series reads flat, not as noise blown up.

export interface SparkGeometry {
  path: string;
  /** Point coordinates, oldest first. */
  points: { x: number; y: number }[];
  y: (v: number) => number;
  max: number;
}

export function sparkline(series: number[], width: number, height: number, pad = 2, ceiling?: number): SparkGeometry {
  const max = Math.max(1, ceiling ?? 0, ...series);
  const innerH = height - pad * 2;
  const y = (v: number) => pad + innerH - (Math.max(0, v) / max) * innerH;
  const n = series.length;
  const step = n > 1 ? (width - pad * 2) / (n - 1) : 0;
  const points = series.map((v, i) => ({ x: n > 1 ? pad + i * step : width / 2, y: y(v) }));
  const path = points.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(" ");
  return { path, points, y, max };
}

/** Nearest-rank percentile, as the engine's trends compute it (q in 0..1). */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** One step's durations across run digests (oldest first), runs where it started only. */
export function stepSeries(digests: { started_at_ms: number; steps: { id: string; duration_ms: number; attempts: number }[] }[], stepId: string): number[] {
  return [...digests]
    .sort((a, b) => a.started_at_ms - b.started_at_ms)
    .flatMap((d) => d.steps.filter((s) => s.id === stepId && s.attempts > 0).map((s) => s.duration_ms));
}
