//! # braid-analytics
//!
//! Analytics over recorded runs: pure functions from a workflow and the
//! events a run emitted to a report. Definitions (critical path, slack,
//! queued/execution/retry/join-wait time, speedup, parallel efficiency,
//! coordination overhead, bottleneck thresholds, how recommendations are
//! priced) are written down with a worked example in `docs/analytics.md`.
//!
//! - [`analyze_run`]: one run → [`RunReport`] (the `braid report --format
//!   json` object of `docs/spec/cli.md`), with bottlenecks and
//!   recommendations priced by re-planning the edited workflow
//!   ([`crate::plan::plan`]) with the run's measured durations.
//! - [`digest`]: one run → a small [`RunDigest`] the store can cache;
//!   [`analyze_workflow`] turns digests into a [`TrendReport`].
//! - [`render`]: text, Markdown and a self-contained HTML page (Gantt chart
//!   and sparklines as inline SVG).
//!
//! Module map: [`timeline`] (events → attempt spans), `measure` (per-step
//! times), `critical` (executed DAG, critical path, slack), `bottlenecks`,
//! `recommend` (what-ifs), `trends`, [`report`] (serde types).

// The layers below, under the names this crate's modules use for them.
use braid_engine::{events, plan, run};
use braid_model::{model, validate};

mod bottlenecks;
pub mod chart;
mod critical;
mod facts;
mod measure;
mod recommend;
pub mod render;
pub mod report;
mod stats;
pub mod timeline;
mod trends;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use indexmap::IndexMap;

pub use recommend::apply_edits;
pub use report::{
    Bottleneck, BottleneckKind, CriticalPathReport, DurationTrend, Edit, GroupReport,
    PathStability, Recommendation, RecommendationKind, RunDigest, RunReport, Severity, StepDigest,
    StepReport, StepTrend, TrendReport,
};
pub use trends::{analyze_workflow, digest};

use crate::events::Event;
use crate::run::summary::rfc3339;
use crate::validate::{NodeRef, ValidWorkflow};
use facts::Facts;

/// Settings of an analysis the events do not record.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// The `concurrency` capacity the run had when its workflow sets no
    /// `limits.concurrency` (`None`: what the run recorded; for runs recorded
    /// before it was kept, the CPU count, the default then). Used for
    /// parallel efficiency and what-ifs.
    pub default_concurrency: Option<usize>,
    /// Whether to price recommendations (each is a validate + plan).
    pub recommendations: bool,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        Self {
            default_concurrency: None,
            recommendations: true,
        }
    }
}

/// Analyses one recorded run. `history`: digests of earlier runs of the same
/// workflow (for regressions and historical retry rates; may be empty).
pub fn analyze_run(valid: &ValidWorkflow, events: &[Event], history: &[RunDigest]) -> RunReport {
    analyze_run_with(valid, events, history, &AnalyzeOptions::default())
}

