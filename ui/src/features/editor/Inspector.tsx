// The right-hand panel: the selected node's (or edge's) form, or the workflow's settings.
import { Icon } from "../../components/icons";
import { EdgePanel } from "../nodes/edge/Panel";
import { GroupPanel } from "../nodes/group/Panel";
import { kindLabel } from "../nodes/step/defaults";
import { StepPanel } from "../nodes/step/Panel";
import { targetsOf } from "./diagnostics";
import { edgeKeys } from "./ops";
import { useEditor } from "./store";
import { WorkflowPanel } from "./WorkflowPanel";

function NodeDiagnostics({ id, edge }: { id: string; edge?: boolean }) {
  const diagnostics = useEditor((s) => s.diagnostics);
  const wf = useEditor((s) => s.doc.workflow);
  const mine = diagnostics.filter((d) => {
    const t = targetsOf(d, wf);
    return edge ? t.edges.includes(id) : t.nodes.includes(id);
  });
  if (mine.length === 0) return null;
  return (
    <div className="insp-diags">
      {mine.map((d, i) => (
        <div key={i} className={`insp-diag ${d.severity}`} data-testid="inspector-diagnostic" data-code={d.code}>
          {d.severity === "error" ? <Icon.error /> : <Icon.warning />}
          <span>
            {d.message}
            <span className="code">
              {d.code} · {d.path}
            </span>
          </span>
        </div>
      ))}
    </div>
  );
}

export function Inspector() {
  const selection = useEditor((s) => s.selection);
  const selectedEdges = useEditor((s) => s.selectedEdges);
  const wf = useEditor((s) => s.doc.workflow);

  let head: { icon: React.ReactNode; title: string; sub: string; kind?: string };
  let body: React.ReactNode;
  if (selection.length === 1) {
    const id = selection[0];
    const step = wf.steps.find((s) => s.id === id);
    const group = wf.groups.find((g) => g.id === id);
    if (step) {
      const KindIcon = Icon[step.agent.kind];
      head = { icon: <KindIcon />, title: step.name ?? step.id, sub: `${kindLabel(step.agent.kind)} step${step.group ? ` · branch of ${step.group}` : ""}`, kind: step.agent.kind };
      body = (
        <>
          <NodeDiagnostics id={id} />
          <StepPanel key={id} step={step} />
        </>
      );
    } else if (group) {
      const map = group.for_each != null;
      head = { icon: map ? <Icon.map /> : <Icon.group />, title: group.name ?? group.id, sub: map ? "Map group" : "Parallel group" };
      body = (
        <>
          <NodeDiagnostics id={id} />
          <GroupPanel key={id} group={group} />
        </>
      );
    } else {
      head = { icon: <Icon.settings />, title: "Nothing selected", sub: "" };
      body = null;
    }
  } else if (selection.length > 1) {
    head = { icon: <Icon.gallery />, title: `${selection.length} nodes selected`, sub: "Delete, copy, or drag them together" };
    body = <div className="empty-note">Select a single node to edit it.</div>;
  } else if (selectedEdges.length === 1) {
    const keys = edgeKeys(wf.edges);
    const i = keys.indexOf(selectedEdges[0]);
    const edge = wf.edges[i];
    head = { icon: <Icon.edge />, title: edge ? `${edge.from} → ${edge.to}` : "Edge", sub: "Edge" };
    body = edge ? (
      <>
        <NodeDiagnostics id={selectedEdges[0]} edge />
        <EdgePanel edgeKey={selectedEdges[0]} edge={edge} />
      </>
    ) : null;
  } else {
    head = { icon: <Icon.settings />, title: wf.name ?? wf.id, sub: "Workflow settings" };
    body = <WorkflowPanel />;
  }

  return (
    <aside className="side right inspector" data-testid="inspector" data-selected={selection.length === 1 ? selection[0] : undefined}>
      <div className="insp-head">
        <span className="kind-icon" style={{ "--kind-color": head.kind ? `var(--kind-${head.kind})` : "var(--accent)" } as React.CSSProperties}>
          {head.icon}
        </span>
        <div style={{ minWidth: 0 }}>
          <div className="t">{head.title}</div>
          <div className="s">{head.sub}</div>
        </div>
      </div>
      <div className="insp-body">{body}</div>
    </aside>
  );
}
