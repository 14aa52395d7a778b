// Keyboard shortcuts: one table drives both the handler and the help sheet.
import { useEffect } from "react";
import { copySelection, cutSelection, deleteSelection, duplicateSelection, paste, selectAll } from "./actions";
import { newWorkflow, openDialog, relayout, save, saveAs } from "./files";
import { redo, undo, useEditor } from "./store";

export interface Shortcut {
  keys: string[];
  label: string;
  /** Matches a keydown event. */
  match: (e: KeyboardEvent, mod: boolean) => boolean;
  run: () => void;
  /** Also active while typing in a field. */
  inFields?: boolean;
}

const k = (e: KeyboardEvent) => e.key.toLowerCase();

export function shortcutTable(ui: { toggleHelp: () => void; toggleGallery: () => void; fit: () => void }): Shortcut[] {
  return [
    { keys: ["Ctrl", "Z"], label: "Undo", match: (e, m) => m && !e.shiftKey && k(e) === "z", run: undo },
    { keys: ["Ctrl", "Shift", "Z"], label: "Redo", match: (e, m) => m && ((e.shiftKey && k(e) === "z") || k(e) === "y"), run: redo },
    { keys: ["Ctrl", "C"], label: "Copy", match: (e, m) => m && k(e) === "c", run: () => void copySelection() },
    { keys: ["Ctrl", "X"], label: "Cut", match: (e, m) => m && k(e) === "x", run: cutSelection },
    { keys: ["Ctrl", "V"], label: "Paste", match: (e, m) => m && k(e) === "v", run: paste },
    { keys: ["Ctrl", "D"], label: "Duplicate", match: (e, m) => m && k(e) === "d", run: duplicateSelection },
    { keys: ["Ctrl", "A"], label: "Select all", match: (e, m) => m && k(e) === "a", run: selectAll },
    { keys: ["Del"], label: "Delete selection", match: (e, m) => !m && (e.key === "Delete" || e.key === "Backspace"), run: deleteSelection },
    { keys: ["Ctrl", "S"], label: "Save", match: (e, m) => m && !e.shiftKey && k(e) === "s", run: () => void save(), inFields: true },
    { keys: ["Ctrl", "Shift", "S"], label: "Save as…", match: (e, m) => m && e.shiftKey && k(e) === "s", run: () => void saveAs(), inFields: true },
    { keys: ["Ctrl", "O"], label: "Open…", match: (e, m) => m && k(e) === "o", run: () => void openDialog(), inFields: true },
    { keys: ["Ctrl", "N"], label: "New workflow", match: (e, m) => m && k(e) === "n", run: () => void newWorkflow(), inFields: true },
    { keys: ["L"], label: "Auto-layout", match: (e, m) => !m && !e.shiftKey && k(e) === "l", run: () => void relayout() },
    { keys: ["F"], label: "Fit view", match: (e, m) => !m && !e.shiftKey && k(e) === "f", run: ui.fit },
    { keys: ["E"], label: "Example gallery", match: (e, m) => !m && k(e) === "e", run: ui.toggleGallery },
    {
      keys: ["Esc"],
      label: "Clear selection and trace",
      match: (e) => e.key === "Escape",
      run: () => {
        const s = useEditor.getState();
        s.select([], []);
        s.setDataflowKey(null);
      },
    },
    { keys: ["?"], label: "This help", match: (e) => e.key === "?", run: ui.toggleHelp },
  ];
}

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable;
}

export function useShortcuts(table: Shortcut[]) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const inField = typing(e.target);
      for (const s of table) {
        if (inField && !s.inFields) continue;
        if (s.match(e, mod)) {
          e.preventDefault();
          s.run();
          return;
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [table]);
}
