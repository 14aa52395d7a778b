//! The serde types analytics produces. [`RunReport`] serialises to the
//! `braid report --format json` object of `docs/spec/cli.md` (its keys
//! first, extensions after); [`TrendReport`] is the `--workflow` report;
//! [`RunDigest`] is the compact per-run record trends are computed from.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::timeline::Timeline;
use crate::events::{RunStatus, StepStatus};
use crate::model::When;
use crate::run::aggregate::Outcome;

/// Analysis of one recorded run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RunReport {
    pub run_id: String,
    pub workflow_id: String,
    /// `RunStarted` → `RunFinished`.
    pub wall_ms: u64,
    pub critical_path: CriticalPathReport,
    /// Σ execution time of every attempt: the run done one thing at a time.
    pub sequential_ms: u64,
    /// `sequential_ms / wall_ms`.
    pub speedup: f64,
    /// `busy_ms / (wall_ms × concurrency_available)`.
    pub parallel_efficiency: f64,
    /// Wall time the critical path's work and queueing do not explain.
    pub coordination_overhead_ms: u64,
    /// Every step of the workflow, in file order.
    pub steps: IndexMap<String, StepReport>,
    /// Sorted by `impact_ms`, largest first.
    pub bottlenecks: Vec<Bottleneck>,
    /// Sorted by `saves_ms`, largest first.
    pub recommendations: Vec<Recommendation>,
    // --- extensions ---------------------------------------------------------
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_name: Option<String>,
    /// `None` while the run has not finished.
    pub status: Option<RunStatus>,
    /// RFC 3339, UTC.
    pub started_at: String,
    /// Time attempts held a slot (= `sequential_ms`).
    pub busy_ms: u64,
    /// `min(concurrency capacity, most units ready at once)`.
    pub concurrency_available: u32,
    pub time_scale: f64,
    pub groups: IndexMap<String, GroupReport>,
    /// The planner's prediction for this workflow with this run's measured
    /// durations: the baseline every recommendation's what-if is compared with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replanned_ms: Option<u64>,
    /// Number of earlier runs the regression check compared with.
    pub history_runs: usize,
    /// Spans of every attempt (what the Gantt chart draws).
    pub timeline: Timeline,
    /// Metrics the agents reported, summed over the run (an `llm` step's
    /// `prompt_tokens`, `completion_tokens`, `total_tokens`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub metrics: IndexMap<String, u64>,
    /// What the agents recommended, every round, in the order they said it
    /// (their `recommendations`: not to be confused with the priced
    /// `recommendations` above, which are the planner's).
    #[serde(default)]
    pub feedback: Vec<Feedback>,
    /// Per loop (by the id of its `to`): rounds run, and whether the limit
    /// ended it.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub loops: IndexMap<String, crate::run::summary::LoopSummary>,
}

/// One recommendation an agent made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Feedback {
    pub step: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<u32>,
    pub round: u32,
    pub text: String,
}

