// What a canvas card shows for analytics: "critical" or its slack, while the
// critical-path toggle is on; "changed" while a recommendation is previewed.
import { fmtDuration } from "./format";
import type { NodeView } from "./store";

export function NodeMark({ mark }: { mark: NodeView | undefined }) {
  if (!mark) return null;
  return (
    <span className="an-node-mark">
      {mark.preview && (
        <span className="an-pill preview" data-testid="preview-mark" title="A previewed recommendation changes this node">
          changed
        </span>
      )}
      {mark.critical === true && (
        <span className="an-pill critical" title="On the critical path: any delay here delays the run">
          critical
        </span>
      )}
      {mark.critical === false && mark.slackMs != null && (
        <span className="an-pill slack" data-testid="slack" data-ms={mark.slackMs} title="Slack: how much later it could end without delaying the run">
          slack {fmtDuration(mark.slackMs)}
        </span>
      )}
    </span>
  );
}

/** Attributes for a card's root element. */
export function markAttrs(mark: NodeView | undefined): Record<string, string | undefined> {
  return {
    "data-critical": mark?.critical == null ? undefined : String(mark.critical),
    "data-preview": mark?.preview ? "changed" : undefined,
  };
}
