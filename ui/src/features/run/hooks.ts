// What node and edge components read from the run store. Each selector
// returns a value that only changes when that node's (or edge's) state does,
// so a frame of events re-renders only the cards it touched.
import { useSyncExternalStore } from "react";
import { edgeTaken, loopAround, type NodeRun, type When } from "./reducer";
import { useRun } from "./store";

export function useNodeRun(id: string): NodeRun | undefined {
  return useRun((s) => s.view?.nodes[id]);
}

/** "2 / 3" (the innermost loop's round / its max_rounds) for a node in a loop body; null outside loops or with no run shown. */
export function useLoopRound(id: string): string | null {
  return useRun((s) => {
    const view = s.view;
    if (!view) return null;
    const loop = loopAround(view.shape, id);
    if (!loop) return null;
    return `${view.nodes[id]?.round ?? 1} / ${loop.maxRounds}`;
  });
}

/** A loop edge into `to`: `true` once its body ran again, else null (not taken skips nothing). */
export function useLoopTaken(to: string | undefined): boolean | null {
  return useRun((s) => (s.view && to && (s.view.loops[to]?.round ?? 1) > 1 ? true : null));
}

/** `true` taken, `false` not taken (its source ended), `null` undecided or no run shown. */
export function useEdgeTaken(from: string | undefined, when: When | null | undefined): boolean | null {
  return useRun((s) => (s.view && from ? edgeTaken(s.view, from, when ?? null) : null));
}

// One shared clock for every ticking timer on screen (elapsed, retry countdowns):
// a single interval while anything listens, none otherwise.
const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(listener: () => void) {
  listeners.add(listener);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, 250);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

const noSubscribe = () => () => undefined;

/**
 * The time a running step's timer measures to: the wall clock while a run
 * streams, but in a replay the time of the last event shown — a replayed run
 * is a record, and mid-scrub its timers stand still at that moment.
 */
export function useRunNow(active: boolean): number {
  const replayAt = useRun((s) => {
    if (s.mode !== "replay" || s.scrub == null) return null;
    return s.events[Math.max(0, s.scrub - 1)]?.at_ms ?? null;
  });
  const now = useNow(active && replayAt == null);
  return replayAt ?? now;
}

/** Epoch ms, updated four times a second while `active`. */
export function useNow(active: boolean): number {
  return useSyncExternalStore(
    active ? subscribe : noSubscribe,
    () => (active ? now : 0),
    () => 0,
  );
}

export { fmtDuration } from "../../lib/duration";