/// Tokens in a set of metrics: `total_tokens`, else prompt + completion.
pub fn tokens(metrics: &IndexMap<String, u64>) -> Option<u64> {
    metrics.get("total_tokens").copied().or_else(|| {
        let prompt = metrics.get("prompt_tokens");
        let completion = metrics.get("completion_tokens");
        (prompt.is_some() || completion.is_some())
            .then(|| prompt.copied().unwrap_or(0) + completion.copied().unwrap_or(0))
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CriticalPathReport {
    /// Outer nodes (steps and groups), first to last.
    pub nodes: Vec<String>,
    /// Σ work (elapsed minus queued) along the path.
    pub duration_ms: u64,
    /// Extension: Σ time the path's nodes waited for limits.
    pub queued_ms: u64,
    /// Extension: group on the path → the branch that decided it.
    pub branches: IndexMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StepReport {
    /// First start → final end (retries included).
    pub duration_ms: u64,
    /// Waiting for `limits` or a group's `max_concurrency`.
    pub queued_ms: u64,
    /// How much later it could have ended without delaying the run; `null`
    /// when it never ran.
    pub slack_ms: Option<u64>,
    pub attempts: u32,
    // --- extensions ---------------------------------------------------------
    pub status: StepStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Relative to the run's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<u64>,
    /// Time its attempts held a slot.
    pub exec_ms: u64,
    /// Failed attempts that were retried, plus the backoff after them.
    pub retry_ms: u64,
    /// A branch's wait, after it ended, for its group to aggregate.
    pub join_wait_ms: u64,
    /// On the critical path (a phase step on it, or the deciding branch of a group on it).
    pub critical: bool,
    /// Map branch: number of elements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elements: Option<usize>,
    /// Metrics its attempts reported, summed (token usage of an `llm` step,
    /// or of the `llm` steps of a sub-workflow).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub metrics: IndexMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GroupReport {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<u64>,
    pub outcome: Option<Outcome>,
    /// The branch whose end let the group aggregate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deciding_branch: Option<String>,
    pub slack_ms: Option<u64>,
    pub critical: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum BottleneckKind {
    SlowStep,
    FanIn,
    Queueing,
    Retries,
    CoordinationOverhead,
    Regression,
}

impl BottleneckKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BottleneckKind::SlowStep => "slow_step",
            BottleneckKind::FanIn => "fan_in",
            BottleneckKind::Queueing => "queueing",
            BottleneckKind::Retries => "retries",
            BottleneckKind::CoordinationOverhead => "coordination_overhead",
            BottleneckKind::Regression => "regression",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
// The container name is invisible in JSON; it keeps the TypeScript type apart
// from the diagnostics' `Severity`.
#[serde(rename = "BottleneckSeverity")]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Bottleneck {
    pub kind: BottleneckKind,
    /// The step (or group) at fault; `null` for run-wide kinds.
    pub node: Option<String>,
    /// Wall time it cost this run.
    pub impact_ms: u64,
    pub severity: Severity,
    pub message: String,
    // --- extensions ---------------------------------------------------------
    /// `queueing`: the limit waited for (`concurrency`, a resource name, or
    /// `max_concurrency` of a group as `<group>.max_concurrency`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// `fan_in`: the group held up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `slow_step`: duration ÷ the run's mean step duration; `regression`: ÷ p95.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// `retries`: share of earlier runs in which this step retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_rate: Option<f64>,
    /// `regression`: the step's p95 over earlier runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_ms: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum RecommendationKind {
    /// Two steps in sequence with no data dependency: run them side by side.
    Parallelize,
    /// A slow optional branch: take it out of its group so nothing waits for it.
    NonBlocking,
    /// Give a slow optional branch, or a retrying step, a timeout.
    Timeout,
    /// Raise a limit (or a group's `max_concurrency`) that made steps queue.
    RaiseLimit,
    /// Shorten a retrying step's backoff.
    RetryBackoff,
    /// A `quorum` group waits for branches after its verdict is settled:
    /// split the late ones out.
    SplitGroup,
}

impl RecommendationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecommendationKind::Parallelize => "parallelize",
            RecommendationKind::NonBlocking => "non_blocking",
            RecommendationKind::Timeout => "timeout",
            RecommendationKind::RaiseLimit => "raise_limit",
            RecommendationKind::RetryBackoff => "retry_backoff",
            RecommendationKind::SplitGroup => "split_group",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Recommendation {
    pub kind: RecommendationKind,
    pub nodes: Vec<String>,
    /// Planner's prediction with this run's durations, before minus after the change.
    pub saves_ms: u64,
    pub message: String,
    // --- extensions ---------------------------------------------------------
    /// The exact change, applicable with [`super::apply_edits`].
    pub edits: Vec<Edit>,
    /// Predicted wall time after the change.
    pub predicted_ms: u64,
}

/// One edit of a workflow file. A recommendation's edits, applied in order
/// to the recorded workflow, give the workflow its `saves_ms` was priced on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Edit {
    RemoveEdge {
        from: String,
        to: String,
    },
    AddEdge {
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        when: Option<When>,
    },
    /// `limits.<resource> = value`.
    SetLimit {
        resource: String,
        value: i64,
    },
    /// `groups[<group>].max_concurrency = value`.
    SetMaxConcurrency {
        group: String,
        value: i64,
    },
    /// `steps[<step>].timeout_s = timeout_s` (file seconds: a `sim` step's
    /// timeout is scaled by the run's time scale like its duration).
    SetTimeout {
        step: String,
        timeout_s: f64,
    },
    /// `steps[<step>].retry.backoff_ms = backoff_ms`.
    SetBackoff {
        step: String,
        backoff_ms: u64,
    },
    /// Removes `group` and `weight` from a branch step, making it a phase of
    /// the outer graph (edges into it are separate `add_edge`s).
    LeaveGroup {
        step: String,
        group: String,
    },
}

/// A compact record of one run, enough for trends and regression checks.
/// Computed once per run ([`super::digest`]) so the store can cache it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RunDigest {
    pub run_id: String,
    pub workflow_id: String,
    /// Epoch milliseconds.
    pub started_at_ms: u64,
    pub status: Option<RunStatus>,
    pub wall_ms: u64,
    /// Steps that became ready, in file order.
    pub steps: Vec<StepDigest>,
    /// Outer nodes of the run's critical path.
    pub critical_path: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StepDigest {
    pub id: String,
    pub status: StepStatus,
    /// First start → final end; 0 when it never started.
    pub duration_ms: u64,
    /// Attempts started (all elements of a map).
    pub attempts: u32,
    /// Attempts beyond the first (per element, summed).
    pub retries: u32,
    pub queued_ms: u64,
    /// On the run's critical path (a phase step on it, or its group's deciding branch).
    pub critical: bool,
}

/// Trends across runs of one workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TrendReport {
    pub workflow_id: String,
    pub runs: usize,
    /// RFC 3339 of the first and last run analysed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_started_at: Option<String>,
    /// Run status → count.
    pub statuses: IndexMap<String, usize>,
    pub success_rate: f64,
    pub duration: DurationTrend,
    pub steps: IndexMap<String, StepTrend>,
    /// Steps whose outcome varies from run to run.
    pub flaky_steps: Vec<String>,
    pub critical_path: PathStability,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DurationTrend {
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub max_ms: u64,
    pub mean_ms: u64,
    /// Relative change across the window from a least-squares fit (0.1 = +10 %).
    pub trend_pct: f64,
    /// `rising`, `falling` or `stable` (|trend_pct| under 10 %).
    pub trend: String,
    /// The last (up to 200) values, oldest first, for sparklines.
    pub series: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StepTrend {
    /// Runs in which it started.
    pub runs: usize,
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub max_ms: u64,
    pub mean_ms: u64,
    pub trend_pct: f64,
    pub trend: String,
    /// Succeeded ÷ started.
    pub success_rate: f64,
    /// Runs with more than one attempt ÷ started.
    pub retry_rate: f64,
    pub flaky: bool,
    /// Share of runs in which it was on the critical path (itself, or its group).
    pub critical_share: f64,
    pub series: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PathStability {
    /// The most frequent critical path.
    pub most_common: Vec<String>,
    /// Share of runs with exactly that path (1.0 = perfectly stable).
    pub share: f64,
    /// Number of distinct critical paths seen.
    pub distinct: usize,
    /// Node → share of runs in which it was on the critical path.
    pub node_share: IndexMap<String, f64>,
}
