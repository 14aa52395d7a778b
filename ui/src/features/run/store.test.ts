// The run store against a scripted backend at the IPC boundary (the
// `runApi` module): what it does with started / needs_approval answers and
// with updates that arrive in any order the channel allows.
import { afterEach, describe, expect, test, vi } from "vitest";
import { waitFor } from "@testing-library/react";
import { useReview } from "../trust/review";
import type { RunStart, RunUpdate } from "./api";
import { shapeOf } from "./reducer";
import { closeRun, startRun, useRun } from "./store";
import type { EventKind, RunEvent, RunSummary } from "./types";

const backend = vi.hoisted(() => ({
  answers: [] as unknown[],
  onUpdate: null as ((u: unknown) => void) | null,
  cancelled: [] as string[],
}));

vi.mock("./api", () => ({
  runApi: {
    start: async (_path: string, _inputs: unknown, _scale: number, onUpdate: (u: unknown) => void) => {
      backend.onUpdate = onUpdate;
      return backend.answers.shift();
    },
    cancel: async (id: string) => void backend.cancelled.push(id),
    load: async () => {
      throw new Error("not recorded in this test");
    },
    notifyEnded: async () => undefined,
  },
}));

const shape = shapeOf({ steps: [{ id: "a" }, { id: "b" }], groups: [], edges: [{ from: "a", to: "b" }] });
const ev = (kinds: EventKind[], from = 0): RunEvent[] => kinds.map((k, i) => ({ seq: from + i, at_ms: 1000 + (from + i) * 10, ...k }) as RunEvent);
const send = (u: RunUpdate) => backend.onUpdate!(u);

const summary: RunSummary = {
  run_id: "R1",
  workflow_id: "w",
  status: "succeeded",
  started_at: "2026-01-01T00:00:00Z",
  duration_ms: 50,
  steps: {
    a: { status: "succeeded", attempts: 1, duration_ms: 10, score: null, approved: null, error: null, recommendations: [] },
    b: { status: "succeeded", attempts: 1, duration_ms: 10, score: null, approved: null, error: null, recommendations: [] },
  },
  groups: {},
  context: {},
};

afterEach(() => {
  closeRun();
  useReview.setState({ request: null });
});

describe("run store", () => {
  test("streams events per frame, reconciles on finished, and still takes a batch that arrives after it", async () => {
    backend.answers.push({ kind: "started", run_id: "R1", reused: [] } satisfies RunStart);
    await startRun("/tmp/w.json", shape, {}, 1);
    send({ kind: "events", events: ev([{ type: "run_started", run_id: "R1", workflow_id: "w", inputs: {}, time_scale: 1, concurrency: 4 }, { type: "step_started", step: "a", attempt: 1, round: 1 }]) });
    await waitFor(() => expect(useRun.getState().view?.nodes.a.status).toBe("running"));
    expect(useRun.getState().mode).toBe("live");
    // The summary overtakes the last batch (two channels' worth of ordering).
    send({ kind: "finished", summary });
    expect(useRun.getState().view?.nodes.b.status).toBe("succeeded");
    expect(useRun.getState().view?.status).toBe("succeeded");
    expect(useRun.getState().perf?.events).toBe(2);
    send({ kind: "events", events: ev([{ type: "step_succeeded", step: "a", attempt: 1, round: 1, outputs: {} }, { type: "step_started", step: "b", attempt: 1, round: 1 }, { type: "step_succeeded", step: "b", attempt: 1, round: 1, outputs: {} }, { type: "run_finished", status: "succeeded" }], 2) });
    await waitFor(() => expect(useRun.getState().events.length).toBe(6));
    // Late events are recorded, and the view still ends at the summary.
    expect(useRun.getState().view?.nodes.b.status).toBe("succeeded");
    expect(useRun.getState().view?.eventCount).toBe(6);
  });

  test("needs_approval hands the files to the review and starts again once approved", async () => {
    const files = [{ path: "/tmp/w.json", hash: "abc", review: null }];
    backend.answers.push({ kind: "needs_approval", files } satisfies RunStart);
    await startRun("/tmp/w.json", shape, { x: 1 }, 0.5);
    expect(useRun.getState().view).toBeNull();
    const request = useReview.getState().request;
    expect(request?.files).toEqual(files);
    expect(request?.approveLabel).toBe("Approve and run");
    backend.answers.push({ kind: "started", run_id: "R2", reused: ["a"] } satisfies RunStart);
    request!.onApproved!();
    await waitFor(() => expect(useRun.getState().view?.reused).toEqual(["a"]));
    expect(useRun.getState().mode).toBe("live");
  });

  test("a refused start shows the backend's message and leaves no run on the canvas", async () => {
    backend.answers.push(Promise.reject(new Error("missing required input: page_id")));
    await startRun("/tmp/w.json", shape, {}, 1);
    expect(useRun.getState().view).toBeNull();
    expect(useRun.getState().message).toEqual({ text: "missing required input: page_id", error: true });
  });
});
