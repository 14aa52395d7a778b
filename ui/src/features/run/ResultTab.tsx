// The result: the selected step's (or group's) outputs, score, verdict and
// error as JSON; without a selection, the run's own result.
import { useEditor } from "../editor/store";
import type { RunView } from "./reducer";
import { useRun } from "./store";

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
