//! Agents: what runs a step. One module per agent kind behind one trait
//! ([`Agent`]); process handling (process groups, kill, output caps) lives
//! in [`process`], the JSON result protocol in [`result`].
//!
//! An agent gets one [`Attempt`] — the step, the values of its `requires`
//! keys, the map element, a timeout and a cancellation token — and returns
//! an [`AttemptReport`]. It never touches the context or the scheduler: what
//! it returns is judged by the state machine.

pub mod approval;
pub mod http;
pub mod llm;
pub mod net;
pub mod process;
pub mod result;
pub mod shell;
pub mod sim;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::bus::EventBus;
use crate::events::{AttemptRef, EventKind};
use crate::model::{self, JsonMap, Step};
use crate::secrets::RunSecrets;
use crate::services::RunServices;
use crate::template::{MAP_INDEX, MAP_ITEM};
use result::AttemptOutcome;

/// One attempt of one step, as an agent sees it.
pub struct Attempt {
    pub step: Arc<Step>,
    pub at: AttemptRef,
    /// Values of the step's `requires` keys.
    pub inputs: JsonMap,
    /// Map element `(index, item)`.
    pub element: Option<(u32, Value)>,
    /// The rounds of the loops around the step, outermost first ("1" outside loops).
    pub rounds: String,
    pub timeout: Option<Duration>,
    pub cancel: CancellationToken,
    /// Multiplies simulated durations.
    pub time_scale: f64,
    /// Folder of the workflow file: relative paths resolve against it.
    pub workflow_dir: PathBuf,
    /// For live output lines and spawned-process notices.
    pub events: Arc<EventBus>,
    /// What the run provides its agents: secrets, sub-workflow support.
    pub run: Arc<RunContext>,
}

impl Attempt {
    pub fn emit(&self, kind: EventKind) {
        self.events.emit(kind);
    }

    /// The value a placeholder names: a `requires` key, or `item`/`index`
    /// in a map branch. (Secrets are looked up separately, only where they
    /// are allowed.)
    pub fn value(&self, name: &str) -> Option<Value> {
        lookup_value(&self.inputs, self.element.as_ref(), name)
    }

    /// [`Attempt::value`] as text: strings as they are, other JSON serialised.
    pub fn text(&self, name: &str) -> Option<String> {
        self.value(name).map(|v| shell::value_text(&v))
    }
}

/// The value of a placeholder name among a step's inputs and map element.
pub fn lookup_value(inputs: &JsonMap, element: Option<&(u32, Value)>, name: &str) -> Option<Value> {
    match (name, element) {
        (MAP_ITEM, Some((_, item))) => Some(item.clone()),
        (MAP_INDEX, Some((index, _))) => Some(Value::from(*index)),
        _ => inputs.get(name).cloned(),
    }
}

/// Replaces placeholders inside a JSON value: a string that is exactly one
/// placeholder becomes the value itself (a number stays a number), other
/// strings get the values' text spliced in. Keys are left alone.
pub fn fill_json(template: &Value, lookup: &impl Fn(&str) -> Option<Value>) -> Value {
    match template {
        Value::String(text) => {
            let found = crate::template::placeholders(text);
            if let [only] = found.as_slice() {
                if only.range == (0..text.len()) {
                    if let Some(value) = lookup(only.name) {
                        return value;
                    }
                }
            }
            Value::String(crate::template::substitute(text, |name| {
                lookup(name).map(|v| shell::value_text(&v))
            }))
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| fill_json(v, lookup)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_json(v, lookup)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Per run: what every attempt of it may use beyond its own inputs.
pub struct RunContext {
    pub run_id: String,
    /// Resolved secrets and the run's masker (shared with sub-runs).
    pub secrets: Arc<RunSecrets>,
    /// Sub-workflow support, passed on to sub-runs.
    pub services: RunServices,
    pub time_scale: f64,
    pub default_concurrency: Option<usize>,
}

impl RunContext {
    /// A context for an attempt run outside a driver (agent tests): no
    /// secrets, no sub-run recording.
    pub fn detached(run_id: &str) -> Arc<Self> {
        Arc::new(Self {
            run_id: run_id.to_string(),
            secrets: RunSecrets::new(Arc::new(crate::secrets::StaticSecrets::default())),
            services: RunServices::default(),
            time_scale: 1.0,
            default_concurrency: None,
        })
    }
}

/// What an attempt left behind.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptReport {
    pub outcome: AttemptOutcome,
    pub exit_code: Option<i32>,
    pub stdout_tail: String,
    pub stderr_tail: String,
    pub duration: Duration,
}

impl AttemptReport {
    pub fn outcome_only(outcome: AttemptOutcome, duration: Duration) -> Self {
        Self {
            outcome,
            exit_code: None,
            stdout_tail: String::new(),
            stderr_tail: String::new(),
            duration,
        }
    }
}

pub type AgentFuture = Pin<Box<dyn Future<Output = AttemptReport> + Send>>;

/// An agent kind. Implementations are cheap, stateless values.
pub trait Agent: Send + Sync {
    fn run(&self, attempt: Attempt) -> AgentFuture;
}

/// The leaf agent for a step's `agent` settings; `None` for `workflow`,
/// which is the driver running a sub-workflow (`run::sub_workflow`).
pub fn for_step(agent: &model::Agent) -> Option<Box<dyn Agent>> {
    match agent {
        model::Agent::Sim(sim) => Some(Box::new(sim::SimAgent::new(sim.clone()))),
        model::Agent::Shell(shell) => Some(Box::new(shell::ShellAgent::new(shell.clone()))),
        model::Agent::Http(http) => Some(Box::new(http::HttpAgent::new(http.clone()))),
        model::Agent::Llm(llm) => Some(Box::new(llm::LlmAgent::new(llm.clone()))),
        model::Agent::Workflow(_) => None,
        model::Agent::Approval(approval) => {
            Some(Box::new(approval::ApprovalAgent::new(approval.clone())))
        }
    }
}
