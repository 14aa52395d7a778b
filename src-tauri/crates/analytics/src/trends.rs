//! Across runs of one workflow: per-step percentiles and trends, success
//! and retry rates, flaky steps, how stable the critical path is, and the
//! trend of run durations. Reads only [`RunDigest`]s, so ten thousand runs
//! are summarised in milliseconds.

use std::collections::HashMap;

use indexmap::IndexMap;

use super::facts::Facts;
use super::report::{DurationTrend, PathStability, RunDigest, StepDigest, StepTrend, TrendReport};
use super::stats::{self, percentile_sorted, round, trend_label, trend_pct};
use crate::events::{Event, StepStatus};
use crate::run::summary::rfc3339;
use crate::validate::ValidWorkflow;

/// Values kept per series for sparklines.
const SERIES: usize = 200;

pub(crate) fn digest_of(facts: &Facts) -> RunDigest {
    let wf = facts.valid.workflow();
    let steps = facts
        .timeline
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.execs.is_empty())
        .map(|(i, s)| {
            let m = &facts.measures[i];
            StepDigest {
                id: s.id.clone(),
                status: s.status,
                duration_ms: m.duration_ms,
                attempts: m.attempts,
                retries: s.retries(),
                queued_ms: m.queued_ms,
                critical: facts.on_path[i],
            }
        })
        .collect();
    RunDigest {
        run_id: facts.timeline.run_id.clone(),
        workflow_id: if facts.timeline.workflow_id.is_empty() {
            wf.id.clone()
        } else {
            facts.timeline.workflow_id.clone()
        },
        started_at_ms: facts.timeline.started_at_ms,
        status: facts.timeline.status,
        wall_ms: facts.timeline.wall_ms,
        steps,
        critical_path: facts
            .critical
            .path
            .iter()
            .map(|&n| facts.valid.node_id(n).to_string())
            .collect(),
    }
}

/// The compact record of one run that trends read.
pub fn digest(valid: &ValidWorkflow, events: &[Event]) -> RunDigest {
    digest_of(&Facts::new(valid, events, 1))
}

#[derive(Default)]
struct Acc {
    durations: Vec<u64>,
    started: usize,
    succeeded: usize,
    failed: usize,
    retried: usize,
    critical: usize,
}

fn tail(series: &[u64]) -> Vec<u64> {
    series[series.len().saturating_sub(SERIES)..].to_vec()
}

/// Trends across runs (any order; they are sorted by start time). Digests
/// of other workflows than the most frequent one are ignored.
pub fn analyze_workflow(digests: &[RunDigest]) -> TrendReport {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for d in digests {
        *counts.entry(d.workflow_id.as_str()).or_default() += 1;
    }
    let workflow_id = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(id, _)| id.to_string())
        .unwrap_or_default();
    let mut runs: Vec<&RunDigest> = digests
        .iter()
        .filter(|d| d.workflow_id == workflow_id)
        .collect();
    runs.sort_by_key(|d| d.started_at_ms);
    let n = runs.len();

    let mut statuses: IndexMap<String, usize> = IndexMap::new();
    let mut walls = Vec::with_capacity(n);
    let mut steps: IndexMap<&str, Acc> = IndexMap::new();
    let mut paths: HashMap<&[String], usize> = HashMap::new();
    let mut node_counts: IndexMap<&str, usize> = IndexMap::new();
    for d in &runs {
        let status = d.status.map_or("running", |s| s.as_str());
        *statuses.entry(status.to_string()).or_default() += 1;
        walls.push(d.wall_ms);
        *paths.entry(d.critical_path.as_slice()).or_default() += 1;
        for node in &d.critical_path {
            *node_counts.entry(node.as_str()).or_default() += 1;
        }
        for s in &d.steps {
            let acc = steps.entry(s.id.as_str()).or_default();
            if s.attempts == 0 {
                continue;
            }
            acc.started += 1;
            acc.durations.push(s.duration_ms);
            match s.status {
                StepStatus::Succeeded => acc.succeeded += 1,
                StepStatus::Failed | StepStatus::TimedOut | StepStatus::Blocked => acc.failed += 1,
                _ => {}
            }
            acc.retried += usize::from(s.retries > 0);
            acc.critical += usize::from(s.critical);
        }
    }

    let share = |x: usize| round(stats::ratio(x as f64, n as f64), 3);
    let duration = series_trend(&walls);
    let mut flaky_steps = Vec::new();
    let step_trends: IndexMap<String, StepTrend> = steps
        .into_iter()
        .map(|(id, acc)| {
            let t = series_trend(&acc.durations);
            let flaky = acc.succeeded > 0 && (acc.failed > 0 || acc.retried > 0);
            if flaky {
                flaky_steps.push(id.to_string());
            }
            let started = acc.started as f64;
            (
                id.to_string(),
                StepTrend {
                    runs: acc.started,
                    p50_ms: t.p50_ms,
                    p95_ms: t.p95_ms,
                    max_ms: t.max_ms,
                    mean_ms: t.mean_ms,
                    trend_pct: t.trend_pct,
                    trend: t.trend,
                    success_rate: round(stats::ratio(acc.succeeded as f64, started), 3),
                    retry_rate: round(stats::ratio(acc.retried as f64, started), 3),
                    flaky,
                    critical_share: share(acc.critical),
                    series: t.series,
                },
            )
        })
        .collect();

    let (most_common, top) = paths
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(p, c)| (p.to_vec(), *c))
        .unwrap_or_default();
    let succeeded = statuses.get("succeeded").copied().unwrap_or(0);
    TrendReport {
        workflow_id,
        runs: n,
        first_started_at: runs.first().map(|d| rfc3339(d.started_at_ms)),
        last_started_at: runs.last().map(|d| rfc3339(d.started_at_ms)),
        statuses,
        success_rate: share(succeeded),
        duration,
        steps: step_trends,
        flaky_steps,
        critical_path: PathStability {
            most_common,
            share: share(top),
            distinct: paths.len(),
            node_share: {
                let mut shares: Vec<(&str, usize)> = node_counts.into_iter().collect();
                shares.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
                shares
                    .into_iter()
                    .map(|(k, c)| (k.to_string(), share(c)))
                    .collect()
            },
        },
    }
}

fn series_trend(values: &[u64]) -> DurationTrend {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let pct = trend_pct(values);
    DurationTrend {
        p50_ms: percentile_sorted(&sorted, 50.0),
        p95_ms: percentile_sorted(&sorted, 95.0),
        max_ms: sorted.last().copied().unwrap_or(0),
        mean_ms: super::measure::mean(values).unwrap_or(0),
        trend_pct: pct,
        trend: trend_label(pct).to_string(),
        series: tail(values),
    }
}
