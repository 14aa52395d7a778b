// "Waiting for you": an approval step's prompt on its card while it waits,
// with what the step shows (its `show` keys), an optional score and note,
// and Approve / Reject. The decision is recorded as `braid approve` records
// it; one made elsewhere first (a terminal, another window) comes back as an
// error and is shown, never swallowed. Nothing but a click on a button
// decides: there is no form to submit with Enter, and Escape only leaves.
import { memo, useState } from "react";
import { fmtDuration, useNow } from "./hooks";
import type { PendingApproval } from "./reducer";
import { decideApproval, useRun } from "./store";

/** Shown values are context values: strings as they are, a recommendations
 * list (`{from, index?, text}`) one line per recommendation, the rest as JSON. */
export function showValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.length > 0 && v.every((r) => r != null && typeof r === "object" && "text" in r)) {
    return v
      .map((r: { from?: unknown; index?: unknown; text: unknown }) => {
        const who = r.from != null ? `${String(r.from)}${r.index != null ? `[${String(r.index)}]` : ""}: ` : "";
        return `${who}${typeof r.text === "string" ? r.text : JSON.stringify(r.text)}`;
      })
      .join("\n");
  }
  return JSON.stringify(v, null, 1);
}

/** Parses the optional score field: null when empty, an error text when not 0–100. */
export function parseScore(text: string): { score: number | null; error: string | null } {
  const t = text.trim();
  if (t === "") return { score: null, error: null };
  const n = Number(t);
  if (!Number.isFinite(n) || n < 0 || n > 100) return { score: null, error: "a score is 0–100" };
  return { score: n, error: null };
}

function Decision({ request, keyName }: { request: PendingApproval; keyName: string }) {
  const [score, setScore] = useState("");
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const parsed = parseScore(score);
  const decide = async (approved: boolean) => {
    if (parsed.error) return;
    setBusy(true);
    setError(null);
    try {
      await decideApproval(keyName, approved, parsed.score, note.trim() === "" ? null : note);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
    // On success the events that follow (step_succeeded / step_failed) remove this prompt.
  };
  const id = keyName.replace(/[^a-z0-9_-]/gi, "-");
  return (
    <div className="approval-one" data-testid={`approval-${keyName}`}>
      {request.element != null && <div className="approval-element">element {request.element}</div>}
      <div className="approval-text">{request.prompt}</div>
      {Object.keys(request.shown).length > 0 && (
        <dl className="approval-shown">
          {Object.entries(request.shown).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{showValue(v)}</dd>
            </div>
          ))}
        </dl>
      )}
      <div className="approval-fields">
        <label htmlFor={`${id}-score`}>Score</label>
        <input
          id={`${id}-score`}
          className="input"
          type="number"
          min={0}
          max={100}
          placeholder="optional, 0–100"
          value={score}
          onChange={(e) => setScore(e.target.value)}
          aria-invalid={parsed.error ? true : undefined}
          data-testid="approval-score"
        />
        <label htmlFor={`${id}-note`}>Note</label>
        <textarea id={`${id}-note`} className="input" rows={2} placeholder="optional" value={note} onChange={(e) => setNote(e.target.value)} data-testid="approval-note" />
      </div>
      {parsed.error && <div className="approval-error">{parsed.error}</div>}
      {error && (
        <div className="approval-error" role="alert" data-testid="approval-error">
          {error}
        </div>
      )}
      <div className="approval-buttons">
        <button type="button" className="btn danger" disabled={busy || parsed.error != null} onClick={() => void decide(false)} data-testid="approval-reject">
          Reject
        </button>
        <button type="button" className="btn primary" disabled={busy || parsed.error != null} onClick={() => void decide(true)} data-testid="approval-approve">
          Approve
        </button>
      </div>
    </div>
  );
}

/** How many of a map's waiting elements the card lists at once. */
const SHOWN_ELEMENTS = 3;

/** The prompt under an approval step's card while it (or any of its map elements) waits; null otherwise.
 * `place: "dock"` is the same prompt at full size in the run dock's Output tab, where it stays
 * readable and reachable whatever the canvas's zoom. */
export const ApprovalPrompt = memo(function ApprovalPrompt({ step, place = "card" }: { step: string; place?: "card" | "dock" }) {
  const approvals = useRun((s) => s.view?.approvals);
  const mine = approvals ? Object.entries(approvals).filter(([, a]) => a.step === step) : [];
  const deadline = mine.length ? mine[0][1].deadline : null;
  const now = useNow(deadline != null);
  if (mine.length === 0) return null;
  return (
    <div
      className={place === "card" ? "approval-prompt nodrag nopan nowheel" : "approval-prompt approval-dock"}
      data-testid={place === "card" ? `approval-prompt-${step}` : `approval-dock-${step}`}
      role="group"
      aria-label={`Decision for ${step}`}
      // Keys typed here belong to the prompt, not to the editor's shortcuts; Escape just leaves the field.
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === "Escape") (e.target as HTMLElement).blur?.();
      }}
      onClick={(e) => e.stopPropagation()}
      onDoubleClick={(e) => e.stopPropagation()}
    >
      <div className="approval-head">
        <b>Waiting for you</b>
        {deadline != null && <span className="approval-deadline">decide within {fmtDuration(Math.max(0, deadline - now))}</span>}
      </div>
      {mine.slice(0, SHOWN_ELEMENTS).map(([key, a]) => (
        <Decision key={key} keyName={key} request={a} />
      ))}
      {mine.length > SHOWN_ELEMENTS && <div className="approval-more">+{mine.length - SHOWN_ELEMENTS} more waiting</div>}
    </div>
  );
});
