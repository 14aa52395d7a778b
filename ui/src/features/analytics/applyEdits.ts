// A recommendation's edits applied to the editor's document — the same
// changes engine/src/analytics/recommend.rs `apply_edits` makes to the file,
// plus layout: a step that leaves its group is placed just below the group
// so it does not sit on top of it. One pure function, so "Apply" is one
// `edit` of the store: one undo step.
import type { Edge, Workflow } from "../../ipc";
import { STEP_H } from "../editor/geometry";
import { groupRects, setStepGroup, settleGroups, updateGroup, updateStep, type Doc } from "../editor/ops";
import type { Edit } from "./types";

export function applyEditsToDoc(doc: Doc, edits: Edit[]): Doc {
  let next = doc;
  for (const edit of edits) next = applyOne(next, edit);
  return next === doc ? doc : settleGroups(next);
}

function withWorkflow(doc: Doc, patch: Partial<Workflow>): Doc {
  return { ...doc, workflow: { ...doc.workflow, ...patch } };
}

function applyOne(doc: Doc, edit: Edit): Doc {
  const wf = doc.workflow;
  switch (edit.op) {
    case "remove_edge": {
      const edges = wf.edges.filter((e) => !(e.from === edit.from && e.to === edit.to));
      return edges.length === wf.edges.length ? doc : withWorkflow(doc, { edges });
    }
    case "add_edge": {
      if (wf.edges.some((e) => e.from === edit.from && e.to === edit.to)) return doc;
      const edge: Edge = edit.when ? { from: edit.from, to: edit.to, when: edit.when } : { from: edit.from, to: edit.to };
      return withWorkflow(doc, { edges: [...wf.edges, edge] });
    }
    case "set_limit":
      return withWorkflow(doc, { limits: { ...(wf.limits ?? {}), [edit.resource]: edit.value } });
    case "set_max_concurrency":
      return updateGroup(doc, edit.group, (g) => ({ ...g, max_concurrency: edit.value }));
    case "set_timeout":
      return updateStep(doc, edit.step, (s) => ({ ...s, timeout_s: edit.timeout_s }));
    case "set_backoff":
      // Like the engine's effective retry: the step's own policy, else the defaults'.
      return updateStep(doc, edit.step, (s) => ({ ...s, retry: { ...(s.retry ?? wf.defaults?.retry ?? {}), backoff_ms: edit.backoff_ms } }));
    case "leave_group": {
      const rect = groupRects(doc).get(edit.group);
      let next = setStepGroup(doc, edit.step, null);
      const p = next.positions[edit.step];
      if (rect && p && next !== doc) {
        // Below the group's rectangle, keeping its x: clear of the group.
        next = { ...next, positions: { ...next.positions, [edit.step]: { x: p.x, y: Math.round(rect.y + rect.height + STEP_H / 2) } } };
      }
      return next;
    }
  }
}
