// The graph canvas. React Flow is controlled: nodes and edges are derived from
// the store (see flow.ts); a drag is kept as view state and committed to the
// document — one undo step — when it ends.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  useStore,
  type Connection,
  type EdgeChange,
  type IsValidConnection,
  type NodeChange,
  type OnNodeDrag,
} from "@xyflow/react";
import ConditionEdge from "../nodes/edge/ConditionEdge";
import { LoopDialog, type LoopProposal } from "../nodes/edge/LoopDialog";
import GroupNode from "../nodes/group/Node";
import MapNode from "../nodes/map/Node";
import StepNode from "../nodes/step/Node";
import { addFromPalette, type PaletteItem } from "./actions";
import { useFlowElements, type FlowNode } from "./flow";
import { contains, STEP_H, STEP_W } from "./geometry";
import { addEdge, groupRects, moveNodes, setStepGroup, settleGroups, wouldCycle } from "./ops";
import { useEditor } from "./store";
import { markInteractive } from "./perf";

// Module scope: a new object per render would remount every node.
const nodeTypes = { step: StepNode, parallel: GroupNode, map: MapNode };
const edgeTypes = { condition: ConditionEdge };
const proOptions = { hideAttribution: true };
const fitViewOptions = { padding: 0.15, maxZoom: 1.1 };

/** Below this zoom, cards drop their details (see `.zoom-far` in app.css). */
const FAR_ZOOM = 0.35;

/** Large graphs render only what is on screen. */
const VIRTUALIZE_ABOVE = 400;
/** The canvas height below which the minimap is hidden: on a short canvas it would cover the graph. */
const MINIMAP_MIN_HEIGHT = 360;

/** An element's height, following resizes. */
function useHeight(ref: React.RefObject<HTMLElement | null>): number {
  const [height, setHeight] = useState(Number.MAX_SAFE_INTEGER);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setHeight(el.clientHeight || Number.MAX_SAFE_INTEGER);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return height;
}

/**
 * Rendering switches for performance experiments, read once at start from
 * localStorage `braid.tuning` (e.g. `{"minimap": false}`); defaults are what
 * ships.
 */
const tuning: { minimap: boolean; virtualize: boolean; layer: boolean; lod: boolean; background: boolean } = (() => {
  const defaults = { minimap: true, virtualize: true, layer: true, lod: true, background: true };
  try {
    return { ...defaults, ...JSON.parse(globalThis.localStorage?.getItem("braid.tuning") ?? "{}") };
  } catch {
    return defaults;
  }
})();

function minimapColor(n: FlowNode): string {
  if (n.type === "parallel") return "rgba(79,70,229,0.18)";
  if (n.type === "map") return "rgba(2,132,199,0.2)";
  return "var(--border-strong)";
}

