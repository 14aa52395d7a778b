// Files: open, new, save, save as, the unsaved-changes guard, and the window title.
import { ipc, platform, type CommandError, type Layout, type OpenedWorkflow } from "../../ipc";
import type { Pos } from "./geometry";
import { autoLayout } from "./layout";
import { emptyWorkflow, layoutOf, settleGroups, type Doc } from "./ops";
import { markOpenStart } from "./perf";
import { isDirty, useEditor } from "./store";
import { checkTrust } from "../trust/status";

function errorText(err: unknown): string {
  if (err && typeof err === "object" && "message" in err) return String((err as CommandError).message);
  return String(err);
}

function baseName(path: string | null): string {
  if (!path) return "Untitled";
  return path.split(/[\\/]/).pop() ?? path;
}

export function updateTitle() {
  const s = useEditor.getState();
  const name = s.doc.workflow.name ?? s.doc.workflow.id;
  void platform.setTitle(`${isDirty(s) ? "● " : ""}${name} — ${baseName(s.path)} — Braid`);
}

/** Positions from the sidecar; nodes it does not place are laid out automatically. */
export async function positionsFor(opened: Pick<OpenedWorkflow, "workflow" | "layout">): Promise<Record<string, Pos>> {
  const wf = opened.workflow;
  if (!wf) return {};
  const stored: Record<string, Pos> = {};
  for (const [id, p] of Object.entries((opened.layout as Layout | null)?.nodes ?? {})) {
    if (!p) continue;
    const pos: Pos = { x: p.x ?? 0, y: p.y ?? 0 };
    if (p.width != null) pos.width = p.width;
    if (p.height != null) pos.height = p.height;
    stored[id] = pos;
  }
  const missing = wf.steps.some((s) => !stored[s.id]) || wf.groups.some((g) => !stored[g.id] && !wf.steps.some((s) => s.group === g.id));
  if (!missing) return stored;
  const auto = await autoLayout(wf);
  return Object.keys(stored).length ? { ...auto, ...stored } : auto;
}

/** Asks before throwing away unsaved changes; true when it is fine to go on. */
export async function confirmDiscard(): Promise<boolean> {
  const s = useEditor.getState();
  if (!isDirty(s)) return true;
  return platform.ask(`“${s.doc.workflow.name ?? s.doc.workflow.id}” has unsaved changes. Discard them?`, "Unsaved changes");
}

export async function openPath(path: string, opts: { guard?: boolean } = {}): Promise<boolean> {
  if (opts.guard !== false && !(await confirmDiscard())) return false;
  markOpenStart();
  try {
    const opened = await ipc.openWorkflow(path);
    performance.mark("braid:read");
    const s = useEditor.getState();
    if (!opened.workflow) {
      s.load({ workflow: emptyWorkflow(), positions: {} }, opened.path, { unreadable: true, diagnostics: opened.diagnostics });
      s.showToast(`${baseName(opened.path)} could not be read: see the problems list`, true);
      updateTitle();
      return true;
    }
    const positions = await positionsFor(opened);
    performance.mark("braid:laid-out");
    const doc: Doc = settleGroups({ workflow: opened.workflow, positions });
    s.load(doc, opened.path, { diagnostics: opened.diagnostics });
    performance.mark("braid:loaded");
    // The grown group rectangles are not an edit: the file is as it was.
    useEditor.setState({ savedDoc: doc });
    s.requestFit();
    updateTitle();
    // Opening never runs anything; a file not approved here shows its review (viewing and editing stay allowed).
    void checkTrust(opened.path, { show: true });
    if (!opened.diagnostics.some((d) => d.severity === "error")) {
      void ipc.planWorkflow(doc.workflow).then((plan) => useEditor.getState().doc === doc && useEditor.getState().setPlan(plan));
    }
    return true;
  } catch (err) {
    useEditor.getState().showToast(`Could not open ${baseName(path)}: ${errorText(err)}`, true);
    return false;
  }
}

export async function openDialog() {
  if (!(await confirmDiscard())) return;
  const path = await platform.openFileDialog();
  if (path) await openPath(path, { guard: false });
}

export async function newWorkflow() {
  if (!(await confirmDiscard())) return;
  useEditor.getState().load({ workflow: emptyWorkflow(), positions: {} }, null);
  updateTitle();
}

async function writeTo(path: string): Promise<boolean> {
  const s = useEditor.getState();
  const doc = s.doc;
  try {
    // The document's own file (null: created here) decides whether the user's
    // trust carries over to what is written (see save_workflow).
    const saved = await ipc.saveWorkflow(path, doc.workflow, layoutOf(doc), s.path);
    useEditor.getState().markSaved(saved.path, doc);
    // The file's hash changed: the trust badge follows what is on disk now.
    void checkTrust(saved.path, { show: false });
    useEditor.getState().showToast(`Saved ${baseName(saved.path)}`);
    updateTitle();
    return true;
  } catch (err) {
    useEditor.getState().showToast(`Not saved: ${errorText(err)}`, true);
    return false;
  }
}

export async function save(): Promise<boolean> {
  const s = useEditor.getState();
  if (s.unreadable) {
    s.showToast("This file could not be read; fix it in a text editor first", true);
    return false;
  }
  if (!s.path) return saveAs();
  return writeTo(s.path);
}

export async function saveAs(): Promise<boolean> {
  const s = useEditor.getState();
  const path = await platform.saveFileDialog(s.path ?? `${s.doc.workflow.id}.json`);
  if (!path) return false;
  return writeTo(path.endsWith(".json") ? path : `${path}.json`);
}

export async function relayout() {
  const s = useEditor.getState();
  const positions = await autoLayout(s.doc.workflow);
  s.edit((doc) => settleGroups({ ...doc, positions }));
  s.requestFit();
}
