// The run dock under the canvas: the shown run's status, elapsed time and
// Cancel; the replay scrubber; tabs for output, result, context, events and
// history. Also the resume decision and the "Rerun from here" menu.
import { useEffect, useState } from "react";
import { Icon } from "../../components/icons";
import { useEditor } from "../editor/store";
import { STATUS_LABEL, StatusIcon } from "./badges";
import { ContextTab } from "./ContextTab";
import { EventsTab } from "./EventsTab";
import { HistoryTab } from "./HistoryTab";
import { fmtDuration, useRunNow } from "./hooks";
import { OutputTab } from "./OutputTab";
import { shapeOf } from "./reducer";
import { ResultTab } from "./ResultTab";
import { cancelRun, closeRun, rerunFrom, resumeRun, scrubTo, setTab, useRun, type RunTab } from "./store";
import "./run.css";

const TABS: [RunTab, string][] = [
  ["output", "Output"],
  ["result", "Result"],
  ["context", "Context"],
  ["events", "Events"],
  ["history", "History"],
];

function Elapsed() {
  const startedAt = useRun((s) => s.view?.startedAt ?? null);
  const endedAt = useRun((s) => s.view?.endedAt ?? null);
  const running = useRun((s) => s.view?.status === "running" || s.view?.status === "waiting");
  const now = useRunNow(running && endedAt == null);
  if (startedAt == null) return null;
  return <span data-testid="run-elapsed">{fmtDuration((endedAt ?? (running ? now : startedAt)) - startedAt)}</span>;
}

function Scrubber() {
  const total = useRun((s) => s.events.length);
  const scrub = useRun((s) => s.scrub);
  const at = scrub ?? total;
  return (
    <span className="run-scrub" title="replay: the canvas after the first N events">
      replay
      <input type="range" min={0} max={total} value={at} onChange={(e) => scrubTo(Number(e.target.value))} data-testid="run-scrubber" />
      <span className="mono">
        {at}/{total}
      </span>
    </span>
  );
}

function DecisionDialog() {
  const decision = useRun((s) => s.decision);
  if (!decision) return null;
  const go = (choice: "retry" | "skip") => {
    useRun.setState({ decision: null });
    void resumeRun(decision.runId, shapeOf(useEditor.getState().doc.workflow), choice);
  };
  return (
    <div className="modal-back" onClick={() => useRun.setState({ decision: null })}>
      <div className="modal" style={{ width: "min(560px, 92vw)" }} data-testid="resume-decision" onClick={(e) => e.stopPropagation()}>
        <div className="modal-head">
          <h2>Resume {decision.runId}</h2>
        </div>
        <div className="modal-body">
          <p>
            These steps were running when the run stopped and are not idempotent — running them again may repeat their effect (a publish, a payment):
          </p>
          <ul>
            {decision.steps.map((s) => (
              <li key={s}>
                <code>{s}</code>
              </li>
            ))}
          </ul>
          <div className="run-form-foot">
            <button className="btn outline" onClick={() => useRun.setState({ decision: null })}>
              Not now
            </button>
            <button className="btn" onClick={() => go("skip")} data-testid="resume-skip">
              Skip them
            </button>
            <button className="btn primary" onClick={() => go("retry")} data-testid="resume-retry">
              Run them again
            </button>
          </div>
        </div>
      </div>
    </div>
  );
}

/** While a run waits: which steps wait for a decision (their cards hold the prompts). */
function WaitingChip() {
  const approvals = useRun((s) => s.view?.approvals);
  const wf = useEditor((s) => s.doc.workflow);
  const steps = [...new Set(Object.values(approvals ?? {}).map((a) => a.step))];
  if (steps.length === 0) return null;
  // People read names; the id is what `braid approve` takes (in the tooltip).
  const names = steps.map((id) => wf.steps.find((s) => s.id === id)?.name ?? id);
  return (
    <button
      className="btn"
      style={{ height: 26 }}
      data-testid="run-waiting"
      title={`show the step that waits for your decision (braid approve RUN ${steps.join(" / ")})`}
      onClick={() => {
        useEditor.getState().select([steps[0]], []);
        useEditor.getState().requestFocus();
      }}
    >
      Waiting for you: <b>{names.join(", ")}</b>
    </button>
  );
}