export function Canvas() {
  const { nodes, edges } = useFlowElements();
  const theme = useEditor((s) => s.theme);
  const fitRequest = useEditor((s) => s.fitRequest);
  const focusRequest = useEditor((s) => s.focusRequest);
  const empty = useEditor((s) => s.doc.workflow.steps.length + s.doc.workflow.groups.length === 0);
  const rf = useReactFlow();
  // Far out, cards show only their names: less to lay out and paint per frame.
  const far = useStore((s) => s.transform[2] < FAR_ZOOM);
  const wrapper = useRef<HTMLDivElement>(null);

  // A handle for the WebDriver tests (viewport control, perf measurements).
  useEffect(() => {
    (window as unknown as { __braid?: unknown }).__braid = { rf, store: useEditor };
  }, [rf]);

  useLayoutEffect(() => {
    if (fitRequest !== 0) performance.mark("braid:committed");
  }, [fitRequest]);

  useEffect(() => {
    if (fitRequest === 0) return;
    // Wait a frame so freshly loaded nodes are in React Flow's store.
    const id = requestAnimationFrame(() => {
      performance.mark("braid:first-frame");
      const all = rf.getNodes();
      if (all.length > VIRTUALIZE_ABOVE) {
        // A big graph opens at a readable zoom at its start (the left edge),
        // mounting only the cards on screen; F or the minimap shows it all.
        const b = rf.getNodesBounds(all);
        const zoom = 0.75;
        void rf.setViewport({ x: 40 - b.x * zoom, y: 40 - b.y * zoom, zoom }, { duration: 0 });
      } else {
        void rf.fitView({ ...fitViewOptions, duration: 0 });
      }
      markInteractive();
    });
    return () => cancelAnimationFrame(id);
  }, [fitRequest, rf]);

  useEffect(() => {
    if (focusRequest === 0) return;
    const ids = useEditor.getState().selection;
    if (ids.length) void rf.fitView({ nodes: ids.map((id) => ({ id })), padding: 0.6, maxZoom: 1.2, duration: 250 });
  }, [focusRequest, rf]);

  const onNodesChange = useCallback((changes: NodeChange<FlowNode>[]) => {
    const s = useEditor.getState();
    let selection: Set<string> | null = null;
    let drag: Record<string, { x: number; y: number }> | null = null;
    for (const c of changes) {
      if (c.type === "select") {
        selection ??= new Set(s.selection);
        if (c.selected) selection.add(c.id);
        else selection.delete(c.id);
      } else if (c.type === "position" && c.position && c.dragging) {
        drag ??= { ...(s.drag ?? {}) };
        drag[c.id] = c.position;
      }
    }
    if (selection) s.select([...selection], s.selectedEdges);
    if (drag) s.setDrag(drag, dropTargetFor(drag));
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    const s = useEditor.getState();
    let selected: Set<string> | null = null;
    for (const c of changes) {
      if (c.type === "select") {
        selected ??= new Set(s.selectedEdges);
        if (c.selected) selected.add(c.id);
        else selected.delete(c.id);
      }
    }
    if (selected) s.select(s.selection, [...selected]);
  }, []);

  const onNodeDragStop: OnNodeDrag<FlowNode> = useCallback(() => {
    const s = useEditor.getState();
    const drag = s.drag;
    if (!drag) return;
    const target = s.dropTarget;
    s.edit((doc) => {
      const rects = groupRects(doc);
      const moves: Record<string, { x: number; y: number }> = {};
      for (const [id, p] of Object.entries(drag)) {
        const step = doc.workflow.steps.find((st) => st.id === id);
        const parent = step?.group != null ? rects.get(step.group) : undefined;
        moves[id] = parent ? { x: p.x + parent.x, y: p.y + parent.y } : p;
      }
      let next = moveNodes(doc, moves);
      const ids = Object.keys(drag);
      if (ids.length === 1) {
        const step = next.workflow.steps.find((st) => st.id === ids[0]);
        if (step && (step.group ?? null) !== target) next = settleGroups(setStepGroup(next, step.id, target));
      }
      return next;
    });
    s.setDrag(null, null);
  }, []);

  // An edge that would close a cycle is offered as a loop edge instead.
  const [loopProposal, setLoopProposal] = useState<LoopProposal | null>(null);

  const onConnect = useCallback((c: Connection) => {
    if (!c.source || !c.target) return;
    const s = useEditor.getState();
    if (wouldCycle(s.doc.workflow.edges, c.source, c.target)) setLoopProposal({ from: c.source, to: c.target });
    else s.edit((doc) => addEdge(doc, c.source, c.target));
  }, []);

  // Cycles are allowed while dragging (even onto the node itself): dropping one asks "Make it a loop".
  const isValidConnection: IsValidConnection = useCallback((c) => {
    const wf = useEditor.getState().doc.workflow;
    const { source, target } = c;
    if (!source || !target) return false;
    const branch = (id: string) => wf.steps.some((s) => s.id === id && s.group != null);
    if (branch(source) || branch(target)) return false;
    return !wf.edges.some((e) => e.from === source && e.to === target);
  }, []);

  const onDragOver = useCallback((e: React.DragEvent) => {
    if (e.dataTransfer.types.includes("application/x-braid-palette")) {
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    }
  }, []);

  const onDrop = useCallback(
    (e: React.DragEvent) => {
      const raw = e.dataTransfer.getData("application/x-braid-palette");
      if (!raw) return;
      e.preventDefault();
      const item = JSON.parse(raw) as PaletteItem;
      const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      addFromPalette(item, { x: p.x - STEP_W / 2, y: p.y - STEP_H / 2 });
    },
    [rf],
  );

  // With the run and analytics panels open the canvas can be a strip a
  // couple of hundred pixels tall: the minimap would then cover the graph.
  const roomy = useHeight(wrapper) >= MINIMAP_MIN_HEIGHT;

  return (
    <div className="canvas" ref={wrapper} onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <ReactFlow<FlowNode>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStop={onNodeDragStop}
        onConnect={onConnect}
        isValidConnection={isValidConnection}
        onPaneClick={() => useEditor.getState().select([], [])}
        colorMode={theme}
        proOptions={proOptions}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Meta", "Control"]}
        minZoom={0.05}
        maxZoom={2}
        onlyRenderVisibleElements={tuning.virtualize && nodes.length > VIRTUALIZE_ABOVE}
        className={[tuning.layer && "layered", tuning.lod && far && "zoom-far"].filter(Boolean).join(" ") || undefined}
        elevateNodesOnSelect={false}
        fitViewOptions={fitViewOptions}
        connectionRadius={28}
      >
        {tuning.background && <Background variant={BackgroundVariant.Dots} gap={20} size={1.4} color="var(--canvas-dot)" />}
        {tuning.minimap && roomy && (
          <MiniMap<FlowNode> pannable zoomable style={{ width: 168, height: 112 }} nodeColor={minimapColor} nodeStrokeWidth={0} />
        )}
        <Controls showInteractive={false} />
      </ReactFlow>
      {loopProposal && <LoopDialog proposal={loopProposal} onClose={() => setLoopProposal(null)} />}
      {empty && (
        <div className="canvas-empty">
          <div>
            <b>An empty workflow</b>
            Add a step from the palette, or open an example from the gallery.
          </div>
        </div>
      )}
    </div>
  );
}

/** The group whose rectangle holds the centre of the single dragged step. */
function dropTargetFor(drag: Record<string, { x: number; y: number }>): string | null {
  const ids = Object.keys(drag);
  if (ids.length !== 1) return null;
  const { doc } = useEditor.getState();
  const step = doc.workflow.steps.find((s) => s.id === ids[0]);
  if (!step) return null;
  const rects = groupRects(doc);
  const parent = step.group != null ? rects.get(step.group) : undefined;
  const p = drag[ids[0]];
  const cx = p.x + (parent?.x ?? 0) + STEP_W / 2;
  const cy = p.y + (parent?.y ?? 0) + STEP_H / 2;
  for (const g of doc.workflow.groups) {
    const r = rects.get(g.id);
    if (r && contains(r, cx, cy)) return g.id;
  }
  return null;
}
