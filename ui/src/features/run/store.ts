// The run the canvas shows: live (started here, resumed, rerun) or replayed
// from history. Live events go through an EventFeed (one reducer pass per
// animation frame); on `finished` the store's summary reconciles the view.
import { create } from "zustand";
import { openReview } from "../trust/review";
import { runApi, type LoadedRun, type RunStart, type RunUpdate } from "./api";
import { EventFeed, FrameMeter, type FrameStats } from "./feed";
import { applyEvents, initialView, reconcile, type RunShape, type RunView } from "./reducer";
import type { JsonMap, RunEvent, RunSummary } from "./types";

export type RunTab = "output" | "result" | "context" | "events" | "history";

export interface RunState {
  view: RunView | null;
  /** `live`: events are streaming (or just ended) here; `replay`: a past run from the store. */
  mode: "live" | "replay" | null;
  /** Every event of the shown run so far, in order (the scrubber's material). */
  events: RunEvent[];
  /** Replay position: the view shows events[0..scrub]; null = the end. */
  scrub: number | null;
  summary: RunSummary | null;
  /** The run as the store has it (attempts with output tails, context writes), once finished or opened. */
  loaded: LoadedRun | null;
  /** Frame times while the last live run streamed. */
  perf: FrameStats | null;
  starting: boolean;
  message: { text: string; error: boolean } | null;
  /** Non-idempotent steps an interrupted run's resume asks about. */
  decision: { runId: string; steps: string[] } | null;
  panelOpen: boolean;
  tab: RunTab;
  /** Bumps when a run ends, so the history list refreshes. */
  historyVersion: number;
}

export const useRun = create<RunState>(() => ({
  view: null,
  mode: null,
  events: [],
  scrub: null,
  summary: null,
  loaded: null,
  perf: null,
  starting: false,
  message: null,
  decision: null,
  panelOpen: false,
  tab: "output",
  historyVersion: 0,
}));

/** Runs shorter than this end without a desktop notification. */
const NOTIFY_AFTER_MS = 10_000;

/**
 * The live session; a newer one makes older callbacks inert. It outlives
 * `finished` (`ended`): a last event batch may still be on its way then, and
 * is applied and reconciled with the summary again.
 */
let session: { feed: EventFeed; meter: FrameMeter; id: number; ended: boolean } | null = null;
let sessionIds = 0;

function endSession() {
  session?.feed.dispose();
  session?.meter.stop();
  session = null;
}

/** A new live view over `shape`, optionally continuing `prior` events (resume). */
function beginLive(shape: RunShape, prior: RunEvent[] = []): (u: RunUpdate) => void {
  endSession();
  const id = ++sessionIds;
  const events = [...prior];
  const meter = new FrameMeter();
  let final: RunSummary | null = null;
  const feed = new EventFeed((batch) => {
    const t0 = performance.now();
    for (const e of batch) events.push(e);
    const before = useRun.getState().view ?? initialView(shape);
    let view = applyEvents(before, batch);
    if (final) view = reconcile(view, final);
    useRun.setState({ view, events });
    if (view.status === "waiting" && before.status !== "waiting") notifyWaiting(view);
    meter.recordApply(performance.now() - t0, batch.length);
  });
  const me = { feed, meter, id, ended: false };
  session = me;
  meter.start();
  useRun.setState({
    view: applyEvents(initialView(shape), prior),
    mode: "live",
    events,
    scrub: null,
    summary: null,
    loaded: null,
    message: null,
    decision: null,
    panelOpen: true,
  });
  return (u) => {
    if (session !== me) return;
    if (u.kind === "events") {
      feed.push(u.events);
    } else if (u.kind === "finished") {
      feed.flush();
      meter.stop();
      me.ended = true;
      final = u.summary;
      const view = reconcile(useRun.getState().view ?? initialView(shape), u.summary);
      useRun.setState((s) => ({ view, summary: u.summary, perf: meter.stats(), historyVersion: s.historyVersion + 1 }));
      notifyIfAway(u.summary);
      // The store's record adds what events do not keep in the view: every attempt's tails.
      void runApi.load(u.summary.run_id).then(
        (loaded) => useRun.getState().view?.runId === u.summary.run_id && useRun.setState({ loaded }),
        () => undefined,
      );
    } else {
      feed.flush();
      meter.stop();
      me.ended = true;
      useRun.setState((s) => ({ message: { text: u.message, error: true }, historyVersion: s.historyVersion + 1 }));
    }
  };
}

function notifyIfAway(summary: RunSummary) {
  if (summary.duration_ms < NOTIFY_AFTER_MS || document.hasFocus()) return;
  const secs = Math.round(summary.duration_ms / 1000);
  void runApi.notifyEnded(`${summary.workflow_id}: ${summary.status.replace("_", " ")}`, `Run ${summary.run_id} ended after ${secs} s`).catch(() => undefined);
}

/** A run started waiting for a person: say so when the app is not in front (on the canvas the prompt is plain to see). */
function notifyWaiting(view: RunView) {
  if (document.hasFocus()) return;
  const steps = [...new Set(Object.values(view.approvals).map((a) => a.step))];
  const what = steps.length ? `${steps.join(", ")} ${steps.length === 1 ? "waits" : "wait"} for your decision` : "A step waits for your decision";
  void runApi.notifyWaiting(`${view.workflowId ?? "Run"}: waiting for you`, `${what} (run ${view.runId ?? ""}).`).catch(() => undefined);
}

