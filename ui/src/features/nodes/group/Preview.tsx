// Live preview of a group's aggregation: example verdicts per branch in, the
// engine's outcome out (computed in Rust by braid-engine's aggregation).
import { useEffect, useState } from "react";
import { ipc, type AggregatePreview, type ExampleBranch, type Group, type Step } from "../../../ipc";

interface Row {
  label: string;
  succeeded: boolean;
  score: number | null;
  approved: boolean | null;
  required: boolean;
  weight: number;
}

function initialRows(group: Group, branches: Step[]): Row[] {
  const fromStep = (s: Step, label: string): Row => {
    const sim = s.agent.kind === "sim" ? s.agent : null;
    return {
      label,
      succeeded: true,
      score: sim?.score ?? null,
      approved: sim?.approved ?? null,
      required: s.required !== false,
      weight: s.weight ?? 1,
    };
  };
  if (group.for_each != null && branches[0]) {
    const b = branches[0];
    return [0, 1, 2, 3].map((i) => ({ ...fromStep(b, `item ${i}`), score: [92, 85, 71, 64][i] }));
  }
  return branches.map((b) => fromStep(b, b.name ?? b.id));
}

export function AggregationPreview({ group, branches }: { group: Group; branches: Step[] }) {
  const signature = JSON.stringify([group.for_each ?? null, branches.map((b) => [b.id, b.weight, b.required, b.agent.kind === "sim" ? [b.agent.score, b.agent.approved] : null])]);
  const [rows, setRows] = useState<Row[]>(() => initialRows(group, branches));
  const [seen, setSeen] = useState(signature);
  if (seen !== signature) {
    setSeen(signature);
    setRows(initialRows(group, branches));
  }
  const [result, setResult] = useState<AggregatePreview | null>(null);

  useEffect(() => {
    let live = true;
    const examples: ExampleBranch[] = rows.map((r) => ({ succeeded: r.succeeded, score: r.score, approved: r.approved, required: r.required, weight: r.weight }));
    ipc
      .previewAggregate(group.aggregate, examples)
      .then((r) => live && setResult(r))
      .catch(() => live && setResult(null));
    return () => {
      live = false;
    };
  }, [rows, group.aggregate]);

  const put = (i: number, patch: Partial<Row>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  if (rows.length === 0) return <div className="help">Add branches to preview the outcome.</div>;
  return (
    <div data-testid="aggregate-preview-box">
      <table className="preview-table">
        <thead>
          <tr>
            <th>Example branch</th>
            <th>Result</th>
            <th>Score</th>
            <th>Approved</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              <td style={{ maxWidth: 92, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }} title={r.label}>
                {r.label}
                {!r.required && <span className="help"> (opt.)</span>}
              </td>
              <td>
                <select className="select" value={r.succeeded ? "ok" : "failed"} onChange={(e) => put(i, { succeeded: e.target.value === "ok" })}>
                  <option value="ok">ok</option>
                  <option value="failed">failed</option>
                </select>
              </td>
              <td>
                <input
                  className="input"
                  type="number"
                  min={0}
                  max={100}
                  disabled={!r.succeeded}
                  value={r.score ?? ""}
                  placeholder="—"
                  data-testid={`preview-score-${i}`}
                  onChange={(e) => put(i, { score: e.target.value === "" ? null : Number(e.target.value) })}
                />
              </td>
              <td>
                <select className="select" disabled={!r.succeeded} value={r.approved == null ? "" : r.approved ? "yes" : "no"} onChange={(e) => put(i, { approved: e.target.value === "" ? null : e.target.value === "yes" })}>
                  <option value="">—</option>
                  <option value="yes">yes</option>
                  <option value="no">no</option>
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {result && (
        <div className={`outcome ${result.outcome}`} data-testid="aggregate-preview" data-outcome={result.outcome}>
          <span>→ {result.outcome.replace("_", " ")}</span>
          <span>{result.score != null ? `score ${Math.round(result.score * 100) / 100}` : "no score"}</span>
        </div>
      )}
    </div>
  );
}
