// A parallel group: a container whose header shows its aggregation rule.
import { memo } from "react";
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import type { Group } from "../../../ipc";
import { Icon } from "../../../components/icons";
import type { Issues } from "../../editor/diagnostics";
import { IssueBadge } from "../IssueBadge";
import { GroupRunBadge } from "../../run/badges";
import { useNodeRun } from "../../run/hooks";
import { markAttrs, NodeMark } from "../../analytics/NodeMark";
import { useCriticalMark } from "../../analytics/store";
import type { FlowMark } from "../step/Node";
import { ruleParts } from "./defaults";

export interface GroupNodeData extends Record<string, unknown> {
  group: Group;
  issues: Issues | undefined;
  branches: number;
  flow: FlowMark;
  dropTarget: boolean;
  status?: string;
}
export type GroupNodeType = Node<GroupNodeData, "parallel" | "map">;

export function GroupShell({ id, data, selected, map }: { id: string; data: GroupNodeData; selected: boolean; map: boolean }) {
  const { group, issues, branches, dropTarget } = data;
  const run = useNodeRun(id);
  const mark = useCriticalMark(id);
  const cls = ["group-node", map && "map", selected && "selected", issues?.errors && "has-error", dropTarget && "drop-target", run && `run-${run.status}`].filter(Boolean).join(" ");
  const rule = ruleParts(group);
  const limit = group.max_concurrency != null ? ` · ≤${group.max_concurrency}` : "";
  return (
    <div className={cls} data-testid={`node-${id}`} data-kind={map ? "map" : "group"} data-status={run?.status ?? data.status} data-flow={data.flow ?? undefined} {...markAttrs(mark)}>
      <Handle type="target" position={Position.Left} />
      <IssueBadge id={id} issues={issues} />
      <div className="group-head">
        <div className="g-row">
          <span className="g-icon">{map ? <Icon.map /> : <Icon.group />}</span>
          <span className="g-name" title={group.id}>
            {group.name ?? group.id}
          </span>
          <span className="g-count">
            {map ? (
              <>
                each <code>{group.for_each}</code>
              </>
            ) : (
              `${branches} branch${branches === 1 ? "" : "es"}`
            )}
            {limit}
          </span>
        </div>
        <span className="g-rule" data-testid={`rule-${id}`} title="aggregation rule">
          <b>{rule.strategy}</b>
          {rule.detail && <span>{rule.detail}</span>}
        </span>
      </div>
      <GroupRunBadge id={id} map={map} />
      <NodeMark mark={mark} />
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

function GroupNode({ id, data, selected }: NodeProps<GroupNodeType>) {
  return <GroupShell id={id} data={data} selected={!!selected} map={false} />;
}

export default memo(GroupNode);
