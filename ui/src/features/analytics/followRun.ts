// Analytics follows the run view (features/run): when a run ends there, or a
// past run is opened for replay, that run becomes the one analysed, and the
// prediction is planned again since the store's history just grew.
import { ipc } from "../../ipc";
import { useEditor } from "../editor/store";
import { useRun } from "../run/store";
import { useAnalytics } from "./store";

export function followRunView(): () => void {
  return useRun.subscribe((s, prev) => {
    const id = s.summary?.run_id;
    if (!id || id === prev.summary?.run_id) return;
    const a = useAnalytics.getState();
    if (a.runId !== id) useAnalytics.setState({ runId: id, report: null });
    // `refresh` keeps the chosen run when it is in the (re)loaded list.
    if (a.open || a.showCritical) void a.refresh();
    if (s.mode === "live") void replan();
  });
}

async function replan() {
  const doc = useEditor.getState().doc;
  const { diagnostics, diagnosticsFor } = useEditor.getState();
  if (diagnosticsFor !== doc || diagnostics.some((d) => d.severity === "error")) return;
  try {
    const plan = await ipc.planWorkflow(doc.workflow);
    if (useEditor.getState().doc === doc) useEditor.getState().setPlan(plan);
  } catch {
    // The prediction stays as it was; the next edit plans again.
  }
}
