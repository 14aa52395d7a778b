// Per-step output: the steps with their status on the left; on the right the
// selected step's stdout/stderr (streaming while it runs, every attempt's
// tails from the store once the run ended) — or, for a map, its elements
// (counts per state and a filtered list; never one card per element).
import { ApprovalPrompt } from "./ApprovalPrompt";
import { useMemo, useState } from "react";
import { useEditor } from "../editor/store";
import type { AttemptRecord } from "./api";
import { CountChips, STATUS_LABEL, StatusIcon } from "./badges";
import { fmtDuration } from "./hooks";
import type { ElementRun, ElementStatus, OutputTail, RunView } from "./reducer";
import { useRun } from "./store";

/** The map branch step of a selected map group (or the step itself when it is one). */
function mapBranchOf(view: RunView, id: string): string | null {
  const group = view.shape.groups.find((g) => g.id === id && g.map);
  if (group) return view.shape.steps.find((s) => s.group === group.id)?.id ?? null;
  const step = view.shape.steps.find((s) => s.id === id);
  const g = step?.group ? view.shape.groups.find((x) => x.id === step.group) : null;
  return g?.map ? step!.id : null;
}

function Terminal({ out, testid }: { out: OutputTail; testid: string }) {
  // Live lines while running; the recorded tails once the attempt ended (they hold what the lines may have dropped).
  if (out.stdoutTail != null || out.stderrTail != null) {
    return (
      <pre className="run-term" data-testid={testid}>
        {out.stdoutTail}
        {out.stderrTail && <span className="err">{out.stderrTail}</span>}
        {!out.stdoutTail && !out.stderrTail && <span style={{ opacity: 0.6 }}>(no output)</span>}
      </pre>
    );
  }
  return (
    <pre className="run-term" data-testid={testid}>
      {out.lines.length === 0 && <span style={{ opacity: 0.6 }}>(no output yet)</span>}
      {out.lines.map((l, i) => (
        <span key={i} className={l.stream === "stderr" ? "err" : undefined}>
          {l.line}
          {"\n"}
        </span>
      ))}
    </pre>
  );
}

/** A person's recorded decision on an approval step (`<step>.decision`): who, when, verdict, score, note. */
function DecisionLine({ decision }: { decision: unknown }) {
  if (decision == null || typeof decision !== "object") return null;
  const d = decision as { approved?: boolean; score?: number; note?: string; by?: string; at_ms?: number };
  return (
    <div className={`run-msg ${d.approved ? "ok" : "error"}`} data-testid="approval-decision">
      {d.approved ? "Approved" : "Rejected"} by <b>{d.by ?? "someone"}</b>
      {d.at_ms ? ` at ${new Date(d.at_ms).toLocaleString()}` : ""}
      {d.score != null && ` · score ${d.score}`}
      {d.note && <> · “{d.note}”</>}
    </div>
  );
}

function Attempts({ attempts }: { attempts: AttemptRecord[] }) {
  return (
    <>
      {attempts.map((a) => (
        <div key={`${a.element ?? ""}-${a.attempt}`} data-testid={`attempt-record-${a.step}-${a.attempt}`}>
          <h4>
            <StatusIcon status={a.status === "reused" ? "succeeded" : a.status} />
            {/* In a loop, attempt numbers count on across rounds: say the round first. */}
            {a.round > 1 || attempts.some((b) => b.round > 1) ? `Round ${a.round} · attempt ${a.attempt}` : `Attempt ${a.attempt}`}
            {a.element != null && ` · element ${a.element}`}
            <span className="sub">
              {a.status}
              {a.exit_code != null && ` · exit ${a.exit_code}`}
              {a.duration_ms != null && ` · ${fmtDuration(a.duration_ms)}`}
              {a.reused_from && ` · reused from ${a.reused_from}`}
              {a.pid != null && ` · pid ${a.pid}`}
            </span>
          </h4>
          {a.error && <div className="run-msg error">{a.error}</div>}
          {(a.stdout_tail || a.stderr_tail) && (
            <pre className="run-term">
              {a.stdout_tail}
              {a.stderr_tail && <span className="err">{a.stderr_tail}</span>}
            </pre>
          )}
        </div>
      ))}
    </>
  );
}

const FILTERS: (ElementStatus | "all")[] = ["all", "running", "queued", "failed", "timed_out", "cancelled", "succeeded", "pending"];
const SHOWN = 200;
const NO_ELEMENTS: ElementRun[] = [];

