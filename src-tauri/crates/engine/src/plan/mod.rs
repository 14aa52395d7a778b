//! Planning: what a run of a valid workflow is predicted to look like.
//!
//! The planner predicts each step's duration (run history, else
//! `estimate_s`, else a `sim` agent's `duration_ms`), then *simulates the
//! engine's scheduling* on the happy path — every step succeeds, every group
//! is approved, so `failed`/`rejected`/`needs_work` routes are skipped —
//! with the workflow's `limits`, each group's `max_concurrency`, and map
//! groups over the list they will see when it is known before the run
//! (initial context or an input default; otherwise one element). The result
//! is the predicted wall time, the start and end of every node, topological
//! levels, and the critical path (the longest chain of predicted work).
//!
//! The same function prices analytics' what-ifs: plan the modified workflow
//! with measured durations supplied through [`History`].

mod rehearse;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::model::Agent;
use crate::validate::{NodeIx, NodeRef, ValidWorkflow};

/// Where a step's predicted duration comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Source {
    History,
    Estimate,
    Sim,
    Unknown,
}

/// Past durations of steps. The store implements this with the median of
/// recent successful attempts; analytics with measured durations.
pub trait History {
    /// `time_scaled`: the step is a `sim` step, whose recorded durations
    /// shrank with their run's time scale — answer in file time (scale 1),
    /// so runs rehearsed at different scales agree. Other agents run in
    /// real time whatever the scale.
    fn duration_ms(&self, workflow_id: &str, step_id: &str, time_scaled: bool) -> Option<u64>;

    /// The median number of rounds the loop entered at `to` ran in earlier
    /// runs (format revision 2); `None`: no history, plan one round.
    fn loop_rounds(&self, _workflow_id: &str, _to: &str) -> Option<u32> {
        None
    }
}

/// No history: predictions come from the file alone.
pub struct NoHistory;

impl History for NoHistory {
    fn duration_ms(&self, _: &str, _: &str, _: bool) -> Option<u64> {
        None
    }
}

/// Durations measured in one run (analytics' what-ifs): already at that
/// run's scale, which is the scale the what-if is priced at.
impl<F: Fn(&str) -> Option<u64>> History for F {
    fn duration_ms(&self, _workflow_id: &str, step_id: &str, _time_scaled: bool) -> Option<u64> {
        self(step_id)
    }
}

pub struct PlanOptions<'h> {
    /// Capacity of the `concurrency` limit when the workflow sets none
    /// (the engine's default, 64).
    pub default_concurrency: usize,
    pub history: &'h dyn History,
}

