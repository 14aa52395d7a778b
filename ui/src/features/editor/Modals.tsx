// The example gallery and the shortcut help sheet.
import { useEffect, useState } from "react";
import { Icon } from "../../components/icons";
import { ipc, type Example } from "../../ipc";
import { newWorkflow, openPath } from "./files";
import type { Shortcut } from "./shortcuts";

export function Modal({
  title,
  sub,
  onClose,
  children,
  testid,
  width,
}: {
  title: string;
  sub?: string;
  onClose: () => void;
  children: React.ReactNode;
  testid: string;
  /** CSS width of the sheet (default: the gallery's). */
  width?: string;
}) {
  // Escape closes the sheet, before the editor's own Escape (clear selection) sees it.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      e.preventDefault();
      e.stopPropagation();
      onClose();
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, [onClose]);
  return (
    <div className="modal-back" onClick={onClose}>
      <div className="modal" data-testid={testid} style={width ? { width } : undefined} onClick={(e) => e.stopPropagation()}>
        <div className="modal-head">
          <h2>{title}</h2>
          {sub && <span className="sub">{sub}</span>}
          <span className="spacer" />
          <button className="btn icon" onClick={onClose} aria-label="close">
            <Icon.close />
          </button>
        </div>
        <div className="modal-body">{children}</div>
      </div>
    </div>
  );
}

export function Gallery({ onClose }: { onClose: () => void }) {
  const [examples, setExamples] = useState<Example[] | null>(null);
  const [recent, setRecent] = useState<string[]>([]);
  useEffect(() => {
    void ipc.listExamples().then(setExamples, () => setExamples([]));
    void ipc.recentFiles().then(setRecent, () => setRecent([]));
  }, []);
  return (
    <Modal title="Open a workflow" sub="Examples from workflows/" onClose={onClose} testid="gallery">
      <div className="gallery">
        <button
          className="card new"
          data-testid="gallery-new"
          onClick={async () => {
            await newWorkflow();
            onClose();
          }}
        >
          <Icon.plus /> New empty workflow
        </button>
        {examples?.map((ex) => (
          <button
            key={ex.path}
            className="card"
            data-testid={`example-${ex.id}`}
            onClick={async () => {
              if (await openPath(ex.path)) onClose();
            }}
          >
            <span className="t">{ex.name ?? ex.id}</span>
            <span className="d">{ex.description ?? ""}</span>
            <span className="m">
              <span>
                {ex.steps} step{ex.steps === 1 ? "" : "s"}
              </span>
              <span>
                {ex.groups} group{ex.groups === 1 ? "" : "s"}
              </span>
              <span className="mono">{ex.id}.json</span>
            </span>
          </button>
        ))}
        {examples?.length === 0 && <div className="help">No examples found (set BRAID_EXAMPLES_DIR to a folder of workflows).</div>}
      </div>
      {recent.length > 0 && (
        <>
          <div className="section-title" style={{ paddingLeft: 0 }}>
            Recent
          </div>
          {recent.map((p) => (
            <button
              key={p}
              className="btn"
              style={{ display: "flex", width: "100%" }}
              onClick={async () => {
                if (await openPath(p)) onClose();
              }}
            >
              <Icon.file /> <span className="mono">{p}</span>
            </button>
          ))}
        </>
      )}
    </Modal>
  );
}

export function ShortcutHelp({ table, onClose }: { table: Shortcut[]; onClose: () => void }) {
  return (
    <Modal title="Keyboard shortcuts" onClose={onClose} testid="shortcut-help">
      <div className="shortcut-grid">
        {table.map((s) => (
          <div className="shortcut" key={s.label}>
            <span>{s.label}</span>
            <span className="keys">
              {s.keys.map((key) => (
                <span className="kbd" key={key}>
                  {key}
                </span>
              ))}
            </span>
          </div>
        ))}
        <div className="shortcut">
          <span>Multi-select</span>
          <span className="keys">
            <span className="kbd">Ctrl</span>
            <span className="kbd">click</span>
          </span>
        </div>
        <div className="shortcut">
          <span>Box select</span>
          <span className="keys">
            <span className="kbd">Shift</span>
            <span className="kbd">drag</span>
          </span>
        </div>
      </div>
    </Modal>
  );
}
