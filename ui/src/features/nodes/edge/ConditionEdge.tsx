// An edge, labelled with its `when` condition when it has one — and, out of a
// group, with the `approved` it defaults to (the default that changes routing;
// a step's default, `succeeded`, is the plain arrow). A loop edge points back,
// so it is drawn as a dashed arc under its nodes, labelled "≤ N rounds".
import { memo } from "react";
import { EdgeLabelRenderer, getBezierPath, type Edge, type EdgeProps } from "@xyflow/react";
import type { When } from "../../../ipc";
import type { Issues } from "../../editor/diagnostics";
import { useEditor } from "../../editor/store";
import { useEdgeTaken, useLoopTaken } from "../../run/hooks";
import { useCriticalEdge } from "../../analytics/store";

export interface ConditionEdgeData extends Record<string, unknown> {
  from: string;
  to: string;
  when: When | null | undefined;
  /** The condition an edge without `when` takes (out of a group: `approved`). */
  implied?: When | null;
  issues: Issues | undefined;
  dim: boolean;
  /** A loop edge's `max_rounds`; null for a plain edge. */
  loop?: number | null;
}
export type ConditionEdgeType = Edge<ConditionEdgeData, "condition">;

const LABEL: Record<When, string> = {
  succeeded: "succeeded",
  failed: "failed",
  done: "done",
  approved: "approved",
  needs_work: "needs work",
  rejected: "rejected",
};

/**
 * The arc of an edge back (to the left, or onto its own node): out to the
 * right of the source, down under both nodes, in from the left of the target.
 * Returns the path and its midpoint for the label.
 */
export function backArc(sx: number, sy: number, tx: number, ty: number): [string, number, number] {
  const reach = 60;
  const drop = 90 + Math.min(160, Math.abs(sx - tx) * 0.12);
  const path = `M ${sx},${sy} C ${sx + reach},${sy + drop} ${tx - reach},${ty + drop} ${tx},${ty}`;
  // The cubic's point at t = ½.
  return [path, (sx + tx) / 2, (sy + ty) / 2 + 0.75 * drop];
}

function ConditionEdge({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected, markerEnd }: EdgeProps<ConditionEdgeType>) {
  const loop = data?.loop ?? null;
  const [path, labelX, labelY] =
    loop != null && targetX <= sourceX + 20
      ? backArc(sourceX, sourceY, targetX, targetY)
      : getBezierPath({ sourceX, sourceY, sourcePosition, targetX, targetY, targetPosition, curvature: 0.3 });
  const when = data?.when;
  const error = (data?.issues?.errors ?? 0) > 0;
  const color = when ? `var(--when-${when})` : undefined;
  // A loop edge is taken when its body ran again; one not taken skipped nothing, so it never shows as not taken.
  const plainTaken = useEdgeTaken(loop == null ? data?.from : undefined, when);
  const loopTaken = useLoopTaken(loop != null ? data?.to : undefined);
  const taken = loop != null ? loopTaken : plainTaken;
  const critical = useCriticalEdge(data?.from, data?.to);
  return (
    <>
      <path
        id={id}
        d={path}
        className={`react-flow__edge-path${taken === true ? " run-taken" : taken === false ? " run-not-taken" : ""}`}
        data-testid={`edge-${data?.from}-${data?.to}`}
        data-when={when ?? undefined}
        data-taken={taken ?? undefined}
        data-critical={critical || undefined}
        markerEnd={markerEnd}
        data-loop={loop ?? undefined}
        style={{ ...(color && !selected && !error ? { stroke: color } : {}), ...(loop != null ? { strokeDasharray: "6 4" } : {}) }}
      />
      <path d={path} fill="none" strokeOpacity={0} strokeWidth={18} className="react-flow__edge-interaction" />
      {(when || error || data?.implied || loop != null) && (
        <EdgeLabelRenderer>
          <div
            className={`edge-label nodrag nopan${error ? " err" : ""}${!when && !error ? " implied" : ""}`}
            data-testid={`edge-label-${data?.from}-${data?.to}`}
            title={data?.issues?.messages.join("\n") || (!when && data?.implied ? `default: taken when the group is ${LABEL[data.implied]}` : undefined)}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)`, color: color ?? (error ? "var(--error)" : "var(--muted)"), opacity: data?.dim ? 0.3 : 1 }}
            onClick={() => useEditor.getState().select([], [id])}
          >
            {when ? LABEL[when] : error ? "!" : data?.implied ? LABEL[data.implied] : ""}
            {loop != null && <span className="edge-loop" data-testid={`edge-loop-${data?.from}-${data?.to}`}>{when ? " · " : ""}↺ ≤ {loop} rounds</span>}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export default memo(ConditionEdge);
