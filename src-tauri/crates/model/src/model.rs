//! Serde types of the workflow file format (`braid/1`, see
//! `docs/spec/workflow-format.md`). Data only: no behaviour beyond
//! accessors that apply the format's documented defaults.
//!
//! Every struct denies unknown fields so typos never pass silently. Fields
//! that have a documented default are `Option`s: the file keeps what its
//! author wrote (an explicit `"required": true` survives a load→save), and
//! the accessors (`Step::is_required`, …) apply the default.
//!
//! Field order here *is* the canonical key order the writer emits.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The only format version this build reads and writes.
pub const FORMAT_V1: &str = "braid/1";

/// JSON object with preserved key order (`serde_json`'s `preserve_order`).
pub type JsonMap = serde_json::Map<String, Value>;

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    pub format: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub inputs: IndexMap<String, InputSpec>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub context: JsonMap,
    /// Resource name → capacity. Signed so a negative or zero capacity is a
    /// `bad_limit` diagnostic that names the path, not a parse error.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub limits: IndexMap<String, i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<Defaults>,
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub agent: Agent,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// Keys used when present; nothing has to guarantee them (revision 2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub produces: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub resources: IndexMap<String, i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Trigger>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent: Option<bool>,
}

impl Workflow {
    /// Step id → index in `steps`.
    pub fn step_index(&self) -> std::collections::HashMap<&str, usize> {
        index_by_id(self.steps.iter().map(|s| s.id.as_str()))
    }
    /// Group id → index in `groups`.
    pub fn group_index(&self) -> std::collections::HashMap<&str, usize> {
        index_by_id(self.groups.iter().map(|g| g.id.as_str()))
    }
}

fn index_by_id<'a>(
    ids: impl Iterator<Item = &'a str>,
) -> std::collections::HashMap<&'a str, usize> {
    ids.enumerate().map(|(i, id)| (id, i)).collect()
}

impl Step {
    /// `required` defaults to true.
    pub fn is_required(&self) -> bool {
        self.required.unwrap_or(true)
    }
    /// Branch weight for `weighted` aggregation; defaults to 1.
    pub fn weight(&self) -> f64 {
        self.weight.unwrap_or(1.0)
    }
    pub fn trigger(&self) -> Trigger {
        self.trigger.unwrap_or_default()
    }
    /// `idempotent` defaults to false, except for `sim` agents, which have no side effects.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
            .unwrap_or(matches!(self.agent, Agent::Sim(_)))
    }
    /// The step's own timeout, else the workflow default (never for an
    /// approval step: its `timeout_s` is the decision's deadline, and a
    /// default meant for programs must not cut a person short).
    pub fn effective_timeout_s(&self, defaults: Option<&Defaults>) -> Option<f64> {
        if self.is_approval() {
            return self.timeout_s;
        }
        self.timeout_s
            .or_else(|| defaults.and_then(|d| d.timeout_s))
    }
    /// The step's own retry policy, else the workflow default, else no retry
    /// (approval steps only their own).
    pub fn effective_retry(&self, defaults: Option<&Defaults>) -> Retry {
        if self.is_approval() {
            return self.retry.clone().unwrap_or_default();
        }
        self.retry
            .clone()
            .or_else(|| defaults.and_then(|d| d.retry.clone()))
            .unwrap_or_default()
    }
    pub fn is_approval(&self) -> bool {
        matches!(self.agent, Agent::Approval(_))
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Runs when every incoming edge is taken; any edge not taken skips it.
    #[default]
    All,
    /// Runs once all upstream nodes finished and at least one incoming edge was taken.
    Any,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct Retry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_backoff_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<bool>,
}

impl Retry {
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts.unwrap_or(1)
    }
    /// Delay before attempt `next_attempt` (2 = the first retry), without
    /// jitter: `backoff_ms × factor^(attempt-1)` capped by `max_backoff_ms`,
    /// where `attempt` is the attempt that just failed.
    pub fn base_delay_ms(&self, failed_attempt: u32) -> u64 {
        let backoff = self.backoff_ms.unwrap_or(0) as f64;
        let factor = self.factor.unwrap_or(2.0);
        let raw = backoff * factor.powi(failed_attempt.saturating_sub(1).min(64) as i32);
        let capped = match self.max_backoff_ms {
            Some(cap) => raw.min(cap as f64),
            None => raw,
        };
        if capped.is_finite() {
            capped.max(0.0) as u64
        } else {
            u64::MAX
        }
    }
}

