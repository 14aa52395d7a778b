//! A recorded run's events folded into spans: per step (per map element),
//! every attempt's queued, start and end times and how it ended, plus each
//! group's start and aggregation. Times are milliseconds since the run's
//! `RunStarted` event, so every later computation is plain arithmetic.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::events::{Event, EventKind, RunClock, RunStatus, StepStatus};
use crate::model::Workflow;
use crate::run::aggregate::Outcome;

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum AttemptEnd {
    Succeeded,
    /// Failed; `retried` when another attempt followed.
    Failed,
    TimedOut,
    Blocked,
    Cancelled,
    /// No end was recorded (the run is still going, or its process died).
    Unfinished,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AttemptSpan {
    pub attempt: u32,
    /// When it became ready and started waiting for `limits`.
    pub queued_ms: u64,
    /// When it started running (`None`: cancelled while still queued).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<u64>,
    pub result: AttemptEnd,
    /// Whether another attempt followed this one.
    #[serde(default)]
    pub retried: bool,
    /// Time from this attempt's end to the next attempt being queued
    /// (the retry backoff as it really elapsed).
    #[serde(default)]
    pub backoff_ms: u64,
}

impl AttemptSpan {
    /// Time spent waiting for a slot before starting (to its end when it never started).
    pub fn wait_ms(&self, run_end: u64) -> u64 {
        let until = self.start_ms.or(self.end_ms).unwrap_or(run_end);
        until.saturating_sub(self.queued_ms)
    }
    /// Time it held its slot.
    pub fn run_ms(&self, run_end: u64) -> u64 {
        match self.start_ms {
            Some(s) => self.end_ms.unwrap_or(run_end).saturating_sub(s),
            None => 0,
        }
    }
}

/// One execution of a step: the step itself, or one element of a map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ExecSpan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<u32>,
    pub status: StepStatus,
    pub attempts: Vec<AttemptSpan>,
    /// When its final status was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<u64>,
    /// Its result was reused from an earlier run (resume, rerun): it did
    /// not run in this one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reused: bool,
    /// The verdict it reported on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

impl ExecSpan {
    pub fn ready_ms(&self) -> Option<u64> {
        self.attempts.first().map(|a| a.queued_ms)
    }
    pub fn first_start_ms(&self) -> Option<u64> {
        self.attempts.iter().find_map(|a| a.start_ms)
    }
    pub fn started(&self) -> bool {
        self.first_start_ms().is_some()
    }
    /// Its end, or the end of its last attempt, or `run_end` while unfinished.
    pub fn finish_ms(&self, run_end: u64) -> u64 {
        self.end_ms
            .or_else(|| self.attempts.last().and_then(|a| a.end_ms))
            .unwrap_or(run_end)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StepSpan {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub status: StepStatus,
    /// One per execution: a single one for a plain step, one per element for
    /// a map branch. Empty when the step never became ready.
    pub execs: Vec<ExecSpan>,
}

impl StepSpan {
    pub fn is_map(&self) -> bool {
        self.execs.iter().any(|e| e.element.is_some())
    }
    pub fn started(&self) -> bool {
        self.execs.iter().any(ExecSpan::started)
    }
    /// Attempts started beyond the first, over every execution.
    pub fn retries(&self) -> u32 {
        self.execs
            .iter()
            .map(|e| {
                (e.attempts.iter().filter(|a| a.start_ms.is_some()).count() as u32)
                    .saturating_sub(1)
            })
            .sum()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GroupSpan {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elements: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Timeline {
    pub run_id: String,
    pub workflow_id: String,
    /// `None` while the run has not finished.
    pub status: Option<RunStatus>,
    /// Epoch milliseconds of `RunStarted`.
    pub started_at_ms: u64,
    pub wall_ms: u64,
    pub time_scale: f64,
    /// A resumed run: the downtime between the interruption and the resume,
    /// left out of every time here (so `wall_ms` is time the run was alive).
    #[serde(default)]
    pub downtime_ms: u64,
    /// Every step of the workflow, in file order.
    pub steps: Vec<StepSpan>,
    /// Every group of the workflow, in file order.
    pub groups: Vec<GroupSpan>,
}

impl Timeline {
    pub fn step(&self, id: &str) -> Option<&StepSpan> {
        self.steps.iter().find(|s| s.id == id)
    }
    pub fn group(&self, id: &str) -> Option<&GroupSpan> {
        self.groups.iter().find(|g| g.id == id)
    }
}

/// Folds a run's events (in sequence order) into spans.
pub fn build(workflow: &Workflow, events: &[Event]) -> Timeline {
    let step_index: HashMap<&str, usize> = workflow.step_index();
    let group_index: HashMap<&str, usize> = workflow.group_index();
    let origin = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::RunStarted { .. }))
        .or(events.first())
        .map_or(0, |e| e.at_ms);
    // Downtime of a resumed run is cut out: times after `RunResumed` shift back.
    let mut clock = RunClock::default();

    let mut run_id = String::new();
    let mut workflow_id = workflow.id.clone();
    let mut time_scale = 1.0;
    let mut status = None;
    let mut finished_at = None;
    // Per step: its executions keyed by element.
    let mut execs: Vec<Vec<ExecSpan>> = vec![Vec::new(); workflow.steps.len()];
    let mut skipped = vec![false; workflow.steps.len()];
    let mut groups: Vec<GroupSpan> = workflow
        .groups
        .iter()
        .map(|g| GroupSpan {
            id: g.id.clone(),
            start_ms: None,
            end_ms: None,
            outcome: None,
            elements: None,
        })
        .collect();

    fn exec_of(list: &mut Vec<ExecSpan>, element: Option<u32>) -> &mut ExecSpan {
        let pos = match list.iter().position(|e| e.element == element) {
            Some(p) => p,
            None => {
                list.push(ExecSpan {
                    element,
                    status: StepStatus::Pending,
                    attempts: Vec::new(),
                    end_ms: None,
                    reused: false,
                    approved: None,
                    score: None,
                });
                list.len() - 1
            }
        };
        &mut list[pos]
    }
    fn attempt_of(exec: &mut ExecSpan, attempt: u32, t: u64) -> &mut AttemptSpan {
        let pos = match exec.attempts.iter().rposition(|a| a.attempt == attempt) {
            Some(p) => p,
            None => {
                exec.attempts.push(AttemptSpan {
                    attempt,
                    queued_ms: t,
                    start_ms: None,
                    end_ms: None,
                    result: AttemptEnd::Unfinished,
                    retried: false,
                    backoff_ms: 0,
                });
                exec.attempts.len() - 1
            }
        };
        &mut exec.attempts[pos]
    }

    for event in events {
        if let EventKind::RunResumed { .. } = &event.kind {
            // Attempts the interruption cut short end where the first life ended.
            let died = clock.now().unwrap_or(origin).saturating_sub(origin);
            for list in &mut execs {
                for exec in list.iter_mut() {
                    for a in &mut exec.attempts {
                        if a.end_ms.is_none() {
                            a.end_ms = Some(died);
                        }
                    }
                }
            }
            status = None;
            finished_at = None;
        }
        let t = clock.time(event).saturating_sub(origin);
        match &event.kind {
            EventKind::RunStarted {
                run_id: id,
                workflow_id: wid,
                time_scale: scale,
                ..
            } if run_id.is_empty() => {
                run_id = id.clone();
                workflow_id = wid.clone();
                time_scale = *scale;
            }
            EventKind::RunFinished { status: s, .. } => {
                status = Some(*s);
                finished_at = Some(t);
            }
            EventKind::GroupStarted {
                group, elements, ..
            } => {
                if let Some(&g) = group_index.get(group.as_str()) {
                    groups[g].start_ms.get_or_insert(t);
                    groups[g].elements = *elements;
                }
            }
            EventKind::GroupAggregated { group, outcome, .. } => {
                if let Some(&g) = group_index.get(group.as_str()) {
                    groups[g].end_ms = Some(t);
                    groups[g].outcome = Some(*outcome);
                }
            }
            EventKind::StepQueued { at } => {
                let Some(&s) = step_index.get(at.step.as_str()) else {
                    continue;
                };
                let exec = exec_of(&mut execs[s], at.element);
                if let Some(prev) = exec.attempts.last_mut() {
                    if prev.attempt < at.attempt {
                        prev.retried = true;
                        prev.backoff_ms = prev.end_ms.map_or(0, |e| t.saturating_sub(e));
                    }
                }
                let fresh = exec.attempts.last().is_none_or(|a| {
                    a.attempt != at.attempt || a.start_ms.is_some() || a.end_ms.is_some()
                });
                if fresh {
                    exec.attempts.push(AttemptSpan {
                        attempt: at.attempt,
                        queued_ms: t,
                        start_ms: None,
                        end_ms: None,
                        result: AttemptEnd::Unfinished,
                        retried: false,
                        backoff_ms: 0,
                    });
                }
                exec.status = StepStatus::Pending;
                exec.reused = false;
            }
            EventKind::StepStarted { at } => {
                let Some(&s) = step_index.get(at.step.as_str()) else {
                    continue;
                };
                let exec = exec_of(&mut execs[s], at.element);
                attempt_of(exec, at.attempt, t).start_ms = Some(t);
                exec.status = StepStatus::Running;
            }
            EventKind::AttemptEnded { at, .. } => {
                let Some(&s) = step_index.get(at.step.as_str()) else {
                    continue;
                };
                let exec = exec_of(&mut execs[s], at.element);
                let a = attempt_of(exec, at.attempt, t);
                a.end_ms.get_or_insert(t);
            }
            EventKind::AttemptFailed { at, timed_out, .. } => {
                let Some(&s) = step_index.get(at.step.as_str()) else {
                    continue;
                };
                let exec = exec_of(&mut execs[s], at.element);
                if exec.reused {
                    continue;
                }
                let a = attempt_of(exec, at.attempt, t);
                a.end_ms.get_or_insert(t);
                a.result = if *timed_out {
                    AttemptEnd::TimedOut
                } else {
                    AttemptEnd::Failed
                };
                a.retried = true;
            }
            EventKind::StepSucceeded { at, .. }
            | EventKind::StepFailed { at, .. }
            | EventKind::StepTimedOut { at, .. }
            | EventKind::StepBlocked { at, .. } => {
                let Some(&s) = step_index.get(at.step.as_str()) else {
                    continue;
                };
                let (result, final_status) = match &event.kind {
                    EventKind::StepSucceeded { .. } => {
                        (AttemptEnd::Succeeded, StepStatus::Succeeded)
                    }
                    EventKind::StepFailed { .. } => (AttemptEnd::Failed, StepStatus::Failed),
                    EventKind::StepTimedOut { .. } => (AttemptEnd::TimedOut, StepStatus::TimedOut),
                    _ => (AttemptEnd::Blocked, StepStatus::Blocked),
                };
                let exec = exec_of(&mut execs[s], at.element);
                if exec.reused {
                    // A replayed result: no attempt ran in this run.
                    if exec.status.is_final() && !exec.attempts.is_empty() {
                        continue; // already recorded before the interruption
                    }
                } else {
                    let a = attempt_of(exec, at.attempt, t);
                    a.end_ms.get_or_insert(t);
                    a.result = result;
                }
                exec.status = final_status;
                exec.end_ms = Some(t);
                if let EventKind::StepSucceeded {
                    approved, score, ..
                } = &event.kind
                {
                    exec.approved = *approved;
                    exec.score = *score;
                }
            }
            EventKind::StepCancelled {
                step,
                element,
                attempt,
                ..
            } => {
                let Some(&s) = step_index.get(step.as_str()) else {
                    continue; // a group id: its branches get their own events
                };
                let exec = exec_of(&mut execs[s], *element);
                let target = match attempt {
                    Some(n) => Some(attempt_of(exec, *n, t)),
                    None => exec
                        .attempts
                        .last_mut()
                        .filter(|a| a.result == AttemptEnd::Unfinished),
                };
                if let Some(a) = target {
                    a.end_ms.get_or_insert(t);
                    a.result = AttemptEnd::Cancelled;
                }
                if !exec.status.is_final() {
                    exec.status = StepStatus::Cancelled;
                    exec.end_ms = Some(t);
                }
            }
            EventKind::StepReused { at, .. } => {
                let Some(&s) = step_index.get(at.step.as_str()) else {
                    continue;
                };
                exec_of(&mut execs[s], at.element).reused = true;
            }
            EventKind::StepInterrupted { at } => {
                let Some(&s) = step_index.get(at.step.as_str()) else {
                    continue;
                };
                let exec = exec_of(&mut execs[s], at.element);
                exec.status = StepStatus::Interrupted;
                exec.end_ms = Some(t);
            }
            EventKind::StepSkipped { step, .. } => {
                if let Some(&s) = step_index.get(step.as_str()) {
                    skipped[s] = true;
                }
            }
            _ => {}
        }
    }

    let last = clock.now().unwrap_or(origin).saturating_sub(origin);
    let wall_ms = finished_at.unwrap_or(last);
    let unfinished = if status.is_some() {
        StepStatus::Interrupted
    } else {
        StepStatus::Running
    };
    let steps = workflow
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let mut list = std::mem::take(&mut execs[i]);
            list.sort_by_key(|e| e.element);
            for exec in &mut list {
                if exec.status == StepStatus::Running
                    || (exec.status == StepStatus::Pending && status.is_some())
                {
                    exec.status = unfinished;
                }
            }
            let status = step_status(&list, skipped[i]);
            StepSpan {
                id: step.id.clone(),
                group: step.group.clone(),
                status,
                execs: list,
            }
        })
        .collect();
    Timeline {
        run_id,
        workflow_id,
        status,
        started_at_ms: origin,
        wall_ms,
        time_scale,
        downtime_ms: clock.downtime_ms(),
        steps,
        groups,
    }
}

/// A step's status from its executions: the worst element of a map.
fn step_status(execs: &[ExecSpan], skipped: bool) -> StepStatus {
    if execs.is_empty() {
        return if skipped {
            StepStatus::Skipped
        } else {
            StepStatus::Pending
        };
    }
    StepStatus::of_parts(execs.iter().map(|e| e.status))
}
