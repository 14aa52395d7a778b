//! The event stream: one typed enum that every consumer reads. The CLI draws
//! progress from it, the store persists it, the app streams it to the
//! canvas. Nothing else about a run is observable, so anything a consumer
//! needs to know must be in an event.
//!
//! Events carry a run-wide sequence number (assigned under one lock, so
//! their order is the order consumers see) and a wall-clock timestamp in
//! milliseconds since the Unix epoch.

use std::time::{SystemTime, UNIX_EPOCH};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::JsonMap;
use crate::model::Outcome;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Event {
    pub seq: u64,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Final (or current) status of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    Blocked,
    Rejected,
    NeedsWork,
    Cancelled,
    Interrupted,
    /// A pending approval is all that is left to do (format revision 2).
    Waiting,
}

impl RunStatus {
    pub const ALL: [RunStatus; 9] = [
        RunStatus::Running,
        RunStatus::Succeeded,
        RunStatus::Failed,
        RunStatus::Blocked,
        RunStatus::Rejected,
        RunStatus::NeedsWork,
        RunStatus::Cancelled,
        RunStatus::Interrupted,
        RunStatus::Waiting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Blocked => "blocked",
            RunStatus::Rejected => "rejected",
            RunStatus::NeedsWork => "needs_work",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Waiting => "waiting",
        }
    }
}

/// Status of a step (for a map branch: of one element).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Blocked,
    Skipped,
    Cancelled,
    Interrupted,
    /// An approval step waiting for a person (format revision 2).
    Waiting,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::Running => "running",
            StepStatus::Succeeded => "succeeded",
            StepStatus::Failed => "failed",
            StepStatus::TimedOut => "timed_out",
            StepStatus::Blocked => "blocked",
            StepStatus::Skipped => "skipped",
            StepStatus::Cancelled => "cancelled",
            StepStatus::Interrupted => "interrupted",
            StepStatus::Waiting => "waiting",
        }
    }
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            StepStatus::Pending | StepStatus::Running | StepStatus::Waiting
        )
    }

    /// Worst first: the status a finished map step shows when its elements
    /// ended differently.
    pub const PRECEDENCE: [StepStatus; 8] = [
        StepStatus::Running,
        StepStatus::Blocked,
        StepStatus::Failed,
        StepStatus::TimedOut,
        StepStatus::Interrupted,
        StepStatus::Cancelled,
        StepStatus::Succeeded,
        StepStatus::Skipped,
    ];

    /// A step's status from its parts (a map's elements): while any part
    /// is open it is `running` if one runs, else `waiting` if one waits for
    /// a person, else `running` if one has finished (partly done is in
    /// progress), else `pending`; once all are final, the worst
    /// of them. The one rule for `show`, analytics and the canvas (the UI's
    /// copy is tested against `tests/fixtures/step_status.json`).
    pub fn of_parts(parts: impl IntoIterator<Item = StepStatus>) -> StepStatus {
        let mut seen = [false; 10];
        let (mut total, mut open) = (0usize, 0usize);
        for part in parts {
            seen[part as usize] = true;
            total += 1;
            open += usize::from(!part.is_final());
        }
        if total == 0 {
            return StepStatus::Pending;
        }
        if open > 0 {
            if !seen[StepStatus::Running as usize] && seen[StepStatus::Waiting as usize] {
                return StepStatus::Waiting;
            }
            return if total > open || seen[StepStatus::Running as usize] {
                StepStatus::Running
            } else {
                StepStatus::Pending
            };
        }
        Self::PRECEDENCE
            .into_iter()
            .find(|p| seen[*p as usize])
            .unwrap_or(StepStatus::Pending)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Which execution of a step an event is about: the step id, the map
/// element (for a map branch) and the attempt number (1-based).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AttemptRef {
    pub step: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<u32>,
    /// Attempt numbers count on across a loop's rounds (round 2's first
    /// attempt follows round 1's last), so every attempt keeps its own row.
    pub attempt: u32,
    /// The innermost loop's round (from 1; 1 outside loops and in runs
    /// recorded before loops existed).
    #[serde(default = "first_round")]
    pub round: u32,
}

fn first_round() -> u32 {
    1
}

