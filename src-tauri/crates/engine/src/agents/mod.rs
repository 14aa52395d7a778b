//! Agents: what runs a step. One module per agent kind behind one trait
//! ([`Agent`]); process handling (process groups, kill, output caps) lives
//! in [`process`], the JSON result protocol in [`result`].
//!
//! An agent gets one [`Attempt`] — the step, the values of its `requires`
//! keys, the map element, a timeout and a cancellation token — and returns
//! an [`AttemptReport`]. It never touches the context or the scheduler: what
//! it returns is judged by the state machine.

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

use crate::events::{AttemptRef, EventBus, EventKind};
use crate::model::{self, JsonMap, Step};
use crate::run::machine::AttemptOutcome;

/// One attempt of one step, as an agent sees it.
pub struct Attempt {
    pub step: Arc<Step>,
    pub at: AttemptRef,
    /// Values of the step's `requires` keys.
    pub inputs: JsonMap,
    /// Map element `(index, item)`.
    pub element: Option<(u32, Value)>,
    pub timeout: Option<Duration>,
    pub cancel: CancellationToken,
    /// Multiplies simulated durations.
    pub time_scale: f64,
    /// Folder of the workflow file: relative paths resolve against it.
    pub workflow_dir: PathBuf,
    /// For live output lines and spawned-process notices.
    pub events: Arc<EventBus>,
}

impl Attempt {
    pub fn emit(&self, kind: EventKind) {
        self.events.emit(kind);
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

/// The agent for a step's `agent` settings, or `None` for kinds this build
/// cannot run (validation already refuses those).
pub fn for_step(agent: &model::Agent) -> Option<Box<dyn Agent>> {
    match agent {
        model::Agent::Sim(sim) => Some(Box::new(sim::SimAgent::new(sim.clone()))),
        model::Agent::Shell(shell) => Some(Box::new(shell::ShellAgent::new(shell.clone()))),
        model::Agent::Http(_) | model::Agent::Llm(_) | model::Agent::Workflow(_) => None,
    }
}
