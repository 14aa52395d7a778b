export { fmtDuration } from "../../lib/duration";

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