pub fn analyze_run_with(
    valid: &ValidWorkflow,
    events: &[Event],
    history: &[RunDigest],
    options: &AnalyzeOptions,
) -> RunReport {
    // The concurrency the run really had (recorded since RunStarted carries
    // it), else the caller's guess, else this machine's CPU count (the
    // default when runs did not yet record it).
    let recorded = events.iter().find_map(|e| match e.kind {
        crate::events::EventKind::RunStarted { concurrency, .. } if concurrency > 0 => {
            Some(concurrency as usize)
        }
        _ => None,
    });
    let default_concurrency = options
        .default_concurrency
        .or(recorded)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let facts = Facts::new(valid, events, default_concurrency);
    let wf = valid.workflow();
    let wall = facts.wall();
    let history: Vec<&RunDigest> = history
        .iter()
        .filter(|d| d.workflow_id == wf.id && d.run_id != facts.timeline.run_id)
        .collect();

    let bottlenecks = bottlenecks::find(&facts, &history);
    let (replanned_ms, recommendations) = if options.recommendations {
        recommend::recommend(&facts, &bottlenecks)
    } else {
        (None, Vec::new())
    };

    let feedback: Vec<report::Feedback> = events
        .iter()
        .filter_map(|e| match &e.kind {
            crate::events::EventKind::StepSucceeded {
                at,
                recommendations,
                ..
            } => Some((at, recommendations)),
            _ => None,
        })
        .flat_map(|(at, list)| {
            list.iter().map(move |r| report::Feedback {
                step: at.step.clone(),
                element: at.element,
                round: at.round,
                text: match r {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            })
        })
        .collect();
    let loops = crate::run::summary::loops_of(events);
    // Metrics the agents reported (token usage), summed per step and run.
    let mut step_metrics: HashMap<&str, IndexMap<String, u64>> = HashMap::new();
    let mut run_metrics: IndexMap<String, u64> = IndexMap::new();
    for event in events {
        if let crate::events::EventKind::StepMetrics { at, metrics } = &event.kind {
            let per_step = step_metrics.entry(at.step.as_str()).or_default();
            for (key, value) in metrics {
                *per_step.entry(key.clone()).or_default() += value;
                *run_metrics.entry(key.clone()).or_default() += value;
            }
        }
    }
    let steps: IndexMap<String, StepReport> = wf
        .steps
        .iter()
        .enumerate()
        .map(|(s, step)| {
            let m = &facts.measures[s];
            (
                step.id.clone(),
                StepReport {
                    duration_ms: m.duration_ms,
                    queued_ms: m.queued_ms,
                    slack_ms: facts.slack[s],
                    attempts: m.attempts,
                    status: facts.timeline.steps[s].status,
                    group: step.group.clone(),
                    start_ms: m.start_ms,
                    end_ms: m.end_ms,
                    exec_ms: m.exec_ms,
                    retry_ms: m.retry_ms,
                    join_wait_ms: m.join_wait_ms,
                    critical: facts.on_path[s],
                    elements: facts.timeline.steps[s].is_map().then_some(m.elements),
                    metrics: step_metrics.remove(step.id.as_str()).unwrap_or_default(),
                },
            )
        })
        .collect();

    let groups: IndexMap<String, GroupReport> = wf
        .groups
        .iter()
        .enumerate()
        .map(|(g, group)| {
            let node = valid.node(&group.id);
            let span = node.and_then(|n| facts.critical.spans[n.index()]);
            let t = &facts.timeline.groups[g];
            (
                group.id.clone(),
                GroupReport {
                    start_ms: t.start_ms,
                    end_ms: t.end_ms,
                    outcome: t.outcome,
                    deciding_branch: span
                        .and_then(|s| s.deciding)
                        .map(|s| wf.steps[s].id.clone()),
                    slack_ms: node.and_then(|n| facts.critical.slack_of(n)),
                    critical: node.is_some_and(|n| facts.critical.on_path(n)),
                },
            )
        })
        .collect();

    let path = &facts.critical.path;
    let branches: IndexMap<String, String> = path
        .iter()
        .filter_map(|&n| match valid.graph().graph[n] {
            NodeRef::Group(g) => facts.critical.spans[n.index()]
                .and_then(|s| s.deciding)
                .map(|s| (wf.groups[g].id.clone(), wf.steps[s].id.clone())),
            NodeRef::Step(_) => None,
        })
        .collect();
    let busy = facts.busy();
    let available = facts.concurrency_available();
    RunReport {
        run_id: facts.timeline.run_id.clone(),
        workflow_id: wf.id.clone(),
        wall_ms: wall,
        critical_path: CriticalPathReport {
            nodes: path.iter().map(|&n| valid.node_id(n).to_string()).collect(),
            duration_ms: facts.critical.work_ms,
            queued_ms: facts.critical.queued_ms,
            branches,
        },
        sequential_ms: busy,
        speedup: stats::round(stats::ratio(busy as f64, wall as f64), 2),
        parallel_efficiency: stats::round(
            stats::ratio(busy as f64, wall as f64 * f64::from(available)),
            2,
        ),
        coordination_overhead_ms: facts.overhead(),
        steps,
        bottlenecks,
        recommendations,
        workflow_name: wf.name.clone(),
        status: facts.timeline.status,
        started_at: rfc3339(facts.timeline.started_at_ms),
        busy_ms: busy,
        concurrency_available: available,
        time_scale: facts.timeline.time_scale,
        groups,
        replanned_ms,
        history_runs: history.len(),
        timeline: facts.timeline,
        metrics: run_metrics,
        feedback,
        loops,
    }
}

impl RunReport {
    /// The digest of the analysed run (without re-reading its events).
    pub fn digest(&self) -> RunDigest {
        RunDigest {
            run_id: self.run_id.clone(),
            workflow_id: self.workflow_id.clone(),
            started_at_ms: self.timeline.started_at_ms,
            status: self.status,
            wall_ms: self.wall_ms,
            steps: self
                .timeline
                .steps
                .iter()
                .filter(|s| !s.execs.is_empty())
                .map(|s| {
                    let r = &self.steps[&s.id];
                    StepDigest {
                        id: s.id.clone(),
                        status: s.status,
                        duration_ms: r.duration_ms,
                        attempts: r.attempts,
                        retries: s.retries(),
                        queued_ms: r.queued_ms,
                        critical: r.critical,
                    }
                })
                .collect(),
            critical_path: self.critical_path.nodes.clone(),
        }
    }
}
