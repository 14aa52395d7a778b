// The result: the selected step's (or group's) outputs, score, verdict and
// error as JSON; without a selection, the run's own result.
import { useEditor } from "../editor/store";
import { openPastRun } from "./HistoryTab";
import type { RunView } from "./reducer";
import { useRun } from "./store";

/** The runs a `workflow` step started (one per attempt and map element), each openable on its own canvas. */
function SubRuns({ step }: { step: string }) {
  const events = useRun((s) => s.events);
  const loaded = useRun((s) => s.loaded);
  const started = events.flatMap((e) => (e.type === "sub_run_started" && e.step === step ? [e] : []));
  if (started.length === 0) return null;
  return (
    <div data-testid="sub-runs">
      <h4 style={{ margin: "10px 0 6px" }}>Sub-workflow runs</h4>
      {started.map((e) => {
        const info = loaded?.sub_runs.find((r) => r.run_id === e.run_id);
        return (
          <div key={e.run_id} className="run-hint" style={{ padding: "2px 0" }}>
            <code>{e.workflow_id}</code> · {e.element != null ? `element ${e.element} · ` : ""}attempt {e.attempt} · <code>{e.run_id}</code>
            {info ? ` · ${info.status} ` : " "}
            {info && (
              <button className="btn" style={{ height: 22 }} onClick={() => void openPastRun(info)} data-testid={`sub-run-open-${e.run_id}`}>
                Open
              </button>
            )}
          </div>
        );
      })}
    </div>
  );
}

export function ResultTab({ view }: { view: RunView }) {
  const selected = useEditor((s) => s.selection[0] ?? null);
  const summary = useRun((s) => s.summary);
  const node = selected ? view.nodes[selected] : undefined;
  if (selected && node) {
    const isGroup = view.shape.groups.some((g) => g.id === selected);
    const result = isGroup
      ? { status: node.status, outcome: node.outcome, score: node.score, approved: node.approved, elements: node.counts ?? undefined }
      : { status: node.status, outputs: node.outputs, score: node.score, approved: node.approved, error: node.error, attempts: node.attempt, counts: node.counts ?? undefined };
    return (
      <div>
        <h4 style={{ margin: "2px 0 6px" }}>
          Result of <code>{selected}</code>
        </h4>
        <pre className="run-json" data-testid="run-result">
          {JSON.stringify(result, null, 2)}
        </pre>
        <SubRuns step={selected} />
      </div>
    );
  }
  const run = summary ?? { run_id: view.runId, workflow_id: view.workflowId, status: view.status, error: view.error, inputs: view.inputs, context: view.context };
  return (
    <div>
      <h4 style={{ margin: "2px 0 6px" }}>Run result {summary ? "(as recorded in the store)" : "(so far)"} — select a step for its own</h4>
      <pre className="run-json" data-testid="run-result">
        {JSON.stringify(run, null, 2)}
      </pre>
    </div>
  );
}
