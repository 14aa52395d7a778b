//! What the store hands back: plain, serializable rows.

use braid_engine::events::RunStatus;
use braid_engine::run::aggregate::Outcome;
use braid_engine::run::summary::rfc3339;
use braid_model::model::JsonMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Result, StoreError};

/// One run, as `braid runs --json` lists it. The first five keys are the
/// stable shape of `docs/spec/cli.md`; the rest are extensions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RunInfo {
    pub run_id: String,
    pub workflow_id: String,
    pub status: RunStatus,
    /// RFC 3339, UTC, seconds.
    pub started_at: String,
    /// Finished − started; for a run still going, now − started.
    pub duration_ms: u64,
    pub started_at_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_name: Option<String>,
    /// sha256 of the workflow file as run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_hash: Option<String>,
    /// The workflow file's absolute path when the run started (agents'
    /// relative paths resolve against its folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub inputs: JsonMap,
    pub time_scale: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_run_id: Option<String>,
    pub cancel_requested: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_pid: Option<u32>,
}

/// A run with the workflow file it ran: enough for
/// [`braid_engine::run::summary::summarize`] (with [`crate::Store::run_events`]),
/// for `resume` and for `rerun`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub run: RunInfo,
    /// The workflow file as run, byte for byte (`None` only for runs whose
    /// row was made from events alone, without [`crate::Store::create_run`]).
    pub workflow_source: Option<String>,
}

impl RunRecord {
    /// Parses the stored workflow file.
    pub fn workflow(&self) -> Result<braid_model::Workflow> {
        let source = self
            .workflow_source
            .as_deref()
            .ok_or_else(|| StoreError::NoWorkflow(self.run.run_id.clone()))?;
        braid_model::parse::parse_workflow(source.as_bytes()).map_err(|d| StoreError::BadWorkflow {
            run_id: self.run.run_id.clone(),
            message: d
                .first()
                .map_or_else(|| "invalid".to_string(), |d| d.message.clone()),
        })
    }
}

/// What [`crate::Store::create_run`] records before a run starts.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    /// A ULID, made by the caller.
    pub run_id: &'a str,
    /// The workflow file's `id`.
    pub workflow_id: &'a str,
    /// The workflow file's `name`.
    pub workflow_name: Option<&'a str>,
    /// The file as run, byte for byte (hashed with sha256, deduplicated).
    pub workflow_source: &'a [u8],
    /// Where that file is; stored absolute (resolved against the current
    /// folder) for `resume` and `rerun`.
    pub workflow_path: Option<&'a std::path::Path>,
    pub inputs: &'a JsonMap,
    pub time_scale: f64,
    /// The run this one was started from (sub-workflows).
    pub parent_run_id: Option<&'a str>,
}

/// Status of one attempt. `queued` (waiting for `limits`) and `reused` (a
/// result carried over from another run) exist only here; the rest are the
/// step statuses of the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Blocked,
    Cancelled,
    Interrupted,
    Reused,
    /// An approval step waiting for a person's decision.
    Waiting,
}

impl AttemptStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptStatus::Queued => "queued",
            AttemptStatus::Running => "running",
            AttemptStatus::Succeeded => "succeeded",
            AttemptStatus::Failed => "failed",
            AttemptStatus::TimedOut => "timed_out",
            AttemptStatus::Blocked => "blocked",
            AttemptStatus::Cancelled => "cancelled",
            AttemptStatus::Interrupted => "interrupted",
            AttemptStatus::Reused => "reused",
            AttemptStatus::Waiting => "waiting",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self> {
        Ok(serde_json::from_value(Value::String(s.to_string()))?)
    }
}

/// One attempt of a step (of one map element).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AttemptRecord {
    pub step: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<u32>,
    /// 1-based.
    pub attempt: u32,
    pub status: AttemptStatus,
    /// This attempt ended its step (or map element) — no retry followed.
    pub is_final: bool,
    pub queued_at_ms: Option<u64>,
    pub started_at_ms: Option<u64>,
    pub finished_at_ms: Option<u64>,
    /// As the agent measured it.
    pub duration_ms: Option<u64>,
    pub exit_code: Option<i32>,
    pub score: Option<f64>,
    pub approved: Option<bool>,
    /// The outputs it produced (on success).
    pub outputs: Option<JsonMap>,
    pub error: Option<String>,
    pub stdout_tail: Option<String>,
    pub stderr_tail: Option<String>,
    pub pid: Option<u32>,
    pub pgid: Option<i32>,
    /// The retry backoff that followed this attempt.
    pub retry_delay_ms: Option<u64>,
    /// For a result carried over by `rerun`: the run it came from.
    pub reused_from: Option<String>,
    /// The innermost loop's round (1 outside loops).
    #[serde(default = "one")]
    pub round: u32,
    /// What the agent recommended (a JSON list).
    #[serde(default)]
    pub recommendations: Vec<serde_json::Value>,
    /// Non-fatal errors it reported beside a result.
    #[serde(default)]
    pub errors: Vec<serde_json::Value>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ContextWriteRecord {
    pub seq: u64,
    pub at_ms: u64,
    /// The step or group that wrote.
    pub writer: String,
    pub key: String,
    /// `None`: the key did not exist before.
    pub old: Option<Value>,
    pub new: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GroupAggregationRecord {
    pub seq: u64,
    pub at_ms: u64,
    pub group: String,
    pub outcome: Outcome,
    pub score: Option<f64>,
    pub approved: bool,
}

/// Per step of a run, derived when the step (or a map element of it) ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StepMetrics {
    pub step: String,
    /// A step status (`succeeded`, `failed`, …, `skipped`); for a map
    /// branch the worst of its elements.
    pub status: String,
    /// Attempts run, over all elements.
    pub attempts: u32,
    /// Map elements; 0 for a plain step.
    pub elements: u32,
    /// Time spent queued for `limits`, summed over attempts.
    pub queued_ms: u64,
    /// Attempt durations, summed.
    pub run_ms: u64,
    /// Retry backoff, summed.
    pub retry_ms: u64,
    /// First start to last end.
    pub duration_ms: u64,
    pub started_at_ms: Option<u64>,
    pub finished_at_ms: Option<u64>,
}

/// What crash recovery did when the store was opened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Recovery {
    /// Runs left `running` by a dead process, now `interrupted`.
    pub interrupted_runs: Vec<String>,
    /// Attempts that were running in them, now `interrupted`.
    pub interrupted_attempts: usize,
    /// Process groups of those attempts that were still alive and got SIGKILL.
    pub killed_groups: Vec<i32>,
}

pub(crate) fn parse_run_status(s: &str) -> Result<RunStatus> {
    Ok(serde_json::from_value(Value::String(s.to_string()))?)
}

pub(crate) fn started_at(ms: u64) -> String {
    rfc3339(ms)
}

/// A workflow content a person approved to run (import quarantine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Approval {
    /// sha256 (hex) of the file's bytes.
    pub hash: String,
    pub approved_at_ms: u64,
    /// Where the file was when approved.
    pub path: Option<String>,
}