function Elements({ view, step }: { view: RunView; step: string }) {
  const [filter, setFilter] = useState<ElementStatus | "all">("all");
  const [picked, setPicked] = useState<number | null>(null);
  const loaded = useRun((s) => s.loaded);
  const list = view.elements[step] ?? NO_ELEMENTS;
  const counts = view.nodes[step]?.counts ?? {};
  const rows = useMemo(() => (filter === "all" ? list : list.filter((e) => e.status === filter)), [list, filter]);
  const out = picked != null ? view.output[`${step}#${picked}`] : undefined;
  const attempts = picked != null ? (loaded?.attempts ?? []).filter((a) => a.step === step && a.element === picked) : [];
  return (
    <div data-testid={`elements-${step}`}>
      <h4>
        Elements of <code>{step}</code> <span className="sub">{list.length} in all</span>
        <CountChips counts={counts} testid={`element-counts-${step}`} />
      </h4>
      <div style={{ display: "flex", gap: 4, margin: "4px 0 6px" }}>
        {FILTERS.map((f) => (
          <button key={f} className={`btn${filter === f ? " primary" : ""}`} style={{ height: 24 }} onClick={() => setFilter(f)}>
            {f === "all" ? "all" : STATUS_LABEL[f]}
          </button>
        ))}
      </div>
      <div className="run-split" style={{ height: "auto" }}>
        <ul className="run-list" style={{ maxHeight: 170 }} data-testid="element-list">
          {rows.slice(0, SHOWN).map((e) => (
            <li key={e.element} className={picked === e.element ? "on" : undefined} onClick={() => setPicked(e.element)} data-status={e.status}>
              <StatusIcon status={e.status} />#{e.element}
              <span className="sub">
                {e.attempt > 1 && `×${e.attempt} `}
                {e.startedAt != null && e.endedAt != null ? fmtDuration(e.endedAt - e.startedAt) : STATUS_LABEL[e.status]}
              </span>
            </li>
          ))}
          {rows.length > SHOWN && <li className="sub">… {rows.length - SHOWN} more (filter to narrow)</li>}
        </ul>
        <div className="run-out">
          {picked == null && <div className="run-hint">Pick an element to see its output.</div>}
          {picked != null && list[picked]?.error && <div className="run-msg error">{list[picked].error}</div>}
          {attempts.length > 0 ? <Attempts attempts={attempts} /> : out ? <Terminal out={out} testid="element-output" /> : picked != null && <div className="run-hint">No output.</div>}
        </div>
      </div>
    </div>
  );
}

export function OutputTab({ view }: { view: RunView }) {
  const selected = useEditor((s) => s.selection[0] ?? null);
  const loaded = useRun((s) => s.loaded);
  const ids = useMemo(() => [...view.shape.steps.filter((s) => !s.group).map((s) => s.id), ...view.shape.groups.map((g) => g.id)], [view.shape]);
  const order = useMemo(() => {
    // Phases and groups in workflow order, each group followed by its branches.
    const out: string[] = [];
    for (const s of view.shape.steps) {
      if (s.group) continue;
      out.push(s.id);
    }
    for (const g of view.shape.groups) {
      out.push(g.id);
      for (const s of view.shape.steps) if (s.group === g.id) out.push(s.id);
    }
    return out;
  }, [view.shape]);
  const current = selected && view.nodes[selected] ? selected : null;
  const branch = current ? mapBranchOf(view, current) : null;
  const node = current ? view.nodes[current] : null;
  const isGroup = current != null && view.shape.groups.some((g) => g.id === current);
  const attempts = current && !branch ? (loaded?.attempts ?? []).filter((a) => a.step === current) : [];
  const live = current ? view.output[current] : undefined;
  return (
    <div className="run-split">
      <ul className="run-list" data-testid="run-step-list">
        {order.map((id) => {
          const n = view.nodes[id];
          const depth = ids.includes(id) ? 0 : 1;
          return (
            <li key={id} className={id === current ? "on" : undefined} style={{ paddingLeft: 6 + depth * 14 }} onClick={() => useEditor.getState().select([id], [])} data-testid={`run-step-${id}`}>
              <StatusIcon status={n?.status ?? "pending"} />
              {id}
              <span className="sub">
                {n?.startedAt != null && n.endedAt != null ? fmtDuration(n.endedAt - n.startedAt) : n ? STATUS_LABEL[n.status] : ""}
              </span>
            </li>
          );
        })}
      </ul>
      <div className="run-out" data-testid="run-output">
        {!current && <div className="run-hint">Select a step (here or on the canvas) to see its output.</div>}
        {current && node && (
          <h4>
            <StatusIcon status={node.status} /> {current}
            <span className="sub">
              {STATUS_LABEL[node.status]}
              {node.attempt > 0 && ` · attempt ${node.attempt}`}
              {node.reused && " · reused"}
              {node.pid != null && ` · pid ${node.pid}`}
            </span>
          </h4>
        )}
        {current && node?.error && !branch && <div className="run-msg error">{node.error}</div>}
        {branch && <Elements view={view} step={branch} />}
        {current && <ApprovalPrompt step={current} place="dock" />}
        {current && <DecisionLine decision={view.context[`${current}.decision`]} />}
        {current && !branch && !isGroup && (attempts.length > 0 ? <Attempts attempts={attempts} /> : live ? <Terminal out={live} testid={`output-${current}`} /> : <div className="run-hint">No output{node?.status === "pending" ? " yet" : ""}.</div>)}
        {current && isGroup && !branch && <div className="run-hint">A group: its branches are listed on the left; its result is in the Result tab.</div>}
      </div>
    </div>
  );
}
