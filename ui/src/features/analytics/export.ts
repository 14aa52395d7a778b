// Exporting a run's report: the person picks where (save dialog), the
// backend renders and writes it (the same renderers as `braid report`).
import { save } from "@tauri-apps/plugin-dialog";
import { useEditor } from "../editor/store";
import { api } from "./source";

const FORMATS = {
  html: { ext: "html", name: "HTML report" },
  markdown: { ext: "md", name: "Markdown report" },
} as const;

export async function exportReport(runId: string, format: keyof typeof FORMATS): Promise<string | null> {
  const f = FORMATS[format];
  const editor = useEditor.getState();
  const dir = editor.path ? editor.path.replace(/[\\/][^\\/]*$/, "") : null;
  const file = `${editor.doc.workflow.id}-${runId.slice(-8).toLowerCase()}.${f.ext}`;
  try {
    const path = await save({ defaultPath: dir ? `${dir}/${file}` : file, filters: [{ name: f.name, extensions: [f.ext] }] });
    if (!path) return null;
    await api.exportReport(runId, format, path);
    editor.showToast(`Report saved to ${path}`);
    return path;
  } catch (err) {
    editor.showToast(`Export failed: ${err instanceof Error ? err.message : String(err)}`, true);
    return null;
  }
}
