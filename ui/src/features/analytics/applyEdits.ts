// A recommendation applied to the editor's document. The edits themselves are
// the engine's (braid_analytics::apply_edits, reached through the
// `preview_edits` command, which returns the edited workflow): this module only
// adopts that workflow into the document and does what the engine cannot —
// layout: a step that leaves its group is placed just below the group so it
// does not sit on top of it. One pure function, so "Apply" is one `edit` of
// the store: one undo step.
import type { Workflow } from "../../ipc";
import { STEP_H } from "../editor/geometry";
import { groupRects, settleGroups, type Doc } from "../editor/ops";
import { canonical } from "./diff";

export function adoptEditedWorkflow(doc: Doc, edited: Workflow): Doc {
  if (canonical(doc.workflow) === canonical(edited)) return doc;
  const before = doc.workflow;
  // Share what did not change, so only the cards that changed re-render.
  const share = <T extends { id: string }>(old: T[], now: T[]): T[] => {
    const byId = new Map(old.map((x) => [x.id, x]));
    return now.map((x) => {
      const prev = byId.get(x.id);
      return prev && canonical(prev) === canonical(x) ? prev : x;
    });
  };
  const steps = share(before.steps, edited.steps);
  const groups = share(before.groups, edited.groups);
  const rects = groupRects(doc);
  let positions = doc.positions;
  for (const step of steps) {
    const was = before.steps.find((s) => s.id === step.id)?.group;
    const rect = was ? rects.get(was) : undefined;
    const p = positions[step.id];
    if (was && !step.group && rect && p) {
      // Below the group's rectangle, keeping its x: clear of the group.
      positions = { ...positions, [step.id]: { x: p.x, y: Math.round(rect.y + rect.height + STEP_H / 2) } };
    }
  }
  return settleGroups({ workflow: { ...edited, steps, groups }, positions });
}
