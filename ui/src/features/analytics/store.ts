// The analytics view state: which run is analysed, its report, the workflow's
// trends, the recommendation being previewed, and the critical-path marks the
// canvas draws. Marks come from the chosen run's report, else from the
// editor's (history-aware) plan, so the toggle works before any run.
import { create } from "zustand";
import type { Workflow } from "../../ipc";
import { useEditor } from "../editor/store";
import type { Doc } from "../editor/ops";
import { adoptEditedWorkflow } from "./applyEdits";
import { edgeId, marksFromPlan, marksFromReport, type CriticalMarks } from "./critical";
import { diffWorkflows, touchedNodes, type Change } from "./diff";
import { fmtDuration } from "./format";
import { api, type RunInfo } from "./source";
import type { PlanLike, RunDigest, RunReport, TrendReport } from "./types";

export type Tab = "timeline" | "bottlenecks" | "recommendations" | "trends";

export interface Preview {
  index: number;
  /** The document the preview was computed from: stale once the doc changes. */
  doc: Doc;
  workflow: Workflow;
  plan: PlanLike | null;
  changes: Change[];
  touched: Set<string>;
}

/** What a canvas node shows. */
export interface NodeView {
  critical: boolean | null;
  slackMs: number | null;
  preview: boolean;
}

export interface AnalyticsState {
  open: boolean;
  tab: Tab;
  showCritical: boolean;
  workflowId: string | null;
  runs: RunInfo[];
  runId: string | null;
  report: RunReport | null;
  loading: boolean;
  error: string | null;
  trends: TrendReport | null;
  digests: RunDigest[];
  trendsError: string | null;
  preview: Preview | null;
  previewing: number | null;
  marks: CriticalMarks | null;
  nodeViews: Map<string, NodeView>;
  criticalEdges: Set<string>;
}

export interface AnalyticsActions {
  setOpen: (open: boolean) => void;
  setTab: (tab: Tab) => void;
  toggleCritical: () => void;
  /** Reloads the run list (and the chosen run's report, trends). */
  refresh: () => Promise<void>;
  selectRun: (runId: string | null) => Promise<void>;
  previewRecommendation: (index: number) => Promise<void>;
  clearPreview: () => void;
  applyRecommendation: (index: number) => Promise<void>;
}

const initial: AnalyticsState = {
  open: false,
  tab: "timeline",
  showCritical: false,
  workflowId: null,
  runs: [],
  runId: null,
  report: null,
  loading: false,
  error: null,
  trends: null,
  digests: [],
  trendsError: null,
  preview: null,
  previewing: null,
  marks: null,
  nodeViews: new Map(),
  criticalEdges: new Set(),
};

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Latest request per kind: answers to superseded requests are dropped. */
let reportSeq = 0;
let trendsSeq = 0;

export const useAnalytics = create<AnalyticsState & AnalyticsActions>()((set, get) => ({
  ...initial,

  setOpen: (open) => {
    set({ open });
    if (open) void get().refresh();
  },
  setTab: (tab) => set({ tab }),
  toggleCritical: () => {
    set((s) => ({ showCritical: !s.showCritical }));
    recomputeMarks();
    // Measured marks need a run: look for one the first time.
    if (get().showCritical && get().workflowId == null) void get().refresh();
  },

  refresh: async () => {
    const wf = useEditor.getState().doc.workflow;
    const workflowId = wf.id;
    if (get().workflowId !== workflowId) set({ ...resetFor(workflowId) });
    try {
      const runs = (await api.listRuns(workflowId, 100)).filter((r) => !r.parent_run_id);
      if (useEditor.getState().doc.workflow.id !== workflowId) return;
      set({ runs, error: null });
      const current = get().runId;
      const keep = current != null && runs.some((r) => r.run_id === current);
      // Newest run by default: what a person just ran is what they want to see.
      await get().selectRun(keep ? current : (runs[0]?.run_id ?? null));
    } catch (err) {
      set({ error: message(err) });
    }
    void loadTrends(workflowId);
  },

  selectRun: async (runId) => {
    const seq = ++reportSeq;
    set({ runId, loading: runId != null, error: null, preview: null, report: runId == null ? null : get().report?.run_id === runId ? get().report : null });
    recomputeMarks();
    if (runId == null) return;
    try {
      const report = await api.analyzeRun(runId);
      if (seq !== reportSeq) return;
      set({ report, loading: false });
    } catch (err) {
      if (seq !== reportSeq) return;
      set({ report: null, loading: false, error: message(err) });
    }
    recomputeMarks();
  },

  previewRecommendation: async (index) => {
    const rec = get().report?.recommendations[index];
    if (!rec) return;
    const doc = useEditor.getState().doc;
    set({ previewing: index });
    try {
      const res = await api.previewEdits(doc.workflow, rec.edits);
      if (get().previewing !== index) return;
      const changes = diffWorkflows(doc.workflow, res.workflow);
      set({ preview: { index, doc, workflow: res.workflow, plan: res.plan, changes, touched: touchedNodes(changes) }, previewing: null });
    } catch (err) {
      set({ previewing: null });
      useEditor.getState().showToast(`Preview failed: ${message(err)}`, true);
    }
    recomputeMarks();
  },

  clearPreview: () => {
    set({ preview: null, previewing: null });
    recomputeMarks();
  },

  applyRecommendation: async (index) => {
    const rec = get().report?.recommendations[index];
    if (!rec) return;
    const doc = useEditor.getState().doc;
    // The engine applies the edits (preview_edits); a preview of this very
    // document already holds its answer.
    const preview = get().preview;
    let edited: Workflow;
    try {
      edited = preview && preview.index === index && preview.doc === doc ? preview.workflow : (await api.previewEdits(doc.workflow, rec.edits)).workflow;
    } catch (err) {
      useEditor.getState().showToast(`Apply failed: ${message(err)}`, true);
      return;
    }
    const editor = useEditor.getState();
    if (editor.doc !== doc) {
      editor.showToast("The workflow changed while the recommendation was prepared; apply it again", true);
      return;
    }
    // One tracked edit: one undo step puts the workflow back as it was.
    editor.edit((d) => adoptEditedWorkflow(d, edited));
    set({ preview: null });
    recomputeMarks();
    const now = useEditor.getState();
    const nodes = rec.nodes.filter((id) => now.doc.workflow.steps.some((s) => s.id === id) || now.doc.workflow.groups.some((g) => g.id === id));
    now.select(nodes, []);
    now.showToast(`Applied: ${rec.kind.replace(/_/g, " ")} (predicted to save ${fmtDuration(rec.saves_ms)}) — Ctrl+Z undoes it`);
  },
}));

