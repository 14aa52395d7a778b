// Inspector for an edge: its condition, and for a loop edge its round limit.
import type { Edge, When } from "../../../ipc";
import { Field, NumberInput, Select } from "../../../components/form";
import { Icon } from "../../../components/icons";
import { defaultLoopWhen, deleteEdges, LOOP_ROUNDS, updateEdge } from "../../editor/ops";
import { withField } from "../../editor/patch";
import { useEditor } from "../../editor/store";

export const STEP_WHEN: { value: When; label: string }[] = [
  { value: "succeeded", label: "succeeded" },
  { value: "failed", label: "failed" },
  { value: "done", label: "done (any result)" },
];
export const GROUP_WHEN: { value: When; label: string }[] = [
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
  const loop = edge.loop ?? null;
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
      <Field
        label="When"
        help={
          loop
            ? `Another round starts when the ${fromGroup ? "group's outcome" : "step's result"} matches (required for a loop)`
            : `Taken when the ${fromGroup ? "group's outcome" : "step's result"} matches; default: ${fromGroup ? "approved" : "succeeded"}`
        }
      >
        <Select<When>
          value={edge.when ?? undefined}
          options={fromGroup ? GROUP_WHEN : STEP_WHEN}
          // A loop edge has no default condition.
          allowEmpty={loop ? undefined : `default (${fromGroup ? "approved" : "succeeded"})`}
          onChange={(v) => edit((doc) => updateEdge(doc, edgeKey, (e) => withField(e, "when", v)))}
          testid="edge-when"
        />
      </Field>
      {loop ? (
        <>
          <Field label="Max rounds" help={`Loop edge: runs the body again, ${LOOP_ROUNDS.min}–${LOOP_ROUNDS.max} rounds in all`}>
            <NumberInput
              value={loop.max_rounds}
              integer
              min={LOOP_ROUNDS.min}
              max={LOOP_ROUNDS.max}
              onCommit={(v) => v != null && edit((doc) => updateEdge(doc, edgeKey, (e) => ({ ...e, loop: { max_rounds: Math.min(LOOP_ROUNDS.max, Math.max(LOOP_ROUNDS.min, v)) } })))}
              testid="edge-max-rounds"
            />
          </Field>
          <button
            className="btn outline"
            title="a plain edge back is a cycle, which the validator refuses"
            onClick={() => edit((doc) => updateEdge(doc, edgeKey, (e) => withField(e, "loop", undefined)))}
            data-testid="edge-unloop"
          >
            Make it a plain edge
          </button>
        </>
      ) : (
        <button
          className="btn outline"
          title="for an edge that points back: runs the nodes from its target to its source again"
          onClick={() =>
            edit((doc) => updateEdge(doc, edgeKey, (e) => ({ ...e, when: e.when ?? defaultLoopWhen(doc, e.from), loop: { max_rounds: LOOP_ROUNDS.default } })))
          }
          data-testid="edge-make-loop"
        >
          Make it a loop
        </button>
      )}
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
