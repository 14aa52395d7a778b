// The context inspector: every key's current value, and its audit trail —
// who wrote which key when, old → new. Click a key to see only its history.
import { useState } from "react";
import type { RunView } from "./reducer";

const clip = (v: unknown) => {
  if (v === undefined) return "—";
  const s = JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
};

export function ContextTab({ view }: { view: RunView }) {
  const [key, setKey] = useState<string | null>(null);
  const t0 = view.startedAt ?? 0;
  const writes = key ? view.writes.filter((w) => w.key === key) : view.writes;
  const keys = Object.keys(view.context).sort();
  return (
    <div className="run-split" style={{ gridTemplateColumns: "minmax(260px, 38%) 1fr" }}>
      <div style={{ overflow: "auto" }}>
        <table className="run-table" data-testid="context-table">
          <thead>
            <tr>
              <th>key</th>
              <th>value</th>
            </tr>
          </thead>
          <tbody>
            {keys.length === 0 && (
              <tr>
                <td colSpan={2} className="run-hint">
                  Nothing written yet.
                </td>
              </tr>
            )}
            {keys.map((k) => (
              <tr key={k} className={`clickable${key === k ? " on" : ""}`} onClick={() => setKey(key === k ? null : k)} data-testid={`context-${k}`}>
                <td>
                  <code>{k}</code>
                </td>
                <td className="mono">{clip(view.context[k])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div style={{ overflow: "auto" }}>
        <table className="run-table" data-testid="context-audit">
          <thead>
            <tr>
              <th>at</th>
              <th>writer</th>
              <th>key{key && <button className="run-drill" onClick={() => setKey(null)}> (show all)</button>}</th>
              <th>old → new</th>
            </tr>
          </thead>
          <tbody>
            {writes.length === 0 && (
              <tr>
                <td colSpan={4} className="run-hint">
                  No writes{key ? ` to ${key}` : ""} recorded.
                </td>
              </tr>
            )}
            {writes.map((w) => (
              <tr key={w.seq} data-testid="context-write">
                <td className="num">+{((w.at - t0) / 1000).toFixed(2)} s</td>
                <td>
                  <code>{w.writer}</code>
                </td>
                <td>
                  <code>{w.key}</code>
                </td>
                <td className="mono">
                  {clip(w.old)} → {clip(w.new)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