function resetFor(workflowId: string): Partial<AnalyticsState> {
  return { workflowId, runs: [], runId: null, report: null, trends: null, digests: [], preview: null, error: null, trendsError: null };
}

async function loadTrends(workflowId: string) {
  const seq = ++trendsSeq;
  try {
    const [trends, digests] = await Promise.all([api.workflowTrends(workflowId), api.workflowRunDigests(workflowId)]);
    if (seq !== trendsSeq) return;
    useAnalytics.setState({ trends, digests, trendsError: null });
  } catch (err) {
    if (seq !== trendsSeq) return;
    useAnalytics.setState({ trends: null, digests: [], trendsError: message(err) });
  }
}

/** The marks' source: the chosen run's report, else the editor's plan. */
function currentMarks(): CriticalMarks | null {
  const { report, runId } = useAnalytics.getState();
  const { doc, plan } = useEditor.getState();
  if (runId != null) {
    // While the chosen run's report loads, keep showing what was shown (no flicker).
    if (!report || report.run_id !== runId) return useAnalytics.getState().marks;
    return report.workflow_id === doc.workflow.id ? marksFromReport(report, doc.workflow) : null;
  }
  return plan ? marksFromPlan(plan as unknown as PlanLike, doc.workflow) : null;
}

function sameView(a: NodeView | undefined, b: NodeView): boolean {
  return !!a && a.critical === b.critical && a.slackMs === b.slackMs && a.preview === b.preview;
}

/** Rebuilds what the canvas shows; unchanged node views keep their identity so only changed cards re-render. */
export function recomputeMarks() {
  const s = useAnalytics.getState();
  const marks = s.showCritical ? currentMarks() : null;
  const prev = s.nodeViews;
  const next = new Map<string, NodeView>();
  const ids = new Set<string>([...(marks?.nodes.keys() ?? []), ...(s.preview?.touched ?? [])]);
  for (const id of ids) {
    const m = marks?.nodes.get(id);
    const view: NodeView = { critical: marks ? (m?.critical ?? false) : null, slackMs: m?.slackMs ?? null, preview: s.preview?.touched.has(id) ?? false };
    const old = prev.get(id);
    next.set(id, sameView(old, view) ? old! : view);
  }
  useAnalytics.setState({ marks, nodeViews: next, criticalEdges: marks?.edges ?? new Set() });
}

/** Follows the editor: a new plan or document re-marks; another workflow resets; an edit ends a preview. */
export function startAnalyticsSync(): () => void {
  return useEditor.subscribe((s, prev) => {
    if (s.doc.workflow.id !== prev.doc.workflow.id && useAnalytics.getState().workflowId != null) {
      useAnalytics.setState(resetFor(s.doc.workflow.id));
      const a = useAnalytics.getState();
      if (a.open || a.showCritical) void a.refresh();
    }
    const preview = useAnalytics.getState().preview;
    if (preview && s.doc !== preview.doc) useAnalytics.setState({ preview: null });
    if (s.plan !== prev.plan || s.doc !== prev.doc) recomputeMarks();
  });
}

/** For a canvas node: its critical mark, slack and preview highlight (undefined: nothing to show). */
export function useCriticalMark(nodeId: string): NodeView | undefined {
  return useAnalytics((s) => s.nodeViews.get(nodeId));
}

/** For a canvas edge: on the critical path being shown. */
export function useCriticalEdge(from: string | undefined, to: string | undefined): boolean {
  return useAnalytics((s) => from != null && to != null && s.criticalEdges.has(edgeId(from, to)));
}

/** Selects a node on the canvas and centres the view on it. */
export function focusNode(id: string) {
  const editor = useEditor.getState();
  const wf = editor.doc.workflow;
  if (!wf.steps.some((s) => s.id === id) && !wf.groups.some((g) => g.id === id)) {
    editor.showToast(`\`${id}\` is not in the workflow open in the editor`, true);
    return;
  }
  editor.select([id], []);
  editor.requestFocus();
}
