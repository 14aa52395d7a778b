// Events arrive from the backend in batches as fast as the engine makes them
// (thousands a second in a fan-out). Applying each batch as it comes would
// render many times per frame; the feed buffers them and applies what
// arrived once per animation frame, so nothing is dropped and the UI does at
// most one update per frame. A frame applies at most `maxPerFrame` events:
// after one slow frame the backlog is big, and applying all of it at once
// would make the next frame slow too; the rest waits for the next frame.
import type { RunEvent } from "./types";

export interface FrameScheduler {
  request(cb: (time: number) => void): number;
  cancel(id: number): void;
}

export const browserFrames: FrameScheduler = {
  request: (cb) => requestAnimationFrame(cb),
  cancel: (id) => cancelAnimationFrame(id),
};

export class EventFeed {
  private pending: RunEvent[] = [];
  private frame: number | null = null;
  /** How many frames applied events, and the largest batch one applied. */
  framesApplied = 0;
  largestBatch = 0;

  constructor(
    private readonly apply: (events: RunEvent[]) => void,
    private readonly frames: FrameScheduler = browserFrames,
    /** ~10–20 ms of reducer work in the webview at a few µs per event. */
    private readonly maxPerFrame = 2000,
  ) {}

  push(events: readonly RunEvent[]) {
    if (events.length === 0) return;
    // push(...events) overflows the call stack for very large batches.
    for (const e of events) this.pending.push(e);
    this.schedule();
  }

  private schedule() {
    this.frame ??= this.frames.request(() => {
      this.frame = null;
      this.drain(this.maxPerFrame);
      if (this.pending.length > 0) this.schedule();
    });
  }

  /** Applies whatever is buffered now (the run finished: the summary comes next). */
  flush() {
    if (this.frame != null) {
      this.frames.cancel(this.frame);
      this.frame = null;
    }
    this.drain(Infinity);
  }

  /** Stops without applying what is buffered (the view moved on to another run). */
  dispose() {
    if (this.frame != null) this.frames.cancel(this.frame);
    this.frame = null;
    this.pending = [];
  }

  private drain(max: number) {
    if (this.pending.length === 0) return;
    let batch = this.pending;
    if (batch.length > max) {
      this.pending = batch.slice(max);
      batch = batch.slice(0, max);
    } else {
      this.pending = [];
    }
    this.framesApplied += 1;
    this.largestBatch = Math.max(this.largestBatch, batch.length);
    this.apply(batch);
  }
}

export interface FrameStats {
  /** Frames painted while the run streamed. */
  frames: number;
  meanFrameMs: number;
  p95FrameMs: number;
  maxFrameMs: number;
  /** Time spent in the reducer per applied frame. */
  maxApplyMs: number;
  /** Frames longer than 50 ms (a visible stutter). */
  longFrames: number;
  events: number;
  /** First event to the end of the stream. */
  durationMs: number;
}

/**
 * Measures frame times (the gap between consecutive animation frames) while
 * it runs: what a person would feel as smooth or stuck during a burst.
 */
export class FrameMeter {
  private gaps: number[] = [];
  private last: number | null = null;
  private frame: number | null = null;
  private applyMs: number[] = [];
  private events = 0;
  private firstEventAt: number | null = null;
  private endedAt: number | null = null;

  constructor(private readonly frames: FrameScheduler = browserFrames) {}

  start() {
    const tick = (t: number) => {
      if (this.last != null) this.gaps.push(t - this.last);
      this.last = t;
      this.frame = this.frames.request(tick);
    };
    this.frame = this.frames.request(tick);
  }

  recordApply(ms: number, events: number) {
    this.applyMs.push(ms);
    this.events += events;
    this.firstEventAt ??= performance.now();
  }

  stop() {
    if (this.frame != null) this.frames.cancel(this.frame);
    this.frame = null;
    this.endedAt = performance.now();
  }

  stats(): FrameStats {
    return frameStats(this.gaps, this.applyMs, this.events, this.firstEventAt != null && this.endedAt != null ? this.endedAt - this.firstEventAt : 0);
  }
}

export function frameStats(gaps: number[], applyMs: number[], events: number, durationMs: number): FrameStats {
  const sorted = [...gaps].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  const p95 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] : 0;
  return {
    frames: gaps.length,
    meanFrameMs: round(gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : 0),
    p95FrameMs: round(p95),
    maxFrameMs: round(sorted.length ? sorted[sorted.length - 1] : 0),
    maxApplyMs: round(applyMs.length ? Math.max(...applyMs) : 0),
    longFrames: gaps.filter((g) => g > 50).length,
    events,
    durationMs: Math.round(durationMs),
  };
}