impl AttemptRef {
    /// An attempt outside any loop (round 1).
    pub fn new(step: impl Into<String>, element: Option<u32>, attempt: u32) -> Self {
        Self {
            step: step.into(),
            element,
            attempt,
            round: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    RunStarted {
        run_id: String,
        workflow_id: String,
        inputs: JsonMap,
        time_scale: f64,
        /// Capacity of `limits.concurrency` this run had (the workflow's, or
        /// the default: 64; the CPU count before format revision 2):
        /// analytics needs it to judge efficiency on another machine. 0 in
        /// runs recorded before it was kept.
        #[serde(default)]
        concurrency: u32,
    },
    /// An interrupted or failed run continues (same run id; `braid resume`).
    RunResumed { run_id: String },
    /// The step's result was taken from an earlier run instead of running it
    /// again (resume, or rerun from a later step). The completion events
    /// that follow replay that result.
    StepReused {
        #[serde(flatten)]
        at: AttemptRef,
        from_run: String,
    },
    /// A step that was mid-attempt when its run died, and that the user chose
    /// to skip on resume.
    StepInterrupted {
        #[serde(flatten)]
        at: AttemptRef,
    },
    /// A group (or map) started its branches; `elements` for a map.
    GroupStarted {
        group: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        elements: Option<u32>,
        /// The innermost loop's round of the node (1 outside loops).
        #[serde(default = "first_round")]
        round: u32,
    },
    /// Ready to run, waiting for `limits` (or a group's `max_concurrency`).
    StepQueued {
        #[serde(flatten)]
        at: AttemptRef,
    },
    StepStarted {
        #[serde(flatten)]
        at: AttemptRef,
    },
    /// A child process was spawned for the attempt (recorded for crash recovery).
    ProcessSpawned {
        #[serde(flatten)]
        at: AttemptRef,
        pid: u32,
        pgid: i32,
    },
    OutputLine {
        #[serde(flatten)]
        at: AttemptRef,
        stream: Stream,
        line: String,
    },
    /// What an attempt left behind, whatever its outcome: exit code and
    /// output tails (last 64 KiB of each stream).
    AttemptEnded {
        #[serde(flatten)]
        at: AttemptRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        stdout_tail: String,
        stderr_tail: String,
        duration_ms: u64,
    },
    /// An attempt failed (or timed out) and another will follow.
    AttemptFailed {
        #[serde(flatten)]
        at: AttemptRef,
        error: String,
        timed_out: bool,
    },
    StepRetrying {
        #[serde(flatten)]
        at: AttemptRef,
        next_attempt: u32,
        delay_ms: u64,
    },
    StepSucceeded {
        #[serde(flatten)]
        at: AttemptRef,
        outputs: JsonMap,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        score: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        approved: Option<bool>,
        /// What the agent recommends (its result's `recommendations`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        recommendations: Vec<Value>,
        /// Non-fatal errors the agent reported beside a result.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        errors: Vec<Value>,
    },
    StepFailed {
        #[serde(flatten)]
        at: AttemptRef,
        error: String,
    },
    StepTimedOut {
        #[serde(flatten)]
        at: AttemptRef,
        error: String,
    },
    StepBlocked {
        #[serde(flatten)]
        at: AttemptRef,
        error: String,
        /// Why, as a code: `input_not_written` when a `requires` key was
        /// missing (no attempt was made); absent when the agent said blocked.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_code: Option<String>,
    },
    StepSkipped {
        step: String,
        reason: String,
        /// The innermost loop's round of the node (1 outside loops).
        #[serde(default = "first_round")]
        round: u32,
    },
    StepCancelled {
        step: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        element: Option<u32>,
        /// The attempt that was running, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attempt: Option<u32>,
        /// The innermost loop's round of the node (1 outside loops).
        #[serde(default = "first_round")]
        round: u32,
    },
    ContextWrite {
        /// The step or group that wrote.
        writer: String,
        key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old: Option<Value>,
        new: Value,
        /// The writer's round (its innermost loop's; 1 outside loops and
        /// for inputs and initial context).
        #[serde(default = "first_round")]
        round: u32,
    },
    GroupAggregated {
        group: String,
        outcome: Outcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        score: Option<f64>,
        approved: bool,
        /// The innermost loop's round of the node (1 outside loops).
        #[serde(default = "first_round")]
        round: u32,
    },
    Warning {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        message: String,
    },
    /// An `approval` step waits for a person (`braid approve`, the app).
    ApprovalRequested {
        #[serde(flatten)]
        at: AttemptRef,
        prompt: String,
        /// The step's `show` keys and their values.
        shown: JsonMap,
        /// The decision's deadline, epoch ms.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadline_ms: Option<u64>,
    },
    /// The run started or stopped waiting: `waiting` while pending
    /// approvals are all that is left to do.
    RunWaiting { waiting: bool },
    /// A loop edge was taken: the body runs again from `to`, this round.
    LoopRound {
        /// The loop's `to` (the node its body starts at).
        to: String,
        from: String,
        round: u32,
    },
    /// The loop's `when` held but `max_rounds` rounds had run: `from`'s
    /// other edges decide.
    LoopExhausted {
        to: String,
        from: String,
        rounds: u32,
    },
    RunFinished {
        status: RunStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// Measurements an attempt reported, e.g. an `llm` agent's token usage
    /// (`prompt_tokens`, `completion_tokens`, `total_tokens`). Reports sum
    /// them per step.
    StepMetrics {
        #[serde(flatten)]
        at: AttemptRef,
        metrics: IndexMap<String, u64>,
    },
    /// A `workflow` agent started its sub-workflow as a run of its own
    /// (recorded in the store with this run as its parent).
    SubRunStarted {
        #[serde(flatten)]
        at: AttemptRef,
        run_id: String,
        workflow_id: String,
    },
}

/// A run's own clock: event times with the downtime of every resume cut
/// out (from the last event before a `RunResumed` to the `RunResumed`), so
/// a step that ran before a crash keeps its real length and a run's wall time
/// is the time it was alive. Feed it the run's events in sequence order. The
/// one rule for `show`/`run --json` summaries and analytics.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunClock {
    downtime_ms: u64,
    last_seen_ms: Option<u64>,
}

impl RunClock {
    /// The event's time on the run's clock (epoch ms less downtime so far).
    pub fn time(&mut self, event: &Event) -> u64 {
        if let (EventKind::RunResumed { .. }, Some(last)) = (&event.kind, self.last_seen_ms) {
            self.downtime_ms += event.at_ms.saturating_sub(last);
        }
        self.last_seen_ms = Some(
            self.last_seen_ms
                .map_or(event.at_ms, |l| l.max(event.at_ms)),
        );
        event.at_ms.saturating_sub(self.downtime_ms)
    }

    /// The latest event's time on the run's clock (before a `RunResumed` is
    /// fed: when the run's previous life ended).
    pub fn now(&self) -> Option<u64> {
        self.last_seen_ms
            .map(|l| l.saturating_sub(self.downtime_ms))
    }

    pub fn downtime_ms(&self) -> u64 {
        self.downtime_ms
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
