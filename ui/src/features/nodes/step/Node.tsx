// A step card: agent kind, name, id, timeout, retries, requires → produces.
import { memo } from "react";
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import type { Step } from "../../../ipc";
import { Icon } from "../../../components/icons";
import type { Issues } from "../../editor/diagnostics";
import { useEditor } from "../../editor/store";
import { IssueBadge } from "../IssueBadge";
import { StepRunBadge } from "../../run/badges";
import { ApprovalPrompt } from "../../run/ApprovalPrompt";
import { useNodeRun } from "../../run/hooks";
import { markAttrs, NodeMark } from "../../analytics/NodeMark";
import { fmtDuration } from "../../../lib/duration";
import { useCriticalMark } from "../../analytics/store";

export type FlowMark = "produce" | "read" | "both" | "dim" | null;

export interface StepNodeData extends Record<string, unknown> {
  step: Step;
  issues: Issues | undefined;
  flow: FlowMark;
  flowKey: string | null;
  inGroup: boolean;
  status?: string;
}
export type StepNodeType = Node<StepNodeData, "step">;



function setKey(e: React.MouseEvent, key: string) {
  e.stopPropagation();
  const s = useEditor.getState();
  s.setDataflowKey(s.dataflowKey === key ? null : key);
}

function Chips({ keys, out, flowKey, max }: { keys: string[]; out?: boolean; flowKey: string | null; max: number }) {
  const shown = keys.slice(0, max);
  return (
    <>
      {shown.map((k) => (
        <span
          key={k}
          className={`chip${out ? " out" : ""}${flowKey === k ? (out ? " hl-produce" : " hl-read") : ""}`}
          title={`${out ? "produces" : "requires"} ${k} — click to trace`}
          onClick={(e) => setKey(e, k)}
        >
          {k}
        </span>
      ))}
      {keys.length > max && <span className="chip-more">+{keys.length - max}</span>}
    </>
  );
}

function StepNode({ id, data, selected }: NodeProps<StepNodeType>) {
  const { step, issues, flow, flowKey, inGroup } = data;
  const run = useNodeRun(id);
  const mark = useCriticalMark(id);
  const kind = step.agent.kind;
  const KindIcon = Icon[kind];
  const optional = step.required === false;
  const attempts = step.retry?.max_attempts ?? 1;
  const requires = step.requires ?? [];
  const produces = step.produces ?? [];
  const cls = [
    "step-node",
    optional && "optional",
    selected && "selected",
    issues?.errors && "has-error",
    issues?.warnings && "has-warning",
    run && `run-${run.status}`,
  ]
    .filter(Boolean)
    .join(" ");
  return (
    <div
      className={cls}
      data-testid={`node-${id}`}
      data-kind="step"
      data-agent={kind}
      data-status={run?.status ?? data.status}
      data-flow={flow ?? undefined}
      {...markAttrs(mark)}
      style={{ "--kind-color": `var(--kind-${kind})` } as React.CSSProperties}
    >
      {!inGroup && <Handle type="target" position={Position.Left} />}
      <IssueBadge id={id} issues={issues} />
      <StepRunBadge id={id} />
      <NodeMark mark={mark} />
      <div className="step-head">
        <span className="kind-icon" title={`${kind} agent`}>
          <KindIcon />
        </span>
        <span className="step-name" title={step.name ?? step.id}>
          {step.name ?? step.id}
        </span>
      </div>
      <div className="step-meta">
        <span className="id">{step.id}</span>
        {inGroup && step.weight != null && (
          <span className="tag weight" title="branch weight">
            w {step.weight}
          </span>
        )}
        {optional && <span className="tag optional">optional</span>}
        {step.timeout_s != null && (
          <span className="m" title="timeout">
            <Icon.clock />
            {fmtDuration(step.timeout_s * 1000)}
          </span>
        )}
        {attempts > 1 && (
          <span className="m" title="attempts">
            <Icon.retry />×{attempts}
          </span>
        )}
      </div>
      <div className="chips">
        {requires.length > 0 && <Chips keys={requires} flowKey={flowKey} max={produces.length ? 1 : 2} />}
        {(requires.length > 0 || produces.length > 0) && <span className="chip-sep">→</span>}
        {produces.length > 0 && <Chips keys={produces} out flowKey={flowKey} max={1} />}
      </div>
      {kind === "approval" && <ApprovalPrompt step={id} />}
      {!inGroup && <Handle type="source" position={Position.Right} />}
    </div>
  );
}

export default memo(StepNode);
