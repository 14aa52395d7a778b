// The editor's state: one zustand store. Only `doc` (workflow + positions) is
// tracked by the undo/redo middleware; selection, diagnostics, the drag in
// progress and the file's path are view state.
import { create } from "zustand";
import { temporal } from "zundo";
import type { Diagnostic, Plan } from "../../ipc";
import type { Clip, Doc } from "./ops";
import { emptyWorkflow } from "./ops";

export type Theme = "light" | "dark";

export interface EditorState {
  doc: Doc;
  /** The file this document was opened from or saved to; `null` for a new one. */
  path: string | null;
  /** The document as last loaded or saved (dirty = `doc !== savedDoc`). */
  savedDoc: Doc;
  /** Set when the opened file could not be parsed at all. */
  unreadable: boolean;
  diagnostics: Diagnostic[];
  /** Which `doc` the diagnostics belong to (stale while validation runs). */
  diagnosticsFor: Doc | null;
  plan: Plan | null;
  selection: string[];
  selectedEdges: string[];
  /** Positions (React Flow coordinates) of nodes being dragged right now. */
  drag: Record<string, { x: number; y: number }> | null;
  /** The group a dragged step would join if dropped now. */
  dropTarget: string | null;
  dataflowKey: string | null;
  clipboard: Clip | null;
  theme: Theme;
  /** Increments to ask the canvas to fit the view (after open, layout). */
  fitRequest: number;
  /** Increments to ask the canvas to centre on the selection. */
  focusRequest: number;
  toast: { text: string; error: boolean } | null;
}

export interface EditorActions {
  /** A tracked edit: one undo step. */
  edit: (fn: (doc: Doc) => Doc) => void;
  /** Replaces the document and forgets the undo history (open, new). */
  load: (doc: Doc, path: string | null, opts?: { unreadable?: boolean; diagnostics?: Diagnostic[] }) => void;
  markSaved: (path: string, doc: Doc) => void;
  select: (nodes: string[], edges?: string[]) => void;
  setDrag: (drag: Record<string, { x: number; y: number }> | null, dropTarget?: string | null) => void;
  setDiagnostics: (doc: Doc, diagnostics: Diagnostic[]) => void;
  setPlan: (plan: Plan | null) => void;
  setDataflowKey: (key: string | null) => void;
  setClipboard: (clip: Clip | null) => void;
  setTheme: (theme: Theme) => void;
  requestFit: () => void;
  requestFocus: () => void;
  showToast: (text: string, error?: boolean) => void;
}

export type EditorStore = EditorState & EditorActions;

const initialDoc: Doc = { workflow: emptyWorkflow(), positions: {} };

function storedTheme(): Theme {
  try {
    const t = globalThis.localStorage?.getItem("braid.theme");
    if (t === "dark" || t === "light") return t;
  } catch {
    // storage unavailable: fall through
  }
  return globalThis.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;

export const useEditor = create<EditorStore>()(
  temporal(
    (set) => ({
      doc: initialDoc,
      path: null,
      savedDoc: initialDoc,
      unreadable: false,
      diagnostics: [],
      // An empty workflow has no problems: nothing to wait for.
      diagnosticsFor: initialDoc,
      plan: null,
      selection: [],
      selectedEdges: [],
      drag: null,
      dropTarget: null,
      dataflowKey: null,
      clipboard: null,
      theme: storedTheme(),
      fitRequest: 0,
      focusRequest: 0,
      toast: null,

      edit: (fn) =>
        set((s) => {
          const doc = fn(s.doc);
          return doc === s.doc ? s : { doc };
        }),
      load: (doc, path, opts) => {
        set({
          doc,
          path,
          savedDoc: doc,
          unreadable: opts?.unreadable ?? false,
          diagnostics: opts?.diagnostics ?? [],
          diagnosticsFor: opts?.diagnostics ? doc : null,
          plan: null,
          selection: [],
          selectedEdges: [],
          drag: null,
          dropTarget: null,
          dataflowKey: null,
        });
        useEditor.temporal.getState().clear();
      },
      markSaved: (path, doc) => set({ path, savedDoc: doc }),
      select: (nodes, edges = []) => set({ selection: nodes, selectedEdges: edges }),
      setDrag: (drag, dropTarget = null) => set({ drag, dropTarget }),
      setDiagnostics: (doc, diagnostics) => set({ diagnostics, diagnosticsFor: doc }),
      setPlan: (plan) => set({ plan }),
      setDataflowKey: (dataflowKey) => set({ dataflowKey }),
      setClipboard: (clipboard) => set({ clipboard }),
      setTheme: (theme) => {
        try {
          globalThis.localStorage?.setItem("braid.theme", theme);
        } catch {
          // not persisted: fine
        }
        set({ theme });
      },
      requestFit: () => set((s) => ({ fitRequest: s.fitRequest + 1 })),
      requestFocus: () => set((s) => ({ focusRequest: s.focusRequest + 1 })),
      showToast: (text, error = false) => {
        clearTimeout(toastTimer);
        set({ toast: { text, error } });
        toastTimer = setTimeout(() => set({ toast: null }), error ? 6000 : 2500);
      },
    }),
    {
      partialize: (s) => ({ doc: s.doc }),
      equality: (a, b) => a.doc === b.doc,
      limit: 300,
    },
  ),
);

export const undo = () => useEditor.temporal.getState().undo();
export const redo = () => useEditor.temporal.getState().redo();
export const isDirty = (s: EditorState) => s.doc !== s.savedDoc;
