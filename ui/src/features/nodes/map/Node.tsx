// A map group: one branch run per element of `for_each`, bounded by `max_concurrency`.
import { memo } from "react";
import type { NodeProps } from "@xyflow/react";
import { GroupShell, type GroupNodeType } from "../group/Node";

function MapNode({ id, data, selected }: NodeProps<GroupNodeType>) {
  return <GroupShell id={id} data={data} selected={!!selected} map />;
}

export default memo(MapNode);
