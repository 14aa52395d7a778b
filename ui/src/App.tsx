import { useEffect, useMemo, useState } from "react";
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { ipc, platform } from "./ipc";
import { Canvas } from "./features/editor/Canvas";
import { confirmDiscard, openPath, updateTitle } from "./features/editor/files";
import { Inspector } from "./features/editor/Inspector";
import { Gallery, ShortcutHelp } from "./features/editor/Modals";
import { Palette } from "./features/editor/Palette";
import { Problems } from "./features/editor/Problems";
import { shortcutTable, useShortcuts } from "./features/editor/shortcuts";
import { isDirty, useEditor } from "./features/editor/store";
import { StatusBar, Toolbar } from "./features/editor/Toolbar";
import { startLiveValidation } from "./features/editor/validation";
import { SecretsDialog } from "./features/secrets/SecretsDialog";
import { ReviewDialog } from "./features/trust/ReviewDialog";
import { AnalyticsDock } from "./features/analytics/AnalyticsDock";
import { RunDock } from "./features/run/RunDock";

function Editor() {
  const [gallery, setGallery] = useState(false);
  const [help, setHelp] = useState(false);
  const theme = useEditor((s) => s.theme);
  const toast = useEditor((s) => s.toast);
  const rf = useReactFlow();

  const table = useMemo(
    () =>
      shortcutTable({
        toggleHelp: () => setHelp((h) => !h),
        toggleGallery: () => setGallery((g) => !g),
        fit: () => void rf.fitView({ padding: 0.15, maxZoom: 1.1, duration: 200 }),
      }),
    [rf],
  );
  useShortcuts(table);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  useEffect(() => startLiveValidation(), []);

  // Title follows the dirty state.
  useEffect(() => useEditor.subscribe((s, prev) => (isDirty(s) !== isDirty(prev) || s.path !== prev.path ? updateTitle() : undefined)), []);

  // Launch: the file named on the command line, else the last one, else the gallery.
  useEffect(() => {
    let cancelled = false;
    void ipc.startup().then(async (start) => {
      if (cancelled) return;
      if (start.file && (await openPath(start.file, { guard: false }))) return;
      setGallery(true);
    });
    return () => {
      cancelled = true;
    };
  }, []);

  // Unsaved-changes guard on window close.
  useEffect(() => platform.onCloseRequested(confirmDiscard), []);

  return (
    <div className="app">
      <Toolbar onGallery={() => setGallery(true)} onHelp={() => setHelp(true)} onFit={() => void rf.fitView({ padding: 0.15, maxZoom: 1.1, duration: 200 })} />
      <div className="workspace">
        <Palette />
        <main className="center">
          <Canvas />
          <Problems />
          <AnalyticsDock />
          <RunDock />
        </main>
        <Inspector />
      </div>
      <StatusBar />
      {gallery && <Gallery onClose={() => setGallery(false)} />}
      {help && <ShortcutHelp table={table} onClose={() => setHelp(false)} />}
      <ReviewDialog />
      <SecretsDialog />
      {toast && (
        <div className={`toast${toast.error ? " error" : ""}`} data-testid="toast">
          {toast.text}
        </div>
      )}
    </div>
  );
}

export default function App() {
  return (
    <ReactFlowProvider>
      <Editor />
    </ReactFlowProvider>
  );
}
