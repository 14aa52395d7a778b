// Inspector for an edge: its condition.
import type { Edge, When } from "../../../ipc";
import { Field, Select } from "../../../components/form";
import { Icon } from "../../../components/icons";
import { deleteEdges, updateEdge } from "../../editor/ops";
import { withField } from "../../editor/patch";
import { useEditor } from "../../editor/store";

const STEP_WHEN: { value: When; label: string }[] = [
  { value: "succeeded", label: "succeeded" },
  { value: "failed", label: "failed" },
  { value: "done", label: "done (any result)" },
];
const GROUP_WHEN: { value: When; label: string }[] = [
  { value: "approved", label: "approved" },
  { value: "needs_work", label: "needs work" },
  { value: "rejected", label: "rejected" },
  { value: "failed", label: "failed" },
  { value: "done", label: "done (any outcome)" },
];

export function EdgePanel({ edgeKey, edge }: { edgeKey: string; edge: Edge }) {
  const fromGroup = useEditor((s) => s.doc.workflow.groups.some((g) => g.id === edge.from));
  const edit = useEditor((s) => s.edit);
  const select = useEditor((s) => s.select);
  return (
    <div className="fieldset">
      <div className="legend">Edge</div>
      <Field label="From">
        <button className="link-btn mono" onClick={() => select([edge.from])}>
          {edge.from}
        </button>
      </Field>
      <Field label="To">
        <button className="link-btn mono" onClick={() => select([edge.to])}>
          {edge.to}
        </button>
      </Field>
      <Field label="When" help={`Taken when the ${fromGroup ? "group's outcome" : "step's result"} matches; default: ${fromGroup ? "approved" : "succeeded"}`}>
        <Select<When>
          value={edge.when ?? undefined}
          options={fromGroup ? GROUP_WHEN : STEP_WHEN}
          allowEmpty={`default (${fromGroup ? "approved" : "succeeded"})`}
          onChange={(v) => edit((doc) => updateEdge(doc, edgeKey, (e) => withField(e, "when", v)))}
          testid="edge-when"
        />
      </Field>
      <button
        className="btn outline danger"
        onClick={() => {
          edit((doc) => deleteEdges(doc, [edgeKey]));
          select([], []);
        }}
      >
        <Icon.trash /> Delete edge
      </button>
    </div>
  );
}
