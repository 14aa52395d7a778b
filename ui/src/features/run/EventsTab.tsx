// The timeline: the run's events as a list (the newest last), filterable by
// step; long runs show the latest ones.
import { useMemo, useState } from "react";
import { StatusIcon } from "./badges";
import { useRun } from "./store";
import type { RunEvent } from "./types";

const SHOWN = 400;

function describe(e: RunEvent): { who: string; what: string; status?: string } {
  const el = "element" in e && e.element != null ? `#${e.element}` : "";
  switch (e.type) {
    case "run_started":
      return { who: "run", what: `started ${e.run_id} (time scale ${e.time_scale})`, status: "running" };
    case "run_resumed":
      return { who: "run", what: "resumed", status: "running" };
    case "run_finished":
      return { who: "run", what: `finished: ${e.status}${e.error ? ` — ${e.error}` : ""}`, status: e.status };
    case "group_started":
      return { who: e.group, what: `started${e.elements != null ? ` (${e.elements} elements)` : ""}`, status: "running" };
    case "group_aggregated":
      return { who: e.group, what: `${e.outcome}${e.score != null ? `, score ${Math.round(e.score * 10) / 10}` : ""}`, status: e.outcome === "failed" ? "failed" : "succeeded" };
    case "step_queued":
      return { who: e.step + el, what: "queued", status: "queued" };
    case "step_started":
      return { who: e.step + el, what: `attempt ${e.attempt}${e.round > 1 ? ` (round ${e.round})` : ""} started`, status: "running" };
    case "step_reused":
      return { who: e.step + el, what: `reused from ${e.from_run}`, status: "succeeded" };
    case "step_interrupted":
      return { who: e.step + el, what: "interrupted (skipped on resume)", status: "interrupted" };
    case "process_spawned":
      return { who: e.step + el, what: `process ${e.pid}` };
    case "output_line":
      return { who: e.step + el, what: `${e.stream}: ${e.line}` };
    case "attempt_ended":
      return { who: e.step + el, what: `attempt ${e.attempt} ended${e.exit_code != null ? `, exit ${e.exit_code}` : ""} in ${e.duration_ms} ms` };
    case "attempt_failed":
      return { who: e.step + el, what: `attempt ${e.attempt} ${e.timed_out ? "timed out" : "failed"}: ${e.error}`, status: "failed" };
    case "step_retrying":
      return { who: e.step + el, what: `retrying: attempt ${e.next_attempt} in ${e.delay_ms} ms`, status: "interrupted" };
    case "step_succeeded":
      return {
        who: e.step + el,
        what: `succeeded${e.score != null ? `, score ${e.score}` : ""}${e.recommendations?.length ? `, ${e.recommendations.length} recommendation${e.recommendations.length === 1 ? "" : "s"}` : ""}`,
        status: "succeeded",
      };
    case "step_failed":
      return { who: e.step + el, what: `failed: ${e.error}`, status: "failed" };
    case "step_timed_out":
      return { who: e.step + el, what: `timed out: ${e.error}`, status: "timed_out" };
    case "step_blocked":
      return { who: e.step + el, what: `blocked: ${e.error}`, status: "blocked" };
    case "step_skipped":
      return { who: e.step, what: `skipped: ${e.reason}`, status: "skipped" };
    case "step_cancelled":
      return { who: e.step + el, what: "cancelled", status: "cancelled" };
    case "context_write":
      return { who: e.writer, what: `wrote ${e.key} = ${JSON.stringify(e.new).slice(0, 80)}` };
    case "warning":
      return { who: e.step ?? "run", what: `warning: ${e.message}`, status: "interrupted" };
    case "step_metrics":
      return { who: e.step + el, what: `metrics ${JSON.stringify(e.metrics)}` };
    case "sub_run_started":
      return { who: e.step + el, what: `sub-run ${e.run_id} (${e.workflow_id})` };
    case "approval_requested":
      return { who: e.step + el, what: `waiting for a person: ${e.prompt}`, status: "waiting" };
    case "run_waiting":
      return { who: "run", what: e.waiting ? "waiting for a decision" : "running again", status: e.waiting ? "waiting" : "running" };
    case "loop_round":
      return { who: e.to, what: `round ${e.round} (loop back from ${e.from})`, status: "running" };
    case "loop_exhausted":
      return { who: e.to, what: `loop stopped after ${e.rounds} rounds (max_rounds)`, status: "interrupted" };
  }
}

export function EventsTab() {
  const events = useRun((s) => s.events);
  const count = useRun((s) => s.view?.eventCount ?? 0);
  const scrub = useRun((s) => s.scrub);
  const [filter, setFilter] = useState("");
  const upto = scrub ?? count;
  const shown = useMemo(() => {
    const visible = events.slice(0, upto);
    const f = filter.trim();
    const matching = f ? visible.filter((e) => describe(e).who.startsWith(f)) : visible;
    return matching.slice(-SHOWN);
    // `count` changes when new events were appended to the same array.
  }, [events, upto, filter]);
  const t0 = events[0]?.at_ms ?? 0;
  return (
    <div>
      <div style={{ display: "flex", gap: 8, alignItems: "center", marginBottom: 6 }}>
        <input className="input" style={{ width: 220, height: 26 }} placeholder="filter by step or group id" value={filter} onChange={(e) => setFilter(e.target.value)} />
        <span className="run-hint" style={{ padding: 0 }}>
          {upto} events{shown.length < upto && !filter ? `, the last ${shown.length} shown` : ""}
        </span>
      </div>
      <table className="run-table" data-testid="run-events">
        <tbody>
          {shown.map((e) => {
            const d = describe(e);
            return (
              <tr key={e.seq}>
                <td className="num mono" style={{ width: 50 }}>
                  {e.seq}
                </td>
                <td className="num" style={{ width: 74 }}>
                  +{((e.at_ms - t0) / 1000).toFixed(3)} s
                </td>
                <td style={{ width: 18 }}>{d.status && <StatusIcon status={d.status} />}</td>
                <td style={{ width: 180 }}>
                  <code>{d.who}</code>
                </td>
                <td>{d.what}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