impl Default for PlanOptions<'_> {
    fn default() -> Self {
        Self {
            default_concurrency: crate::run::machine::DEFAULT_CONCURRENCY,
            history: &NoHistory,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Plan {
    pub workflow_id: String,
    /// Outer nodes by topological level (longest chain of edges from a root).
    pub levels: Vec<Vec<String>>,
    /// Predicted wall time of the happy-path run.
    pub predicted_ms: u64,
    pub critical_path: CriticalPath,
    pub steps: IndexMap<String, StepPrediction>,
    /// Extension: predicted span of every outer node on the happy path.
    pub schedule: IndexMap<String, Span>,
    /// Extension: predicted span of every branch step that runs on the happy
    /// path (over all its map elements). The branch a group waits for is the
    /// one ending with it; in a `first` group the losers are cancelled, so
    /// they end with it too.
    #[serde(default)]
    pub branches: IndexMap<String, Span>,
    /// Extension: per outer node in `schedule`, how much later it could end
    /// without the run ending later ([`latest_ends`], the rule analytics
    /// uses for a recorded run).
    #[serde(default)]
    pub slack: IndexMap<String, u64>,
    /// Per loop (by the id of its `to`): the rounds rehearsed and where
    /// that number came from (`history`: the median of earlier runs;
    /// `default`: one round).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub loops: IndexMap<String, LoopPrediction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LoopPrediction {
    pub rounds: u32,
    /// `history` or `default`.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CriticalPath {
    pub nodes: Vec<String>,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StepPrediction {
    pub predicted_ms: u64,
    pub source: Source,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Span {
    pub start_ms: u64,
    pub end_ms: u64,
}

/// Plans a valid workflow.
pub fn plan(valid: &ValidWorkflow, options: &PlanOptions) -> Plan {
    let workflow = valid.workflow();
    let steps: IndexMap<String, StepPrediction> = workflow
        .steps
        .iter()
        .map(|s| {
            let time_scaled = matches!(s.agent, Agent::Sim(_));
            let prediction = match options
                .history
                .duration_ms(&workflow.id, &s.id, time_scaled)
            {
                Some(ms) => StepPrediction {
                    predicted_ms: ms,
                    source: Source::History,
                },
                None => match (s.estimate_s, &s.agent) {
                    (Some(est), _) => StepPrediction {
                        predicted_ms: seconds_to_ms(est),
                        source: Source::Estimate,
                    },
                    (None, Agent::Sim(sim)) => StepPrediction {
                        predicted_ms: sim.duration_ms.unwrap_or(0),
                        source: Source::Sim,
                    },
                    (None, _) => StepPrediction {
                        predicted_ms: 0,
                        source: Source::Unknown,
                    },
                },
            };
            (s.id.clone(), prediction)
        })
        .collect();
    let durations: Vec<u64> = steps.values().map(|p| p.predicted_ms).collect();
    let loops: IndexMap<String, LoopPrediction> = valid
        .loops()
        .iter()
        .map(|l| {
            let to = valid.node_id(l.to).to_string();
            let prediction = match options.history.loop_rounds(&workflow.id, &to) {
                Some(rounds) => LoopPrediction {
                    rounds: rounds.clamp(1, l.max_rounds),
                    source: "history".into(),
                },
                None => LoopPrediction {
                    rounds: 1,
                    source: "default".into(),
                },
            };
            (to, prediction)
        })
        .collect();
    let planned_rounds = loops.iter().map(|(k, p)| (k.clone(), p.rounds)).collect();
    let outcome = rehearse::run(
        valid,
        &durations,
        options.default_concurrency,
        &planned_rounds,
    );
    let critical_path = critical_path(valid, &outcome);
    let elapsed: Vec<Option<u64>> = outcome
        .spans
        .iter()
        .map(|s| s.map(|s| s.end_ms - s.start_ms))
        .collect();
    let latest = latest_ends(valid, &elapsed, outcome.end_ms);
    let slack = outcome
        .spans
        .iter()
        .zip(&latest)
        .enumerate()
        .filter_map(|(n, (span, latest))| {
            let (span, latest) = (span.as_ref()?, (*latest)?);
            let id = valid.node_id(NodeIx::new(n)).to_string();
            Some((id, latest.saturating_sub(span.end_ms)))
        })
        .collect();
    Plan {
        workflow_id: workflow.id.clone(),
        levels: levels(valid),
        predicted_ms: outcome.end_ms,
        critical_path,
        steps,
        schedule: outcome
            .spans
            .iter()
            .enumerate()
            .filter_map(|(n, span)| span.map(|s| (valid.node_id(NodeIx::new(n)).to_string(), s)))
            .collect(),
        branches: outcome
            .branch_spans
            .iter()
            .enumerate()
            .filter_map(|(s, span)| span.map(|span| (workflow.steps[s].id.clone(), span)))
            .collect(),
        slack,
        loops,
    }
}

/// The latest end of every node that ran (`elapsed[n]` is `Some`) that
/// would not make the run end later than `run_end`: a sink's is `run_end`,
/// any other's the smallest (successor's latest end − successor's elapsed
/// time). Slack is latest end minus actual end. One rule for a plan's
/// predicted schedule and a recorded run's measured one (analytics).
pub fn latest_ends(
    valid: &ValidWorkflow,
    elapsed: &[Option<u64>],
    run_end: u64,
) -> Vec<Option<u64>> {
    let mut latest_end: Vec<Option<u64>> = vec![None; elapsed.len()];
    for &node in valid.topo_order().iter().rev() {
        if elapsed[node.index()].is_none() {
            continue;
        }
        let mut latest = run_end;
        for (dst, _) in valid.outgoing(node) {
            if let (Some(took), Some(dl)) = (elapsed[dst.index()], latest_end[dst.index()]) {
                latest = latest.min(dl.saturating_sub(took));
            }
        }
        latest_end[node.index()] = Some(latest);
    }
    latest_end
}

fn seconds_to_ms(seconds: f64) -> u64 {
    (seconds * 1000.0).round().clamp(0.0, u64::MAX as f64) as u64
}

fn levels(valid: &ValidWorkflow) -> Vec<Vec<String>> {
    let mut level = vec![0usize; valid.graph().graph.node_count()];
    let mut out: Vec<Vec<String>> = Vec::new();
    for &node in valid.topo_order() {
        let l = valid
            .incoming(node)
            .map(|(src, _)| level[src.index()] + 1)
            .max()
            .unwrap_or(0);
        level[node.index()] = l;
        if out.len() <= l {
            out.resize_with(l + 1, Vec::new);
        }
        out[l].push(valid.node_id(node).to_string());
    }
    // Within a level, keep file order (steps, then groups) for a stable read.
    let order = |id: &String| valid.node(id).map_or(usize::MAX, |n| n.index());
    for l in &mut out {
        l.sort_by_key(order);
    }
    out
}

/// Longest chain of predicted node durations through nodes that run on the
/// happy path; ties go to the earlier node in file order.
fn critical_path(valid: &ValidWorkflow, outcome: &rehearse::Outcome) -> CriticalPath {
    let n = valid.graph().graph.node_count();
    let mut best = vec![0u64; n];
    let mut prev: Vec<Option<NodeIx>> = vec![None; n];
    let mut end: Option<NodeIx> = None;
    for &node in valid.topo_order() {
        let Some(span) = outcome.spans[node.index()] else {
            continue;
        };
        let own = span.end_ms - span.start_ms;
        let mut from: Option<(u64, NodeIx)> = None;
        for (src, _) in valid.incoming(node) {
            if outcome.spans[src.index()].is_some() {
                let candidate = (best[src.index()], src);
                if from.is_none_or(|f| candidate.0 > f.0 || candidate.0 == f.0 && candidate.1 < f.1)
                {
                    from = Some(candidate);
                }
            }
        }
        best[node.index()] = own.saturating_add(from.map_or(0, |f| f.0));
        prev[node.index()] = from.map(|f| f.1);
        if end.is_none_or(|e| best[node.index()] > best[e.index()]) {
            end = Some(node);
        }
    }
    let mut nodes = Vec::new();
    let mut cursor = end;
    while let Some(node) = cursor {
        nodes.push(valid.node_id(node).to_string());
        cursor = prev[node.index()];
    }
    nodes.reverse();
    CriticalPath {
        nodes,
        duration_ms: end.map_or(0, |e| best[e.index()]),
    }
}

/// Whether a node is a group (for callers that print plans).
pub fn is_group(valid: &ValidWorkflow, id: &str) -> bool {
    valid
        .node(id)
        .is_some_and(|n| matches!(valid.graph().graph[n], NodeRef::Group(_)))
}