/// What runs a step. Internally tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Agent {
    Sim(SimAgent),
    Shell(ShellAgent),
    Http(HttpAgent),
    Llm(LlmAgent),
    Workflow(WorkflowAgent),
    Approval(ApprovalAgent),
}

impl Agent {
    pub fn kind(&self) -> &'static str {
        match self {
            Agent::Sim(_) => "sim",
            Agent::Shell(_) => "shell",
            Agent::Http(_) => "http",
            Agent::Llm(_) => "llm",
            Agent::Workflow(_) => "workflow",
            Agent::Approval(_) => "approval",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct SimAgent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub outputs: JsonMap,
    /// Extension (revision 2): what the simulated reviewer recommends, as a
    /// real agent's result would (`<step>.recommendations`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommendations: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct ShellAgent {
    /// argv, run directly (never through a shell); `{{key}}` placeholders per element.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Inline script run by `sh -c`; may not contain placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub env: IndexMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct HttpAgent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    pub url: String,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct LlmAgent {
    pub base_url: String,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct WorkflowAgent {
    pub path: String,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub inputs: IndexMap<String, Value>,
}

/// A person decides (revision 2): the step waits for `braid approve` or
/// the app's Approve / Reject.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct ApprovalAgent {
    /// What the person is asked; `{{key}}` placeholders read the context.
    pub prompt: String,
    /// Context keys shown next to the prompt (each in `requires` or `reads`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub show: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub aggregate: Aggregate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<i64>,
    /// Context key holding a list: makes this group a *map* over its elements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_each: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct Aggregate {
    pub strategy: Strategy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve_at: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs_work_at: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<i64>,
}

impl Aggregate {
    /// Default approval threshold for every strategy.
    pub const DEFAULT_APPROVE_AT: f64 = 80.0;
    pub fn approve_at(&self) -> f64 {
        self.approve_at.unwrap_or(Self::DEFAULT_APPROVE_AT)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    All,
    Unanimous,
    Majority,
    Quorum,
    Weighted,
    Threshold,
    First,
}

impl Strategy {
    pub const ALL: [Strategy; 7] = [
        Strategy::All,
        Strategy::Unanimous,
        Strategy::Majority,
        Strategy::Quorum,
        Strategy::Weighted,
        Strategy::Threshold,
        Strategy::First,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::All => "all",
            Strategy::Unanimous => "unanimous",
            Strategy::Majority => "majority",
            Strategy::Quorum => "quorum",
            Strategy::Weighted => "weighted",
            Strategy::Threshold => "threshold",
            Strategy::First => "first",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct Edge {
    pub from: String,
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
    /// Makes this a *loop edge* (revision 2): taken while `when` holds and
    /// the body has run fewer than `max_rounds` rounds.
    #[serde(default, rename = "loop", skip_serializing_if = "Option::is_none")]
    pub loop_: Option<LoopSpec>,
}

impl Edge {
    pub fn is_loop(&self) -> bool {
        self.loop_.is_some()
    }
}

/// A loop edge's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct LoopSpec {
    /// 2–100. Signed so an out-of-range value is a `bad_loop` diagnostic
    /// naming the path, not a parse error.
    pub max_rounds: i64,
}

/// Condition on an edge. Steps use `succeeded`/`failed`/`done`; groups use
/// `approved`/`needs_work`/`rejected`/`failed`/`done`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum When {
    Succeeded,
    Failed,
    Done,
    Approved,
    NeedsWork,
    Rejected,
}

impl When {
    pub fn as_str(self) -> &'static str {
        match self {
            When::Succeeded => "succeeded",
            When::Failed => "failed",
            When::Done => "done",
            When::Approved => "approved",
            When::NeedsWork => "needs_work",
            When::Rejected => "rejected",
        }
    }
}

/// The canvas layout sidecar `NAME.layout.json`: positions never go in the workflow file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct Layout {
    #[serde(default)]
    pub nodes: IndexMap<String, NodeLayout>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct NodeLayout {
    pub x: f64,
    pub y: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<f64>,
}

// --- vocabulary shared by validation and the agents ---------------------------

/// The methods the agent sends.
pub const HTTP_METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// The method to send: as written (upper-cased), else POST with a body and
/// GET without.
pub fn method_of(config: &HttpAgent) -> String {
    match &config.method {
        Some(m) => m.trim().to_ascii_uppercase(),
        None if config.body.is_some() => "POST".into(),
        None => "GET".into(),
    }
}

/// A group's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Approved,
    NeedsWork,
    Rejected,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::NeedsWork => "needs_work",
            Outcome::Rejected => "rejected",
            Outcome::Failed => "failed",
        }
    }
}
