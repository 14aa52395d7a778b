// How Braid writes a duration. The rule is braid_model::human::duration in
// Rust (CLI, reports); this is the app's copy for values that tick in the
// webview (a running step's timer), and both are tested against the same
// table, src-tauri/crates/model/tests/fixtures/durations.json.
//
// The unit is chosen after rounding to the precision shown, so no value
// reads as a carry ("1000 ms", "1 min 60 s"):
// 412 ms · 2.41 s · 24.1 s · 4 min 05 s · 1 h 02 min

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  const text = magnitude(Math.abs(ms));
  return ms < 0 && text !== "0 ms" ? `−${text}` : text;
}

function magnitude(ms: number): string {
  const wholeMs = Math.round(ms);
  if (wholeMs < 1000) return `${wholeMs} ms`;
  const centiseconds = Math.round(ms / 10);
  if (centiseconds < 1000) return `${(centiseconds / 100).toFixed(2)} s`;
  const deciseconds = Math.round(ms / 100);
  if (deciseconds < 600) return `${(deciseconds / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, "0")} s`;
  }
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}
