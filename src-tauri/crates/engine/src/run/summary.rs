//! A run's summary, folded from its events: the object `braid run --json`
//! and `braid show --json` print (shape in `docs/spec/cli.md`). Pure, so
//! the CLI, the store and the app all compute it the same way.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::aggregate::Outcome;
use crate::events::{Event, EventKind, RunClock, RunStatus, StepStatus};
use crate::model::{JsonMap, Workflow};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RunSummary {
    pub run_id: String,
    pub workflow_id: String,
    pub status: RunStatus,
    /// RFC 3339, UTC, seconds.
    pub started_at: String,
    pub duration_ms: u64,
    pub steps: IndexMap<String, StepSummary>,
    pub groups: IndexMap<String, GroupSummary>,
    pub context: JsonMap,
    /// Why the run did not succeed, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Per loop (by the id of its `to`): rounds run, and whether the round
    /// limit (not the condition) ended it.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub loops: IndexMap<String, LoopSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LoopSummary {
    pub rounds: u32,
    pub exhausted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StepSummary {
    pub status: StepStatus,
    pub attempts: u32,
    pub duration_ms: u64,
    pub score: Option<f64>,
    pub approved: Option<bool>,
    pub error: Option<String>,
    /// For a map branch: how many elements ended in each status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elements: Option<IndexMap<String, u32>>,
    /// Why it did not succeed, as a code: `failed`, `timed_out`, `blocked`,
    /// `input_not_written`, `cancelled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The rounds it ran in, when a loop ran it more than once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounds: Option<u32>,
    /// What its last attempt recommended (for a map branch: every element's).
    #[serde(default)]
    pub recommendations: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GroupSummary {
    pub outcome: Option<Outcome>,
    pub score: Option<f64>,
}

/// Per execution (step, element) while folding.
#[derive(Default, Clone)]
struct Exec {
    /// Completed earlier in this same run (before a crash) and replayed by
    /// `resume`: its span is the original one, not stretched to the replay.
    replayed: bool,
    status: Option<StepStatus>,
    attempts: u32,
    first_start: Option<u64>,
    end: Option<u64>,
    score: Option<f64>,
    approved: Option<bool>,
    error: Option<String>,
    error_code: Option<String>,
    round: u32,
    recommendations: Vec<serde_json::Value>,
}

impl Exec {
    /// An event about round `round`: a new round starts the record afresh
    /// (the span keeps the first start).
    fn enter_round(&mut self, round: u32) {
        if round > self.round {
            self.round = round;
            (self.error, self.error_code, self.score, self.approved) = (None, None, None, None);
            self.recommendations.clear();
        }
    }
}

/// Folds a run's events (in sequence order) into its summary.
pub fn summarize(workflow: &Workflow, events: &[Event]) -> RunSummary {
    let mut run_id = String::new();
    let mut started = None;
    let mut finished = None;
    let mut status = RunStatus::Running;
    let mut error = None;
    let mut context = JsonMap::new();
    let mut execs: IndexMap<(String, Option<u32>), Exec> = IndexMap::new();
    let mut groups: IndexMap<String, GroupSummary> = workflow
        .groups
        .iter()
        .map(|g| {
            (
                g.id.clone(),
                GroupSummary {
                    outcome: None,
                    score: None,
                },
            )
        })
        .collect();
    let mut loops: IndexMap<String, LoopSummary> = IndexMap::new();
    let mut clock = RunClock::default();
    for event in events {
        let t = clock.time(event);
        match &event.kind {
            EventKind::RunStarted { run_id: id, .. } => {
                run_id = id.clone();
                started.get_or_insert(t);
            }
            EventKind::RunFinished {
                status: s,
                error: e,
            } => {
                status = *s;
                error = e.clone();
                finished = Some(t);
            }
            EventKind::StepStarted { at } => {
                let x = execs.entry((at.step.clone(), at.element)).or_default();
                x.enter_round(at.round);
                x.attempts = x.attempts.max(at.attempt);
                x.first_start.get_or_insert(t);
                x.status = Some(StepStatus::Running);
            }
            EventKind::StepSucceeded {
                at,
                score,
                approved,
                recommendations,
                ..
            } => {
                let x = execs.entry((at.step.clone(), at.element)).or_default();
                x.enter_round(at.round);
                let end = if x.replayed { x.end } else { Some(t) };
                (x.status, x.end, x.score, x.approved, x.error, x.error_code) = (
                    Some(StepStatus::Succeeded),
                    end,
                    *score,
                    *approved,
                    None,
                    None,
                );
                x.recommendations = recommendations.clone();
            }
            EventKind::StepFailed { at, error }
            | EventKind::StepTimedOut { at, error }
            | EventKind::StepBlocked { at, error, .. } => {
                let (s, code) = match &event.kind {
                    EventKind::StepFailed { .. } => (StepStatus::Failed, "failed".to_string()),
                    EventKind::StepTimedOut { .. } => {
                        (StepStatus::TimedOut, "timed_out".to_string())
                    }
                    EventKind::StepBlocked { error_code, .. } => (
                        StepStatus::Blocked,
                        error_code.clone().unwrap_or_else(|| "blocked".into()),
                    ),
                    _ => unreachable!("matched above"),
                };
                let x = execs.entry((at.step.clone(), at.element)).or_default();
                x.enter_round(at.round);
                let end = if x.replayed { x.end } else { Some(t) };
                (x.status, x.end, x.error, x.error_code) =
                    (Some(s), end, Some(error.clone()), Some(code));
            }
            EventKind::ApprovalRequested { at, .. } => {
                let x = execs.entry((at.step.clone(), at.element)).or_default();
                x.status = Some(StepStatus::Waiting);
            }
            EventKind::RunWaiting { waiting } if finished.is_none() => {
                status = if *waiting {
                    RunStatus::Waiting
                } else {
                    RunStatus::Running
                };
            }
            EventKind::LoopRound { .. } | EventKind::LoopExhausted { .. } => {
                fold_loop(&mut loops, &event.kind);
            }
            EventKind::AttemptFailed { at, error, .. } => {
                let x = execs.entry((at.step.clone(), at.element)).or_default();
                x.error = Some(error.clone());
            }
            EventKind::StepReused { at, .. } => {
                let x = execs.entry((at.step.clone(), at.element)).or_default();
                x.attempts = x.attempts.max(at.attempt);
                x.first_start.get_or_insert(t);
                // Resume replays a completion this run already recorded.
                x.replayed = x.end.is_some();
            }
            EventKind::StepInterrupted { at } => {
                let x = execs.entry((at.step.clone(), at.element)).or_default();
                (x.status, x.end) = (Some(StepStatus::Interrupted), Some(t));
            }
            EventKind::StepSkipped { step, .. } => {
                let x = execs.entry((step.clone(), None)).or_default();
                x.status.get_or_insert(StepStatus::Skipped);
            }
            EventKind::StepCancelled { step, element, .. } => {
                let x = execs.entry((step.clone(), *element)).or_default();
                if !x.status.is_some_and(StepStatus::is_final) {
                    (x.status, x.end) = (Some(StepStatus::Cancelled), Some(t));
                    x.error_code = Some("cancelled".into());
                }
            }
            EventKind::GroupAggregated {
                group,
                outcome,
                score,
                ..
            } => {
                groups.insert(
                    group.clone(),
                    GroupSummary {
                        outcome: Some(*outcome),
                        score: *score,
                    },
                );
            }
            EventKind::ContextWrite { key, new, .. } => {
                context.insert(key.clone(), new.clone());
            }
            _ => {}
        }
    }
    let steps = workflow
        .steps
        .iter()
        .map(|step| {
            let mine: Vec<(&Option<u32>, &Exec)> = execs
                .iter()
                .filter(|((id, _), _)| id == &step.id)
                .map(|((_, e), x)| (e, x))
                .collect();
            (step.id.clone(), step_summary(&mine))
        })
        .collect();
    let started_ms = started.unwrap_or(0);
    RunSummary {
        run_id,
        workflow_id: workflow.id.clone(),
        status,
        started_at: rfc3339(started_ms),
        duration_ms: finished
            .or(clock.now())
            .unwrap_or(started_ms)
            .saturating_sub(started_ms),
        steps,
        groups,
        context,
        error,
        loops,
    }
}

fn step_summary(execs: &[(&Option<u32>, &Exec)]) -> StepSummary {
    let is_map = execs.iter().any(|(e, _)| e.is_some());
    let elements: Vec<&Exec> = execs
        .iter()
        .filter(|(e, _)| !is_map || e.is_some())
        .map(|(_, x)| *x)
        .collect();
    let statuses: Vec<StepStatus> = elements
        .iter()
        .map(|x| x.status.unwrap_or(StepStatus::Pending))
        .collect();
    // A map branch's status from its elements (the one rule: StepStatus::of_parts).
    let status = if statuses.is_empty() {
        execs
            .first()
            .and_then(|(_, x)| x.status)
            .unwrap_or(StepStatus::Pending)
    } else {
        StepStatus::of_parts(statuses.iter().copied())
    };
    let start = elements.iter().filter_map(|x| x.first_start).min();
    let end = elements.iter().filter_map(|x| x.end).max();
    let single = (!is_map).then(|| elements.first().copied()).flatten();
    StepSummary {
        status,
        attempts: elements.iter().map(|x| x.attempts).sum(),
        duration_ms: match (start, end) {
            (Some(s), Some(e)) => e.saturating_sub(s),
            _ => 0,
        },
        score: single.and_then(|x| x.score),
        approved: single.and_then(|x| x.approved),
        error: elements.iter().find_map(|x| {
            (x.status != Some(StepStatus::Succeeded))
                .then(|| x.error.clone())
                .flatten()
        }),
        error_code: elements.iter().find_map(|x| {
            (x.status != Some(StepStatus::Succeeded))
                .then(|| x.error_code.clone())
                .flatten()
        }),
        rounds: elements.iter().map(|x| x.round).max().filter(|&r| r > 1),
        recommendations: elements
            .iter()
            .flat_map(|x| x.recommendations.iter().cloned())
            .collect(),
        elements: is_map.then(|| {
            let mut counts = IndexMap::new();
            for s in statuses {
                *counts.entry(s.as_str().to_string()).or_insert(0) += 1;
            }
            counts
        }),
    }
}

/// Per loop (by its `to`): rounds run and whether the limit ended it, from
/// a run's events (what `summarize` and analytics report).
pub fn loops_of(events: &[Event]) -> IndexMap<String, LoopSummary> {
    let mut loops = IndexMap::new();
    for event in events {
        fold_loop(&mut loops, &event.kind);
    }
    loops
}

fn fold_loop(loops: &mut IndexMap<String, LoopSummary>, kind: &EventKind) {
    match kind {
        EventKind::LoopRound { to, round, .. } => {
            let entry = loops.entry(to.clone()).or_insert(LoopSummary {
                rounds: 1,
                exhausted: false,
            });
            entry.rounds = *round;
        }
        EventKind::LoopExhausted { to, rounds, .. } => {
            loops.insert(
                to.clone(),
                LoopSummary {
                    rounds: *rounds,
                    exhausted: true,
                },
            );
        }
        _ => {}
    }
}

/// `2026-11-21T10:00:00Z` from milliseconds since the epoch.
pub fn rfc3339(ms: u64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_seconds(time).to_string()
}
