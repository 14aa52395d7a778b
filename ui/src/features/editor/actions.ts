// Editing actions shared by the palette, the shortcuts and the menus. Each is
// one tracked edit (one undo step).
import type { Step } from "../../ipc";
import { defaultGroup } from "../nodes/group/defaults";
import { defaultMap } from "../nodes/map/defaults";
import { defaultStep } from "../nodes/step/defaults";
import { contains, STEP_H, STEP_W } from "./geometry";
import {
  type AgentKind,
  addGroup,
  addStep,
  copyNodes,
  deleteEdges,
  deleteNodes,
  groupRects,
  nodeIds,
  pasteNodes,
  settleGroups,
  uniqueId,
} from "./ops";
import { useEditor } from "./store";

export type PaletteItem = { type: "step"; kind: AgentKind } | { type: "group" } | { type: "map" };

/** Adds a palette item at `pos` (flow coordinates, top-left); a step dropped on a group joins it. */
export function addFromPalette(item: PaletteItem, pos: { x: number; y: number }): string {
  const s = useEditor.getState();
  const taken = nodeIds(s.doc);
  let newId = "";
  s.edit((doc) => {
    if (item.type === "step") {
      const id = uniqueId(taken, `${item.kind}-step`);
      newId = id;
      const step: Step = defaultStep(id, item.kind);
      const rects = groupRects(doc);
      for (const g of doc.workflow.groups) {
        const r = rects.get(g.id);
        if (r && contains(r, pos.x + STEP_W / 2, pos.y + STEP_H / 2)) {
          step.group = g.id;
          break;
        }
      }
      return settleGroups(addStep(doc, step, pos));
    }
    if (item.type === "group") {
      const id = uniqueId(taken, "group");
      newId = id;
      return addGroup(doc, defaultGroup(id), pos);
    }
    const id = uniqueId(taken, "for-each");
    const branchId = uniqueId(new Set([...taken, id]), "per-item");
    newId = id;
    const { group, branch } = defaultMap(id, branchId);
    return settleGroups(addGroup(doc, group, pos, [branch]));
  });
  useEditor.getState().select([newId]);
  return newId;
}

export function deleteSelection() {
  const s = useEditor.getState();
  if (s.selection.length === 0 && s.selectedEdges.length === 0) return;
  s.edit((doc) => deleteEdges(deleteNodes(doc, s.selection), s.selectedEdges));
  s.select([], []);
}

export function copySelection(): boolean {
  const s = useEditor.getState();
  const clip = copyNodes(s.doc, s.selection);
  if (clip) s.setClipboard(clip);
  return clip != null;
}

export function cutSelection() {
  if (copySelection()) deleteSelection();
}

export function paste() {
  const s = useEditor.getState();
  if (!s.clipboard) return;
  const clip = s.clipboard;
  let ids: string[] = [];
  s.edit((doc) => {
    const r = pasteNodes(doc, clip);
    ids = r.ids;
    return r.doc;
  });
  s.select(ids);
  // The next paste lands a step further, not on top of this one.
  s.setClipboard({ ...clip, positions: Object.fromEntries(Object.entries(clip.positions).map(([k, p]) => [k, { ...p, x: p.x + 40, y: p.y + 40 }])) });
}

export function duplicateSelection() {
  if (copySelection()) paste();
}

export function selectAll() {
  const s = useEditor.getState();
  s.select([...nodeIds(s.doc)]);
}
