// Inspector for a parallel group or a map: aggregation rule and its
// parameters, concurrency, the branches with their weights, and a live preview.
import type { Aggregate, Group, Step, Strategy } from "../../../ipc";
import { Field, NumberInput, Select, TextInput } from "../../../components/form";
import { allKeys } from "../../editor/dataflow";
import { renameNode, updateGroup, updateStep } from "../../editor/ops";
import { withField } from "../../editor/patch";
import { useEditor } from "../../editor/store";
import { STRATEGIES } from "./defaults";
import { AggregationPreview } from "./Preview";

export function GroupPanel({ group }: { group: Group }) {
  const wf = useEditor((s) => s.doc.workflow);
  const edit = useEditor((s) => s.edit);
  const select = useEditor((s) => s.select);
  const change = (fn: (g: Group) => Group) => edit((doc) => updateGroup(doc, group.id, fn));
  const set = <K extends keyof Group>(k: K, v: Group[K] | undefined) => change((g) => withField(g, k, v));
  const setAgg = <K extends keyof Aggregate>(k: K, v: Aggregate[K] | undefined) => change((g) => ({ ...g, aggregate: withField(g.aggregate, k, v) }));
  const branches: Step[] = wf.steps.filter((s) => s.group === group.id);
  const strategy = group.aggregate.strategy;
  const isMap = group.for_each != null;
  const blurb = STRATEGIES.find((s) => s.value === strategy)?.blurb;

  return (
    <>
      <div className="fieldset">
        <div className="legend">{isMap ? "Map group" : "Parallel group"}</div>
        <Field label="Name">
          <TextInput value={group.name} onCommit={(v) => set("name", v)} placeholder={group.id} testid="group-name" />
        </Field>
        <Field label="Id">
          <TextInput value={group.id} mono testid="group-id" onCommit={(v) => v && edit((doc) => renameNode(doc, group.id, v))} />
        </Field>
        <Field label="Max at once" help="Branches (or elements) running concurrently">
          <NumberInput value={group.max_concurrency} integer min={1} placeholder="unbounded" onCommit={(v) => set("max_concurrency", v)} testid="group-max-concurrency" />
        </Field>
        <Field label="For each" help={isMap ? "Runs its one branch per element of this list" : "Set a list key to make this group a map"}>
          <TextInput value={group.for_each} mono list="braid-known-keys" placeholder="— not a map —" onCommit={(v) => set("for_each", v)} testid="group-for-each" />
        </Field>
        <datalist id="braid-known-keys">
          {allKeys(wf).map((k) => (
            <option key={k} value={k} />
          ))}
        </datalist>
      </div>

      <div className="fieldset">
        <div className="legend">Aggregation</div>
        <Field label="Strategy" help={blurb}>
          <Select<Strategy> value={strategy} options={STRATEGIES.map((s) => ({ value: s.value, label: s.label }))} onChange={(v) => v && setAgg("strategy", v)} testid="group-strategy" />
        </Field>
        {strategy === "quorum" && (
          <Field label="k" help="Approvals needed">
            <NumberInput value={group.aggregate.k} integer min={1} onCommit={(v) => setAgg("k", v)} testid="group-k" />
          </Field>
        )}
        {strategy !== "all" && (
          <div className="row2">
            <Field label="Approve at" stack>
              <NumberInput value={group.aggregate.approve_at} min={0} max={100} placeholder="80" onCommit={(v) => setAgg("approve_at", v)} testid="group-approve-at" />
            </Field>
            <Field label="Needs work at" stack>
              <NumberInput value={group.aggregate.needs_work_at} min={0} max={100} placeholder="—" onCommit={(v) => setAgg("needs_work_at", v)} testid="group-needs-work-at" />
            </Field>
          </div>
        )}
        <div className="help" style={{ fontSize: 11, color: "var(--muted)" }}>
          Writes <code>{group.id}.outcome</code>, <code>{group.id}.score</code> and <code>{group.id}.approved</code>.
        </div>
      </div>

      <div className="fieldset">
        <div className="legend">
          Branches <span className="right">{branches.length}</span>
        </div>
        {branches.length === 0 && <div className="help">Drag a step into the group, or add one from the palette onto it.</div>}
        {branches.map((b) => (
          <div className="kv" key={b.id} style={{ gridTemplateColumns: "1fr 70px 70px" }}>
            <button className="link-btn" style={{ textAlign: "left", overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }} onClick={() => select([b.id])} title={b.id}>
              {b.name ?? b.id}
            </button>
            <NumberInput value={b.weight} min={0} step={0.1} placeholder="w 1" onCommit={(v) => edit((doc) => updateStep(doc, b.id, (s) => withField(s, "weight", v)))} testid={`branch-weight-${b.id}`} />
            <select
              className="select"
              value={b.required === false ? "optional" : "required"}
              onChange={(e) => edit((doc) => updateStep(doc, b.id, (s) => withField(s, "required", e.target.value === "optional" ? false : undefined)))}
            >
              <option value="required">req.</option>
              <option value="optional">opt.</option>
            </select>
          </div>
        ))}
      </div>

      <div className="fieldset">
        <div className="legend">Preview</div>
        <AggregationPreview group={group} branches={branches} />
      </div>
    </>
  );
}
