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
                x.attempts = x.attempts.max(at.attempt);
                x.first_start.get_or_insert(t);
                x.status = Some(StepStatus::Running);
            }
            EventKind::StepSucceeded {
                at,
                score,
                approved,
                ..
            } => {
                let x = execs.entry((at.step.clone(), at.element)).or_default();
                let end = if x.replayed { x.end } else { Some(t) };
                (x.status, x.end, x.score, x.approved, x.error) =
                    (Some(StepStatus::Succeeded), end, *score, *approved, None);
            }
            EventKind::StepFailed { at, error }
            | EventKind::StepTimedOut { at, error }
            | EventKind::StepBlocked { at, error } => {
                let s = match &event.kind {
                    EventKind::StepFailed { .. } => StepStatus::Failed,
                    EventKind::StepTimedOut { .. } => StepStatus::TimedOut,
                    _ => StepStatus::Blocked,
                };
                let x = execs.entry((at.step.clone(), at.element)).or_default();
                let end = if x.replayed { x.end } else { Some(t) };
                (x.status, x.end, x.error) = (Some(s), end, Some(error.clone()));
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
        elements: is_map.then(|| {
            let mut counts = IndexMap::new();
            for s in statuses {
                *counts.entry(s.as_str().to_string()).or_insert(0) += 1;
            }
            counts
        }),
    }
}

/// `2026-11-21T10:00:00Z` from milliseconds since the epoch.
pub fn rfc3339(ms: u64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_seconds(time).to_string()
}
