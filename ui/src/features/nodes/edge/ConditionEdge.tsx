// An edge, labelled with its `when` condition when it has one — and, out of a
// group, with the `approved` it defaults to (the default that changes routing;
// a step's default, `succeeded`, is the plain arrow).
import { memo } from "react";
import { EdgeLabelRenderer, getBezierPath, type Edge, type EdgeProps } from "@xyflow/react";
import type { When } from "../../../ipc";
import type { Issues } from "../../editor/diagnostics";
import { useEditor } from "../../editor/store";
import { useEdgeTaken } from "../../run/hooks";
import { useCriticalEdge } from "../../analytics/store";

export interface ConditionEdgeData extends Record<string, unknown> {
  from: string;
  to: string;
  when: When | null | undefined;
  /** The condition an edge without `when` takes (out of a group: `approved`). */
  implied?: When | null;
  issues: Issues | undefined;
  dim: boolean;
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

function ConditionEdge({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected, markerEnd }: EdgeProps<ConditionEdgeType>) {
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, sourcePosition, targetX, targetY, targetPosition, curvature: 0.3 });
  const when = data?.when;
  const error = (data?.issues?.errors ?? 0) > 0;
  const color = when ? `var(--when-${when})` : undefined;
  const taken = useEdgeTaken(data?.from, when);
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
        style={color && !selected && !error ? { stroke: color } : undefined}
      />
      <path d={path} fill="none" strokeOpacity={0} strokeWidth={18} className="react-flow__edge-interaction" />
      {(when || error || data?.implied) && (
        <EdgeLabelRenderer>
          <div
            className={`edge-label nodrag nopan${error ? " err" : ""}${!when && !error ? " implied" : ""}`}
            data-testid={`edge-label-${data?.from}-${data?.to}`}
            title={data?.issues?.messages.join("\n") || (!when && data?.implied ? `default: taken when the group is ${LABEL[data.implied]}` : undefined)}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)`, color: color ?? (error ? "var(--error)" : "var(--muted)"), opacity: data?.dim ? 0.3 : 1 }}
            onClick={() => useEditor.getState().select([], [id])}
          >
            {when ? LABEL[when] : error ? "!" : data?.implied ? LABEL[data.implied] : ""}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export default memo(ConditionEdge);