/** Right-click on a step of a finished run: "Rerun from here". */
function RerunMenu() {
  const [menu, setMenu] = useState<{ x: number; y: number; step: string } | null>(null);
  useEffect(() => {
    const onContext = (e: MouseEvent) => {
      const s = useRun.getState();
      const finished = s.view && s.view.runId && s.view.status !== "running" && s.view.status !== "waiting" && s.view.status !== "pending";
      if (!finished) return;
      const el = (e.target as Element | null)?.closest?.(".react-flow__node");
      const id = el?.getAttribute("data-id");
      if (!id || !s.view!.nodes[id]) return;
      e.preventDefault();
      setMenu({ x: e.clientX, y: e.clientY, step: id });
    };
    const close = () => setMenu(null);
    window.addEventListener("contextmenu", onContext);
    window.addEventListener("mousedown", close);
    return () => {
      window.removeEventListener("contextmenu", onContext);
      window.removeEventListener("mousedown", close);
    };
  }, []);
  if (!menu) return null;
  return (
    <div className="run-menu" style={{ left: menu.x, top: menu.y }} data-testid="run-menu" onMouseDown={(e) => e.stopPropagation()}>
      <button
        data-testid="rerun-from-here"
        onClick={() => {
          const runId = useRun.getState().view?.runId;
          setMenu(null);
          if (runId) void rerunFrom(runId, menu.step, shapeOf(useEditor.getState().doc.workflow));
        }}
      >
        Rerun from <code>{menu.step}</code>
      </button>
    </div>
  );
}

export function RunDock() {
  const open = useRun((s) => s.panelOpen);
  const tab = useRun((s) => s.tab);
  const view = useRun((s) => s.view);
  const mode = useRun((s) => s.mode);
  const message = useRun((s) => s.message);
  const reused = view?.reused.length ?? 0;

  // For the WebDriver tests: the run store next to the editor's (see Canvas).
  useEffect(() => {
    const w = window as unknown as { __braid?: Record<string, unknown> };
    w.__braid = { ...(w.__braid ?? {}), run: useRun };
  });

  const status = view?.status ?? null;
  return (
    <section className={`run-dock${open ? " open" : ""}`} data-testid="run-dock" data-run-status={status ?? undefined} data-mode={mode ?? undefined}>
      <div className="run-dock-head">
        <span className="title" onClick={() => useRun.setState({ panelOpen: !open })} style={{ cursor: "pointer" }}>
          <Icon.play /> Run
        </span>
        {status && (
          <span className={`run-status-chip s-${status}`} data-testid="run-status">
            <StatusIcon status={status} /> {STATUS_LABEL[status] ?? status}
          </span>
        )}
        {view?.runId && <span className="run-id" data-testid="run-id">{view.runId}</span>}
        {view && <Elapsed />}
        {reused > 0 && <span className="run-reused" title={view!.reused.join(", ")}>{reused} reused</span>}
        {status === "waiting" && <WaitingChip />}
        {view && (status === "running" || status === "waiting") && mode === "live" && (
          <button className="btn danger" style={{ height: 26 }} onClick={cancelRun} data-testid="run-cancel">
            Cancel
          </button>
        )}
        {view && mode === "replay" && <Scrubber />}
        <nav className="run-tabs">
          {TABS.map(([id, label]) => (
            <button key={id} className={open && tab === id ? "on" : undefined} onClick={() => setTab(id)} data-testid={`run-tab-${id}`}>
              {label}
            </button>
          ))}
        </nav>
        <span className="spacer" />
        {/* Frame times (run store `perf`) are a developer's figure: measured for the
            perf script and the e2e suite, not shown to users. */}
        {view && status !== "running" && status !== "waiting" && (
          <button className="btn" style={{ height: 26 }} onClick={closeRun} title="back to editing: clear the run from the canvas" data-testid="run-close">
            Clear
          </button>
        )}
        <button className="btn icon" onClick={() => useRun.setState({ panelOpen: !open })} title={open ? "collapse" : "expand"}>
          {open ? "▾" : "▴"}
        </button>
      </div>
      {message && <div className={`run-msg${message.error ? " error" : ""}`} data-testid="run-message">{message.text}</div>}
      {open && (
        <div className="run-dock-body">
          {tab === "history" ? (
            <HistoryTab />
          ) : !view ? (
            <div className="run-hint">No run shown. Click Run in the toolbar, or open one from History.</div>
          ) : tab === "output" ? (
            <OutputTab view={view} />
          ) : tab === "result" ? (
            <ResultTab view={view} />
          ) : tab === "context" ? (
            <ContextTab view={view} />
          ) : (
            <EventsTab />
          )}
        </div>
      )}
      <DecisionDialog />
      <RerunMenu />
    </section>
  );
}