function errorText(err: unknown): string {
  if (err && typeof err === "object" && "message" in err) return String((err as { message: unknown }).message);
  return String(err);
}

/**
 * What a start/resume/rerun answered: started → keep streaming; needs
 * approval → the trust review, then `retry`; needs decision → ask.
 */
function handleStart(start: RunStart, retry: () => void, runId?: string) {
  if (start.kind === "started") {
    if (start.reused.length) {
      const view = useRun.getState().view;
      if (view) useRun.setState({ view: { ...view, reused: [...new Set([...view.reused, ...start.reused])] } });
    }
    return;
  }
  endSession();
  useRun.setState({ mode: null, view: null, panelOpen: true });
  if (start.kind === "needs_approval") {
    openReview(start.files, retry, "Approve and run");
  } else if (runId) {
    useRun.setState({ decision: { runId, steps: start.steps } });
  }
}

async function guarded(fn: () => Promise<void>) {
  useRun.setState({ starting: true, message: null });
  try {
    await fn();
  } catch (err) {
    endSession();
    useRun.setState({ message: { text: errorText(err), error: true }, mode: null, view: null });
  } finally {
    useRun.setState({ starting: false });
  }
}

/** Runs the workflow file at `path` (saved already) with these inputs. */
export function startRun(path: string, shape: RunShape, inputs: JsonMap, timeScale: number) {
  return guarded(async () => {
    const onUpdate = beginLive(shape);
    const start = await runApi.start(path, inputs, timeScale, onUpdate);
    handleStart(start, () => void startRun(path, shape, inputs, timeScale));
  });
}

export function cancelRun() {
  const runId = useRun.getState().view?.runId;
  if (!runId) return;
  void runApi.cancel(runId).catch((err) => useRun.setState({ message: { text: errorText(err), error: true } }));
}

/** Continues an interrupted or failed run; `ask` first, then the user's choice for non-idempotent steps. */
export function resumeRun(runId: string, shape: RunShape, interrupted: "ask" | "retry" | "skip" = "ask") {
  return guarded(async () => {
    const prior = await runApi.load(runId);
    const onUpdate = beginLive(shape, prior.events);
    const start = await runApi.resume(runId, interrupted, onUpdate);
    handleStart(start, () => void resumeRun(runId, shape, interrupted), runId);
  });
}

/** A new run that reuses everything upstream of `step` from `runId`. */
export function rerunFrom(runId: string, step: string, shape: RunShape) {
  return guarded(async () => {
    const onUpdate = beginLive(shape);
    const start = await runApi.rerunFrom(runId, step, onUpdate);
    handleStart(start, () => void rerunFrom(runId, step, shape));
  });
}

/** Shows a past run: its end state, with the scrubber at the end. */
export async function openRun(runId: string, shape: RunShape) {
  endSession();
  try {
    const loaded = await runApi.load(runId);
    const view = reconcile(applyEvents(initialView(shape), loaded.events), loaded.summary);
    useRun.setState({ view, mode: "replay", events: loaded.events, scrub: null, summary: loaded.summary, loaded, message: null, panelOpen: true });
  } catch (err) {
    useRun.setState({ message: { text: errorText(err), error: true } });
  }
}

/**
 * Watches a run another process is recording (a `braid run` in a terminal):
 * what is stored so far, then its events as they are committed, live.
 */
export function followRun(runId: string, shape: RunShape) {
  return guarded(async () => {
    const loaded = await runApi.load(runId);
    const onUpdate = beginLive(shape, loaded.events);
    useRun.setState({ loaded });
    const last = loaded.events.length ? loaded.events[loaded.events.length - 1].seq : -1;
    await runApi.follow(runId, last + 1, onUpdate);
  });
}

/**
 * A person's decision on a waiting approval (`key`: `STEP` or `STEP#INDEX`),
 * recorded as `braid approve` records it. Throws what the backend said (a
 * decision already made elsewhere, a passed deadline) for the prompt to show.
 * A run shown from the store (not streaming here) is followed again, so
 * whatever process owns it shows its continuation on the canvas.
 */
export async function decideApproval(key: string, approved: boolean, score: number | null, note: string | null) {
  const view = useRun.getState().view;
  if (!view?.runId) throw new Error("no run is shown");
  await runApi.decide(view.runId, key, approved, score, note);
  if (!isLive() && useRun.getState().view?.runId === view.runId) void followRun(view.runId, view.shape);
}

/** Moves the replay to after event `k` (the reducer over events[0..k]); k = length: the recorded end. */
export function scrubTo(k: number) {
  const s = useRun.getState();
  if (!s.view) return;
  const shape = s.view.shape;
  const end = k >= s.events.length;
  let view = applyEvents(initialView(shape), end ? s.events : s.events.slice(0, k));
  if (end && s.summary) view = reconcile(view, s.summary);
  useRun.setState({ view, scrub: end ? null : k });
}

/** Back to editing: the canvas drops the run's colours. */
export function closeRun() {
  if (session && !session.ended) return; // a live run keeps its view until it ends
  endSession();
  useRun.setState({ view: null, mode: null, events: [], scrub: null, summary: null, loaded: null });
}

export function setTab(tab: RunTab) {
  useRun.setState({ tab, panelOpen: true });
}

export function isLive(): boolean {
  return session != null && !session.ended;
}
