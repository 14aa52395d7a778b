// The app's copy of braid_analytics::chart (the HTML report's axis): both are
// tested against src-tauri/crates/analytics/tests/fixtures/charts.json.
// The time axis: a linear scale from milliseconds to pixels, and "nice" tick
// steps so a 300 ms run and a three-hour run both get a handful of readable
// labels (ms for short runs, seconds, m:ss, then minutes and hours).

/** Candidate tick steps in milliseconds, smallest first. */
const STEPS = [
  1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500,
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000,
  60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

export interface Axis {
  /** Milliseconds at the right edge (≥ the data's end, a whole number of steps). */
  domainMs: number;
  stepMs: number;
  ticks: number[];
}

/** A step giving at most `maxTicks` intervals over `spanMs`, and the ticks. */
export function niceAxis(spanMs: number, maxTicks = 8): Axis {
  const span = Math.max(1, spanMs);
  const stepMs = STEPS.find((s) => span / s <= maxTicks) ?? Math.ceil(span / maxTicks / 86_400_000) * 86_400_000;
  const domainMs = Math.ceil(span / stepMs) * stepMs;
  const ticks: number[] = [];
  for (let t = 0; t <= domainMs + 1e-9; t += stepMs) ticks.push(t);
  return { domainMs, stepMs, ticks };
}

/** A tick's label, precise enough to tell it from its neighbours at `stepMs`. */
export function tickLabel(t: number, stepMs: number): string {
  if (t === 0) return "0";
  if (stepMs < 1000) {
    if (t < 1000) return `${t} ms`;
    const decimals = stepMs % 100 === 0 ? 1 : stepMs % 10 === 0 ? 2 : 3;
    return `${(t / 1000).toFixed(decimals).replace(/\.?0+$/, "")} s`;
  }
  if (stepMs < 60_000) {
    if (t < 60_000) return `${t / 1000} s`;
    const m = Math.floor(t / 60_000);
    const s = Math.round((t % 60_000) / 1000);
    return `${m}:${String(s).padStart(2, "0")}`;
  }
  if (t < 3_600_000) return `${Math.round(t / 60_000)} min`;
  const h = Math.floor(t / 3_600_000);
  const m = Math.round((t % 3_600_000) / 60_000);
  return m === 0 ? `${h} h` : `${h} h ${String(m).padStart(2, "0")}`;
}

/** Milliseconds → pixels across `[x0, x0 + width]` for `[0, domainMs]`. */
export function linear(domainMs: number, x0: number, width: number): (ms: number) => number {
  const k = width / Math.max(1, domainMs);
  return (ms) => x0 + Math.max(0, Math.min(domainMs, ms)) * k;
}
