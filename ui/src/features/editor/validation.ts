// Live validation: every document change is sent (debounced) to the Rust
// validator; its diagnostics are stored with the document they belong to.
// Valid documents are also planned, for the predicted duration.
import { ipc } from "../../ipc";
import type { Doc } from "./ops";
import { useEditor } from "./store";

/** Debounce grows with the graph so typing never queues validations. */
function delayFor(doc: Doc): number {
  const n = doc.workflow.steps.length;
  return n > 500 ? 350 : n > 100 ? 200 : 120;
}

let inFlight: Doc | null = null;

async function run(doc: Doc) {
  inFlight = doc;
  try {
    const diagnostics = await ipc.validateWorkflow(doc.workflow);
    const s = useEditor.getState();
    if (s.doc !== doc && s.diagnosticsFor != null && inFlight !== doc) return;
    s.setDiagnostics(doc, diagnostics);
    if (!diagnostics.some((d) => d.severity === "error")) {
      const plan = await ipc.planWorkflow(doc.workflow);
      if (useEditor.getState().doc === doc) useEditor.getState().setPlan(plan);
    } else {
      s.setPlan(null);
    }
  } catch (err) {
    console.error("validation failed", err);
  }
}

/** Starts validating on every change; returns the unsubscribe function. */
export function startLiveValidation(): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = (doc: Doc) => {
    clearTimeout(timer);
    timer = setTimeout(() => void run(doc), delayFor(doc));
  };
  const unsubscribe = useEditor.subscribe((s, prev) => {
    if (s.doc !== prev.doc && s.diagnosticsFor !== s.doc) schedule(s.doc);
  });
  return () => {
    clearTimeout(timer);
    unsubscribe();
  };
}

/** For tests and the save path: validates now, without waiting for the debounce. */
export async function validateNow() {
  await run(useEditor.getState().doc);
}
