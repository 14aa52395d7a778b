import { describe, expect, test } from "vitest";
import { EventFeed, FrameMeter, frameStats, type FrameScheduler } from "./feed";
import { applyEvents, initialView, shapeOf, type RunView } from "./reducer";
import type { RunEvent } from "./types";

/** Frames that fire only when the test says so. */
class ManualFrames implements FrameScheduler {
  private next = 1;
  queue = new Map<number, (t: number) => void>();
  time = 0;
  request(cb: (t: number) => void) {
    const id = this.next++;
    this.queue.set(id, cb);
    return id;
  }
  cancel(id: number) {
    this.queue.delete(id);
  }
  tick(ms = 16) {
    this.time += ms;
    const due = [...this.queue.values()];
    this.queue.clear();
    for (const cb of due) cb(this.time);
  }
}

const shape = shapeOf({ steps: [{ id: "work", group: "fan" }], groups: [{ id: "fan", for_each: "items" }], edges: [] });

function burst(n: number): RunEvent[] {
  const ev: RunEvent[] = [
    { seq: 0, at_ms: 0, type: "run_started", run_id: "R", workflow_id: "w", inputs: {}, time_scale: 1, concurrency: 4 },
    { seq: 1, at_ms: 0, type: "group_started", group: "fan", elements: n, round: 1 },
  ];
  let seq = 2;
  for (let i = 0; i < n; i++) {
    ev.push({ seq: seq++, at_ms: i, type: "step_started", step: "work", element: i, attempt: 1, round: 1 });
    ev.push({ seq: seq++, at_ms: i, type: "step_succeeded", step: "work", element: i, attempt: 1, round: 1, outputs: {} });
  }
  return ev;
}

describe("EventFeed", () => {
  test("batches that arrive within a frame are applied once, in order, and none is dropped", () => {
    const frames = new ManualFrames();
    let view: RunView = initialView(shape);
    let applies = 0;
    const feed = new EventFeed(
      (events) => {
        applies += 1;
        view = applyEvents(view, events);
      },
      frames,
      Infinity,
    );
    const events = burst(2000);
    // The backend's channel delivers many small batches between two frames.
    for (let i = 0; i < events.length; i += 7) feed.push(events.slice(i, i + 7));
    expect(applies).toBe(0);
    expect(frames.queue.size).toBe(1); // one frame requested, however many batches
    frames.tick();
    expect(applies).toBe(1);
    expect(view.eventCount).toBe(events.length);
    expect(view.nodes.work.counts).toEqual({ succeeded: 2000 });
    expect(feed.largestBatch).toBe(events.length);
    frames.tick();
    expect(applies).toBe(1); // nothing new: no work
  });

  test("a backlog bigger than a frame's budget is spread over frames, in order", () => {
    const frames = new ManualFrames();
    const seen: number[] = [];
    const sizes: number[] = [];
    const feed = new EventFeed(
      (events) => {
        sizes.push(events.length);
        seen.push(...events.map((e) => e.seq));
      },
      frames,
      1000,
    );
    const events = burst(1200); // 2,402 events
    feed.push(events);
    frames.tick();
    expect(sizes).toEqual([1000]);
    feed.push([]); // nothing new, but the rest is already scheduled
    frames.tick();
    frames.tick();
    expect(sizes).toEqual([1000, 1000, 402]);
    expect(seen).toEqual(events.map((e) => e.seq));
    frames.tick();
    expect(sizes.length).toBe(3); // done: no more frames requested
    expect(frames.queue.size).toBe(0);
  });

  test("flush applies what is buffered at once (before the summary), dispose drops it", () => {
    const frames = new ManualFrames();
    const seen: number[] = [];
    const feed = new EventFeed((events) => seen.push(...events.map((e) => e.seq)), frames);
    const events = burst(3);
    feed.push(events.slice(0, 4));
    feed.flush();
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(frames.queue.size).toBe(0);
    feed.push(events.slice(4));
    feed.dispose();
    frames.tick();
    expect(seen).toEqual([0, 1, 2, 3]);
  });

  test("a stream spread over frames is applied frame by frame", () => {
    const frames = new ManualFrames();
    const sizes: number[] = [];
    const feed = new EventFeed((events) => sizes.push(events.length), frames);
    const events = burst(10);
    feed.push(events.slice(0, 5));
    frames.tick();
    feed.push(events.slice(5, 12));
    feed.push(events.slice(12));
    frames.tick();
    expect(sizes).toEqual([5, events.length - 5]);
  });
});

describe("FrameMeter", () => {
  test("records gaps between frames while running", () => {
    const frames = new ManualFrames();
    const meter = new FrameMeter(frames);
    meter.start();
    frames.tick(16);
    frames.tick(16);
    frames.tick(40);
    frames.tick(17);
    meter.recordApply(3, 100);
    meter.stop();
    frames.tick(100); // after stop: not counted
    const s = meter.stats();
    expect(s.frames).toBe(3);
    expect(s.maxFrameMs).toBe(40);
    expect(s.events).toBe(100);
    expect(s.maxApplyMs).toBe(3);
  });

  test("frameStats: p95 and long frames", () => {
    const gaps = [...Array(95).fill(16), 20, 30, 40, 60, 100];
    const s = frameStats(gaps, [1, 2], 10, 1000);
    expect(s.p95FrameMs).toBe(16);
    expect(s.maxFrameMs).toBe(100);
    expect(s.longFrames).toBe(2);
    expect(s.meanFrameMs).toBeCloseTo((95 * 16 + 250) / 100, 1);
  });
});
