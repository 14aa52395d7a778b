// Durations for people: milliseconds stay exact while they are small, longer
// spans round to what a reader compares (seconds, then minutes, then hours).

/** 412 ms · 2.41 s · 24.1 s · 4 min 05 s · 1 h 02 min */
export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  const neg = ms < 0;
  const a = Math.abs(Math.round(ms));
  let out: string;
  if (a < 1000) out = `${a} ms`;
  else if (a < 10_000) out = `${(a / 1000).toFixed(2)} s`;
  else if (a < 60_000) out = `${(a / 1000).toFixed(1)} s`;
  else if (a < 3_600_000) {
    const m = Math.floor(a / 60_000);
    const s = Math.round((a % 60_000) / 1000);
    out = s === 60 ? `${m + 1} min 00 s` : `${m} min ${String(s).padStart(2, "0")} s`;
  } else {
    const h = Math.floor(a / 3_600_000);
    const m = Math.round((a % 3_600_000) / 60_000);
    out = m === 60 ? `${h + 1} h 00 min` : `${h} h ${String(m).padStart(2, "0")} min`;
  }
  return neg ? `−${out}` : out;
}

/** Exact milliseconds with thousands separators, for tooltips: `12,345 ms`. */
export function fmtExactMs(ms: number): string {
  return `${Math.round(ms).toLocaleString("en-US")} ms`;
}

export function fmtPct(share: number | null, digits = 0): string {
  if (share == null || !Number.isFinite(share)) return "–";
  return `${(share * 100).toFixed(digits)} %`;
}

/** Epoch milliseconds as a short local date and time. */
export function fmtWhen(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
