// Window and dialog access (Tauri plugins), behind one small surface so the
// rest of the UI never touches Tauri directly and tests can run without it.
import { getCurrentWindow } from "@tauri-apps/api/window";
import { ask, open, save } from "@tauri-apps/plugin-dialog";

const inTauri = () => typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;

export const platform = {
  async setTitle(title: string) {
    if (inTauri()) await getCurrentWindow().setTitle(title);
    else document.title = title;
  },
  async ask(message: string, title: string): Promise<boolean> {
    if (!inTauri()) return window.confirm(message);
    return ask(message, { title, kind: "warning", okLabel: "Discard", cancelLabel: "Keep editing" });
  },
  async openFileDialog(): Promise<string | null> {
    const picked = await open({ multiple: false, directory: false, filters: [{ name: "Braid workflow", extensions: ["json"] }] });
    return typeof picked === "string" ? picked : null;
  },
  async saveFileDialog(defaultPath: string): Promise<string | null> {
    return save({ defaultPath, filters: [{ name: "Braid workflow", extensions: ["json"] }] });
  },
  /** Runs `guard` when the window is asked to close; closes only if it returns true. */
  onCloseRequested(guard: () => Promise<boolean>): () => void {
    if (!inTauri()) return () => {};
    let unlisten: (() => void) | undefined;
    let disposed = false;
    void getCurrentWindow()
      .onCloseRequested(async (event) => {
        if (!(await guard())) event.preventDefault();
      })
      .then((u) => {
        if (disposed) u();
        else unlisten = u;
      });
    return () => {
      disposed = true;
      unlisten?.();
    };
  },
};
