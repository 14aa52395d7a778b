// The top bar: file, edit and view commands, the data-flow trace, theme, run.
import { useEffect, useRef, useState } from "react";
import { useStore } from "zustand";
import { Icon } from "../../components/icons";
import { ipc } from "../../ipc";
import { allKeys } from "./dataflow";
import { newWorkflow, openDialog, openPath, relayout, save, saveAs } from "./files";
import { isDirty, redo, undo, useEditor } from "./store";
import { SecretsButton } from "../secrets/SecretsButton";
import { TrustBadge } from "../trust/TrustBadge";
import { RunButton } from "../run/RunButton";
import { fmtDuration } from "../../lib/duration";
import { AnalyticsButton, CriticalToggle, PredictedDuration } from "../analytics/ToolbarItems";

/** `…/workflows/blog-publishing.json`: the end of a path is the part that tells files apart. */
function shortPath(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts.length > 3 ? `…/${parts.slice(-2).join("/")}` : path;
}

function RecentMenu() {
  const [open, setOpen] = useState(false);
  const [recent, setRecent] = useState<string[]>([]);
  const ref = useRef<HTMLDivElement>(null);
  // The top bar clips what overflows it (it gives way on narrow windows), so
  // the menu is placed in the viewport, under its button, not inside the bar.
  const [at, setAt] = useState<{ top: number; left: number } | null>(null);
  const toggle = (button: HTMLElement) => {
    const r = button.getBoundingClientRect();
    setAt({ top: r.bottom + 4, left: Math.max(4, Math.min(r.left, window.innerWidth - 290)) });
    setOpen(!open);
  };
  useEffect(() => {
    if (!open) return;
    void ipc.recentFiles().then(setRecent, () => setRecent([]));
    const close = (e: MouseEvent) => ref.current && !ref.current.contains(e.target as Node) && setOpen(false);
    window.addEventListener("mousedown", close);
    return () => window.removeEventListener("mousedown", close);
  }, [open]);
  return (
    <div className="menu" ref={ref}>
      <button className="btn" onClick={(e) => toggle(e.currentTarget)} data-testid="recent-button" title="Recent files">
        Recent ▾
      </button>
      {open && (
        <div className="menu-pop fixed" style={at ?? undefined} data-testid="recent-menu">
          {recent.length === 0 && <div className="hint">No recent files yet</div>}
          {recent.map((p) => (
            <button
              key={p}
              onClick={() => {
                setOpen(false);
                void openPath(p);
              }}
            >
              {p.split(/[\\/]/).pop()}
              <span className="sub">{p}</span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

export function Toolbar({ onGallery, onHelp, onFit }: { onGallery: () => void; onHelp: () => void; onFit: () => void }) {
  const name = useEditor((s) => s.doc.workflow.name ?? s.doc.workflow.id);
  const path = useEditor((s) => s.path);
  const dirty = useEditor(isDirty);
  const theme = useEditor((s) => s.theme);
  const setTheme = useEditor((s) => s.setTheme);
  const wf = useEditor((s) => s.doc.workflow);
  const flowKey = useEditor((s) => s.dataflowKey);
  const setFlow = useEditor((s) => s.setDataflowKey);
  const canUndo = useStore(useEditor.temporal, (t) => t.pastStates.length > 0);
  const canRedo = useStore(useEditor.temporal, (t) => t.futureStates.length > 0);
  const keys = allKeys(wf);

  return (
    <header className="topbar">
      <div className="brand">
        <svg width="22" height="22" viewBox="0 0 32 32" aria-hidden="true">
          <rect x="1" y="1" width="30" height="30" rx="8" fill="var(--accent)" />
          <path d="M8 10c7 0 9 12 16 12M8 22c7 0 9-12 16-12" stroke="#fff" strokeWidth="2.6" fill="none" strokeLinecap="round" />
        </svg>
        Braid
      </div>
      <div className="doc-title" title={path ?? "not saved yet"}>
        <span className="name" data-testid="doc-name">
          {name}
          {dirty && <span className="dirty-dot" data-testid="dirty" title="unsaved changes" />}
        </span>
        <span className="path">{path ? shortPath(path) : "not saved yet"}</span>
      </div>
      <div className="toolbar-group">
        <button className="btn icon" onClick={() => void newWorkflow()} title="New (Ctrl+N)" data-testid="new-button">
          <Icon.plus />
        </button>
        <button className="btn icon" onClick={() => void openDialog()} title="Open… (Ctrl+O)" data-testid="open-button">
          <Icon.folder />
        </button>
        <RecentMenu />
        <button className="btn" onClick={() => void save()} title="Save (Ctrl+S)" data-testid="save-button">
          <Icon.save /> <span className="btn-label">Save</span>
        </button>
        <button className="btn" onClick={() => void saveAs()} title="Save as… (Ctrl+Shift+S)" data-testid="save-as-button">
          Save as…
        </button>
      </div>
      <div className="toolbar-group">
        <button className="btn icon" onClick={undo} disabled={!canUndo} title="Undo (Ctrl+Z)" data-testid="undo-button">
          <Icon.undo />
        </button>
        <button className="btn icon" onClick={redo} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)" data-testid="redo-button">
          <Icon.redo />
        </button>
      </div>
      <div className="toolbar-group">
        <button className="btn" onClick={() => void relayout()} title="Auto-layout (L)" data-testid="layout-button">
          <Icon.layout /> <span className="btn-label">Layout</span>
        </button>
        <button className="btn icon" onClick={onFit} title="Fit view (F)" data-testid="fit-button">
          <Icon.fit />
        </button>
      </div>
      <div className="toolbar-group" title="Data flow: highlight where a context key is produced and read">
        <Icon.flow />
        <select className="select" style={{ width: 140, height: 28 }} value={flowKey ?? ""} onChange={(e) => setFlow(e.target.value || null)} data-testid="dataflow-key">
          <option value="">Trace a context key…</option>
          {keys.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </div>
      <div className="toolbar-group">
        <PredictedDuration />
        <CriticalToggle />
        <AnalyticsButton />
      </div>
      <span className="spacer" />
      <TrustBadge />
      <button className="btn icon" onClick={onGallery} title="Example gallery (E)" data-testid="gallery-button">
        <Icon.gallery />
      </button>
      <button className="btn icon" onClick={onHelp} title="Keyboard shortcuts (?)" data-testid="help-button">
        <Icon.keyboard />
      </button>
      <SecretsButton />
      <button className="btn icon" onClick={() => setTheme(theme === "dark" ? "light" : "dark")} title="Toggle theme" data-testid="theme-button">
        {theme === "dark" ? <Icon.sun /> : <Icon.moon />}
      </button>
      <RunButton />
    </header>
  );
}

export function StatusBar() {
  const wf = useEditor((s) => s.doc.workflow);
  const plan = useEditor((s) => s.plan);
  const selection = useEditor((s) => s.selection);
  const flowKey = useEditor((s) => s.dataflowKey);
  return (
    <footer className="statusbar" data-testid="statusbar">
      <span data-testid="counts">
        {wf.steps.length} steps · {wf.groups.length} groups · {wf.edges.length} edges
      </span>
      {selection.length > 0 && <span>{selection.length} selected</span>}
      {flowKey && (
        <span>
          tracing <code>{flowKey}</code>: <span className="legend-dot" style={{ background: "var(--flow-produce)" }} />
          produced <span className="legend-dot" style={{ background: "var(--flow-read)" }} />
          read
        </span>
      )}
      <span className="sep" />
      {plan && (
        <span data-testid="predicted" title={`critical path: ${plan.critical_path.nodes.join(" → ")}`}>
          predicted run {fmtDuration(plan.predicted_ms)} · critical path {plan.critical_path.nodes.length} nodes
        </span>
      )}
    </footer>
  );
}
