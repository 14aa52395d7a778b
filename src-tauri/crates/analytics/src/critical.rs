//! The executed DAG of one run: the outer nodes that ran, joined by the
//! workflow's edges between them, each weighted by what it really took.
//! Its longest path is the run's critical path; slack is how much a node
//! could have been later without making the run end later.
//!
//! A node's *elapsed* time runs from when it became ready (its first
//! `StepQueued`, or `GroupStarted`) to when it ended (its final status, or
//! `GroupAggregated`). Elapsed = queued (waiting for limits) + work. A node
//! cannot become ready before all its upstream nodes ended, so the elapsed
//! times along any path of the executed DAG are disjoint and sum to at most
//! the wall time; what the critical path does not cover is coordination
//! overhead. A group counts through its *deciding branch*: the branch whose
//! end let it aggregate (its last finisher; for `first`, the winner).

use super::measure::StepMeasure;
use super::timeline::Timeline;
use crate::model::Strategy;
use crate::validate::{NodeIx, NodeRef, ValidWorkflow};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeSpan {
    pub ready_ms: u64,
    pub end_ms: u64,
    pub queued_ms: u64,
    /// Index of the deciding branch step (groups only).
    pub deciding: Option<usize>,
}

impl NodeSpan {
    pub fn elapsed_ms(&self) -> u64 {
        self.end_ms.saturating_sub(self.ready_ms)
    }
    pub fn work_ms(&self) -> u64 {
        self.elapsed_ms().saturating_sub(self.queued_ms)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Critical {
    /// Per outer node (by index): its span when it ran.
    pub spans: Vec<Option<NodeSpan>>,
    /// The critical path, first to last.
    pub path: Vec<NodeIx>,
    /// Σ work along the path.
    pub work_ms: u64,
    /// Σ queued along the path.
    pub queued_ms: u64,
    /// Σ elapsed along the path (= work + queued).
    pub longest_ms: u64,
    /// Per outer node: latest end that would not have delayed the run.
    pub latest_end: Vec<Option<u64>>,
}

impl Critical {
    /// Longest elapsed path through the executed DAG, with one node's
    /// elapsed time shortened by `reduce_ms`.
    pub fn longest_with(&self, valid: &ValidWorkflow, node: Option<NodeIx>, reduce_ms: u64) -> u64 {
        let mut best = vec![0u64; self.spans.len()];
        let mut longest = 0;
        for &n in valid.topo_order() {
            let Some(span) = self.spans[n.index()] else {
                continue;
            };
            let mut own = span.elapsed_ms();
            if Some(n) == node {
                own = own.saturating_sub(reduce_ms);
            }
            let from = valid
                .incoming(n)
                .filter(|(src, _)| self.spans[src.index()].is_some())
                .map(|(src, _)| best[src.index()])
                .max()
                .unwrap_or(0);
            best[n.index()] = own + from;
            longest = longest.max(best[n.index()]);
        }
        longest
    }

    /// How much shorter the longest path gets when `node` takes `reduce_ms`
    /// less: the wall time a delay of that node cost the run.
    pub fn gain(&self, valid: &ValidWorkflow, node: NodeIx, reduce_ms: u64) -> u64 {
        if reduce_ms == 0 || self.spans[node.index()].is_none() {
            return 0;
        }
        self.longest_ms
            .saturating_sub(self.longest_with(valid, Some(node), reduce_ms))
    }

    pub fn slack_of(&self, node: NodeIx) -> Option<u64> {
        let span = self.spans[node.index()]?;
        Some(self.latest_end[node.index()]?.saturating_sub(span.end_ms))
    }
    pub fn on_path(&self, node: NodeIx) -> bool {
        self.path.contains(&node)
    }
}

/// The deciding branch of a group that ran, by step index.
fn deciding_branch(
    valid: &ValidWorkflow,
    g: usize,
    measures: &[StepMeasure],
    timeline: &Timeline,
) -> Option<usize> {
    let wf = valid.workflow();
    let first = wf.groups[g].aggregate.strategy == Strategy::First;
    let branches = &valid.graph().branches[g];
    let group_end = timeline.groups[g].end_ms;
    let candidates = branches.iter().copied().filter(|&s| {
        let m = &measures[s];
        m.ran
            && (!first || timeline.steps[s].status == crate::events::StepStatus::Succeeded)
            && match (m.end_ms, group_end) {
                (Some(e), Some(ge)) => e <= ge,
                _ => true,
            }
    });
    // The last to end among those that ended by the aggregation; ties → file order.
    let mut best: Option<usize> = None;
    for s in candidates {
        if best.is_none_or(|b| measures[s].end_ms > measures[b].end_ms) {
            best = Some(s);
        }
    }
    best.or_else(|| {
        branches
            .iter()
            .copied()
            .filter(|&s| measures[s].ran)
            .min_by_key(|&s| measures[s].end_ms)
    })
}

pub fn analyse(valid: &ValidWorkflow, timeline: &Timeline, measures: &[StepMeasure]) -> Critical {
    let n = valid.graph().graph.node_count();
    let wall = timeline.wall_ms;
    let mut spans: Vec<Option<NodeSpan>> = vec![None; n];
    for &node in valid.topo_order() {
        spans[node.index()] = match valid.graph().graph[node] {
            NodeRef::Step(s) => {
                let m = &measures[s];
                match (m.ran, m.ready_ms) {
                    (true, Some(ready)) => Some(NodeSpan {
                        ready_ms: ready,
                        end_ms: m.end_ms.unwrap_or(wall).max(ready),
                        queued_ms: m.queued_ms,
                        deciding: None,
                    }),
                    _ => None,
                }
            }
            NodeRef::Group(g) => {
                let span = &timeline.groups[g];
                span.start_ms.map(|ready| {
                    let deciding = deciding_branch(valid, g, measures, timeline);
                    let end = span
                        .end_ms
                        .or_else(|| deciding.and_then(|d| measures[d].end_ms))
                        .unwrap_or(wall)
                        .max(ready);
                    let elapsed = end - ready;
                    NodeSpan {
                        ready_ms: ready,
                        end_ms: end,
                        queued_ms: deciding
                            .map_or(0, |d| decisive_queue(timeline, d, end))
                            .min(elapsed),
                        deciding,
                    }
                })
            }
        };
    }

    // Longest elapsed path; ties go to the later-ending end node, then file order.
    let mut best = vec![0u64; n];
    let mut prev: Vec<Option<NodeIx>> = vec![None; n];
    let mut end: Option<NodeIx> = None;
    for &node in valid.topo_order() {
        let Some(span) = spans[node.index()] else {
            continue;
        };
        let mut from: Option<NodeIx> = None;
        for (src, _) in valid.incoming(node) {
            if spans[src.index()].is_none() {
                continue;
            }
            let better = match from {
                None => true,
                Some(f) => {
                    best[src.index()] > best[f.index()]
                        || best[src.index()] == best[f.index()] && src < f
                }
            };
            if better {
                from = Some(src);
            }
        }
        best[node.index()] = span.elapsed_ms() + from.map_or(0, |f| best[f.index()]);
        prev[node.index()] = from;
        let better = match end {
            None => true,
            Some(e) => {
                let (b, be) = (best[node.index()], best[e.index()]);
                b > be || b == be && span.end_ms > spans[e.index()].map_or(0, |s| s.end_ms)
            }
        };
        if better {
            end = Some(node);
        }
    }
    let mut path = Vec::new();
    let mut cursor = end;
    while let Some(node) = cursor {
        path.push(node);
        cursor = prev[node.index()];
    }
    path.reverse();
    let work_ms = path
        .iter()
        .filter_map(|n| spans[n.index()])
        .map(|s| s.work_ms())
        .sum();
    let queued_ms = path
        .iter()
        .filter_map(|n| spans[n.index()])
        .map(|s| s.queued_ms)
        .sum();

    // Latest end without delaying the run: backwards over the executed DAG.
    let elapsed: Vec<Option<u64>> = spans.iter().map(|s| s.map(|s| s.elapsed_ms())).collect();
    let latest_end = crate::plan::latest_ends(valid, &elapsed, wall);
    Critical {
        spans,
        path,
        work_ms,
        queued_ms,
        longest_ms: end.map_or(0, |e| best[e.index()]),
        latest_end,
    }
}

/// Queued time of the execution that decided its group: for a map, the
/// element that ended last (by the aggregation).
fn decisive_queue(timeline: &Timeline, step: usize, group_end: u64) -> u64 {
    let run_end = timeline.wall_ms;
    timeline.steps[step]
        .execs
        .iter()
        .filter(|e| e.started() && e.finish_ms(run_end) <= group_end)
        .max_by_key(|e| e.finish_ms(run_end))
        .map_or(0, |e| e.attempts.iter().map(|a| a.wait_ms(run_end)).sum())
}
