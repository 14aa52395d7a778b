// Run state drawn on canvas cards: a status pill (icon, elapsed or duration,
// attempt, retry countdown, reused), a group's outcome and score, a map's
// counts per state. Colours come from run.css (`--run-<status>`).
import { memo } from "react";
import { useEditor } from "../editor/store";
import { fmtDuration, useLoopRound, useNodeRun, useRunNow } from "./hooks";
import type { Counts, ElementStatus, NodeRun } from "./reducer";
import { setTab, useRun } from "./store";
import "./run.css";

const ICON: Record<string, string> = {
  pending: "○",
  queued: "◌",
  running: "◔",
  succeeded: "✓",
  failed: "✕",
  timed_out: "⏱",
  blocked: "⛔",
  skipped: "⤼",
  cancelled: "⊘",
  interrupted: "⚡",
  waiting: "✋",
};

export const STATUS_LABEL: Record<string, string> = {
  pending: "pending",
  queued: "queued",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  timed_out: "timed out",
  blocked: "blocked",
  skipped: "skipped",
  cancelled: "cancelled",
  interrupted: "interrupted",
  waiting: "waiting",
  rejected: "rejected",
  needs_work: "needs work",
};

export function StatusIcon({ status }: { status: string }) {
  return (
    <span className={`run-icon s-${status}${status === "running" ? " spin" : ""}`} aria-hidden="true">
      {ICON[status] ?? "•"}
    </span>
  );
}

/** Elapsed while running or waiting for a person (ticking), duration once ended; "retry in" during a backoff. */
function Timing({ run }: { run: NodeRun }) {
  const ticking = run.status === "running" || run.status === "waiting" || run.retryAt != null;
  const now = useRunNow(ticking);
  if (run.retryAt != null && run.status === "running") {
    const left = Math.max(0, run.retryAt - now);
    return <span className="run-retry">retry #{run.attempt + 1} in {fmtDuration(left)}</span>;
  }
  if (run.startedAt == null) return null;
  const end = run.endedAt ?? (ticking ? now : run.startedAt);
  return <span className="run-time">{fmtDuration(Math.max(0, end - run.startedAt))}</span>;
}

/** "round 2 / 3" on a node inside a loop body while a run is shown: the innermost loop's round and limit. */
export function RoundBadge({ id }: { id: string }) {
  const round = useLoopRound(id);
  if (!round) return null;
  return (
    <span className="run-round" data-testid={`round-${id}`} title="the innermost loop's round / its max_rounds">
      round {round}
    </span>
  );
}

/** How many recommendations a group's branches made this round (or, once aggregated, the group's list). */
function RecommendationCount({ run }: { run: NodeRun }) {
  const n = run.recommendations.length;
  if (n === 0) return null;
  return (
    <span className="run-recs" data-testid="group-recs" title="recommendations from its branches: see the run dock's Result tab">
      {n} recommendation{n === 1 ? "" : "s"}
    </span>
  );
}

/** The pill on a step card; null when no run is shown. */
export const StepRunBadge = memo(function StepRunBadge({ id }: { id: string }) {
  const run = useNodeRun(id);
  if (!run) return null;
  const status = run.queued && run.status === "pending" ? "queued" : run.status;
  return (
    <span className={`run-pill s-${status}`} data-testid={`run-pill-${id}`} title={run.error ?? STATUS_LABEL[status]}>
      <StatusIcon status={status} />
      <span className="run-label">{STATUS_LABEL[status]}</span>
      <Timing run={run} />
      {/* In a loop, attempt numbers count on across rounds: the round badge says it there. */}
      {run.attempt > 1 && run.round <= 1 && (
        <span className="run-attempt" data-testid={`attempt-${id}`}>
          #{run.attempt}
        </span>
      )}
      {run.reused && (
        <span className="run-reused" data-testid={`reused-${id}`} title="result reused from an earlier run">
          reused
        </span>
      )}
      <RoundBadge id={id} />
    </span>
  );
});

const COUNT_ORDER: ElementStatus[] = ["pending", "queued", "running", "waiting", "succeeded", "failed", "timed_out", "blocked", "cancelled", "skipped", "interrupted"];

export function CountChips({ counts, testid }: { counts: Counts; testid?: string }) {
  return (
    <span className="run-counts" data-testid={testid}>
      {COUNT_ORDER.filter((k) => (counts[k] ?? 0) > 0).map((k) => (
        <span key={k} className={`run-count s-${k}`} data-count={k} title={STATUS_LABEL[k]}>
          <StatusIcon status={k} />
          {counts[k]}
        </span>
      ))}
    </span>
  );
}

/** A group's status, outcome and score; a map's counts per state with a way into the element list. */
export const GroupRunBadge = memo(function GroupRunBadge({ id, map }: { id: string; map: boolean }) {
  const run = useNodeRun(id);
  const reused = useRun((s) => s.view?.reused.includes(id) ?? false);
  if (!run) return null;
  return (
    <div className={`group-run s-${run.status}`} data-testid={`group-run-${id}`}>
      <StatusIcon status={run.status} />
      <span className="run-label">{STATUS_LABEL[run.status]}</span>
      <Timing run={run} />
      {run.outcome && (
        <span className={`run-outcome o-${run.outcome}`} data-testid={`group-outcome-${id}`} data-outcome={run.outcome} data-score={run.score ?? undefined}>
          {STATUS_LABEL[run.outcome] ?? run.outcome}
          {run.score != null && <b data-testid={`group-score-${id}`}>{Math.round(run.score * 10) / 10}</b>}
        </span>
      )}
      {reused && <span className="run-reused">reused</span>}
      <RoundBadge id={id} />
      <RecommendationCount run={run} />
      {map && run.counts && (
        <>
          <CountChips counts={run.counts} testid={`map-counts-${id}`} />
          <button
            className="run-drill nodrag"
            data-testid={`map-drill-${id}`}
            onClick={(e) => {
              e.stopPropagation();
              // The output tab lists a selected map's elements.
              useEditor.getState().select([id], []);
              setTab("output");
            }}
          >
            elements…
          </button>
        </>
      )}
    </div>
  );
});
