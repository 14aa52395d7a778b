//! The tokio driver: carries out the state machine's effects with real
//! agents and feeds their results back.
//!
//! One task owns the machine and a `JoinSet` of attempts and retry timers;
//! cancelling an attempt cancels its child token (the agent kills its
//! process group). The caller should `tokio::spawn` [`run`] so the loop runs
//! on a worker thread rather than the `block_on` thread (measured much
//! slower for wide fan-outs). Agents never block a worker thread: processes
//! are awaited, sleeps are timers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::inputs::{InputError, resolve_inputs};
use super::machine::{
    Effect, Input, Machine, MachineOptions, StartAttempt, UnitId, default_concurrency,
};
use super::sub_workflow::WorkflowAgent;
use crate::agents::result::AttemptOutcome;
use crate::agents::{self, Agent, Attempt, AttemptReport, RunContext};
use crate::bus::EventBus;
use crate::events::{AttemptRef, EventKind, RunStatus};
use crate::model::{JsonMap, Step};
use crate::run::machine::Prior;
use crate::secrets::{Masker, RunSecrets, default_source};
pub use crate::services::{Durability, RunServices};
use crate::template::secret_names;
use crate::validate::ValidWorkflow;

pub struct RunRequest {
    pub valid: Arc<ValidWorkflow>,
    pub run_id: String,
    /// Folder relative paths in the workflow resolve against.
    pub workflow_dir: PathBuf,
    /// Inputs as given (checked and completed with defaults here).
    pub inputs: JsonMap,
    pub time_scale: f64,
    /// `limits.concurrency` when the workflow sets none; default: 64.
    pub default_concurrency: Option<usize>,
    /// When set, completions are made durable before downstream work starts.
    pub durability: Option<Arc<dyn Durability>>,
    /// Results to reuse rather than run again (resume, rerun).
    pub prior: Prior,
    /// Continuing an earlier run under the same id: emits `RunResumed`
    /// instead of `RunStarted` (the caller continues the bus's numbering).
    pub resumed: bool,
    /// Secrets, sub-workflow recording, approved sub-workflow files.
    pub services: RunServices,
}

impl RunRequest {
    /// A fresh run with the defaults: concurrency 64, no store, no reuse.
    pub fn new(
        valid: Arc<ValidWorkflow>,
        run_id: String,
        workflow_dir: PathBuf,
        inputs: JsonMap,
    ) -> Self {
        Self {
            valid,
            run_id,
            workflow_dir,
            inputs,
            time_scale: 1.0,
            default_concurrency: None,
            durability: None,
            prior: Prior::default(),
            resumed: false,
            services: RunServices::default(),
        }
    }
}

/// An attempt's report with every secret value masked, before the
/// scheduler (and so the context and the events) sees it.
fn mask_report(masker: &Masker, mut report: AttemptReport) -> AttemptReport {
    if masker.is_empty() {
        return report;
    }
    let mask = |s: String| masker.mask(&s).into_owned();
    report.outcome = match report.outcome {
        AttemptOutcome::Succeeded(result) => AttemptOutcome::Succeeded(masker.mask_serde(result)),
        AttemptOutcome::Failed { error } => AttemptOutcome::Failed { error: mask(error) },
        AttemptOutcome::TimedOut { error } => AttemptOutcome::TimedOut { error: mask(error) },
        AttemptOutcome::Cancelled => AttemptOutcome::Cancelled,
        AttemptOutcome::ServiceFailed {
            error,
            retry_after_ms,
            retryable,
        } => AttemptOutcome::ServiceFailed {
            error: mask(error),
            retry_after_ms,
            retryable,
        },
    };
    report.stdout_tail = mask(report.stdout_tail);
    report.stderr_tail = mask(report.stderr_tail);
    report
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    pub status: RunStatus,
    pub error: Option<String>,
    pub context: JsonMap,
}

enum Completion {
    Attempt {
        unit: UnitId,
        attempt: u32,
        at: AttemptRef,
        report: Box<AttemptReport>,
    },
    Timer {
        unit: UnitId,
    },
}

/// Runs a workflow to the end, emitting every event on `bus`. Returns an
/// error only when the run is refused before it starts (bad inputs).
#[tracing::instrument(name = "run", skip_all, fields(run_id = %request.run_id, workflow_id = %request.valid.workflow().id))]
pub async fn run(
    request: RunRequest,
    bus: Arc<EventBus>,
    cancel: CancellationToken,
) -> Result<RunOutcome, InputError> {
    let inputs = resolve_inputs(request.valid.workflow(), request.inputs)?;
    let default_concurrency = request
        .default_concurrency
        .unwrap_or_else(default_concurrency);
    let concurrency = request
        .valid
        .workflow()
        .limits
        .get("concurrency")
        .map_or(default_concurrency as i64, |&c| c);
    let options = MachineOptions {
        default_concurrency,
        time_scale: request.time_scale,
        ..MachineOptions::default()
    };
    // Secrets first: every value is known to the masker before any event
    // is emitted or anything runs that could echo one.
    let secrets = request
        .services
        .secrets
        .clone()
        .unwrap_or_else(|| RunSecrets::new(default_source()));
    let names: Vec<String> = secret_names(request.valid.workflow()).into_iter().collect();
    if !names.is_empty() {
        let resolver = secrets.clone();
        // A keychain lookup may talk to a daemon: not on an async thread.
        let _ = tokio::task::spawn_blocking(move || {
            resolver.resolve_all(names.iter().map(String::as_str));
        })
        .await;
    }
    bus.set_masker(secrets.masker().clone());
    let context = Arc::new(RunContext {
        run_id: request.run_id.clone(),
        secrets: secrets.clone(),
        services: RunServices {
            secrets: Some(secrets),
            ..request.services.clone()
        },
        time_scale: request.time_scale,
        default_concurrency: request.default_concurrency,
    });
    if request.resumed {
        bus.emit(EventKind::RunResumed {
            run_id: request.run_id.clone(),
        });
    } else {
        bus.emit(EventKind::RunStarted {
            run_id: request.run_id.clone(),
            workflow_id: request.valid.workflow().id.clone(),
            inputs: inputs.clone(),
            time_scale: request.time_scale,
            concurrency: u32::try_from(concurrency).unwrap_or(u32::MAX),
        });
    }
    let steps: Vec<Arc<Step>> = request
        .valid
        .workflow()
        .steps
        .iter()
        .cloned()
        .map(Arc::new)
        .collect();
    // One agent per step, built once: an attempt only borrows it.
    let agents: Vec<Option<Arc<dyn Agent>>> = request
        .valid
        .workflow()
        .steps
        .iter()
        .map(|s| agent_for(&s.agent))
        .collect();
    let mut driver = Driver {
        machine: Machine::new(request.valid.clone(), inputs, options).with_prior(request.prior),
        steps,
        agents,
        bus,
        workflow_dir: request.workflow_dir,
        time_scale: request.time_scale,
        tasks: JoinSet::new(),
        tokens: HashMap::new(),
        run_token: cancel.child_token(),
        durability: request.durability,
        finished: None,
        context,
    };
    let effects = driver.machine.start();
    driver.carry_out(effects, None).await;
    let mut cancel_sent = false;
    while driver.finished.is_none() {
        tokio::select! {
            biased;
            () = cancel.cancelled(), if !cancel_sent => {
                cancel_sent = true;
                let effects = driver.machine.handle(Input::Cancel { reason: "cancelled".into() });
                driver.carry_out(effects, None).await;
            }
            joined = driver.tasks.join_next() => {
                let Some(joined) = joined else { break };
                let completion = joined.expect("attempt tasks do not panic");
                driver.complete(completion).await;
            }
        }
    }
    driver.tasks.abort_all();
    tracing::info!(status = ?driver.finished.as_ref().map(|f| f.0), "run finished");
    let (status, error) = driver
        .finished
        .unwrap_or((RunStatus::Failed, Some("the run stalled".into())));
    Ok(RunOutcome {
        status,
        error,
        context: driver.machine.context().clone(),
    })
}

struct Driver {
    machine: Machine,
    steps: Vec<Arc<Step>>,
    agents: Vec<Option<Arc<dyn Agent>>>,
    bus: Arc<EventBus>,
    workflow_dir: PathBuf,
    time_scale: f64,
    tasks: JoinSet<Completion>,
    tokens: HashMap<UnitId, CancellationToken>,
    /// Parent of every attempt's token.
    run_token: CancellationToken,
    durability: Option<Arc<dyn Durability>>,
    finished: Option<(RunStatus, Option<String>)>,
    context: Arc<RunContext>,
}

impl Driver {
    async fn complete(&mut self, completion: Completion) {
        let finished_step = match &completion {
            Completion::Attempt { unit, .. } => Some(self.machine.unit_step(*unit).0),
            Completion::Timer { .. } => None,
        };
        let input = match completion {
            Completion::Attempt {
                unit,
                attempt,
                at,
                report,
            } => {
                self.tokens.remove(&unit);
                let report = mask_report(self.context.secrets.masker(), *report);
                let ended = EventKind::AttemptEnded {
                    at,
                    exit_code: report.exit_code,
                    stdout_tail: report.stdout_tail,
                    stderr_tail: report.stderr_tail,
                    duration_ms: report.duration.as_millis() as u64,
                };
                (
                    Some(ended),
                    Input::AttemptFinished {
                        unit,
                        attempt,
                        outcome: report.outcome,
                    },
                )
            }
            Completion::Timer { unit } => (None, Input::TimerFired { unit }),
        };
        let (ended, input) = input;
        let mut effects = self.machine.handle(input);
        if let Some(ended) = ended {
            effects.insert(0, Effect::Emit(ended));
        }
        self.carry_out(effects, finished_step).await;
    }

    /// Whether to wait for the store before starting the attempts among
    /// `effects`: when the completed step or a step about to start is not
    /// idempotent. Waiting makes the completion durable (a lost completion of
    /// a non-idempotent step would make resume ask about a step that in fact
    /// finished; side-effecting work must not rest on a result a crash could
    /// erase) and makes the `StepStarted` of a non-idempotent step durable
    /// before its process exists (write-ahead: after a crash, resume knows it
    /// may have run and never re-runs it silently). Between idempotent steps
    /// (every `sim` step) a lost record just means running it again, so the
    /// run does not pay a commit per step for them.
    fn needs_durability(&self, finished_step: Option<usize>, effects: &[Effect]) -> bool {
        let mut starts = effects.iter().filter_map(|e| match e {
            Effect::Start(start) => Some(&self.steps[start.step]),
            _ => None,
        });
        let Some(first) = starts.next() else {
            return false;
        };
        let finished_idempotent = finished_step.is_none_or(|i| self.steps[i].is_idempotent());
        !finished_idempotent || !first.is_idempotent() || starts.any(|s| !s.is_idempotent())
    }

    /// Emits the events among `effects` as one batch, waits for the store
    /// when [`Self::needs_durability`] says so, then carries out the rest.
    /// Attempts start after their events, so an attempt's own events (output
    /// lines) always follow its start.
    async fn carry_out(&mut self, effects: Vec<Effect>, finished_step: Option<usize>) {
        let must_persist = self.needs_durability(finished_step, &effects);
        let (events, effects) = split_events(effects);
        let last_seq = self.bus.emit_all(events);
        if let (true, Some(durability), Some(seq)) = (must_persist, &self.durability, last_seq) {
            durability.durable(seq).await;
        }
        for effect in effects {
            match effect {
                Effect::Emit(_) => unreachable!("events were split off"),
                Effect::Start(start) => self.start(start),
                Effect::Timer { unit, delay_ms } => {
                    self.tasks.spawn(async move {
                        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                        Completion::Timer { unit }
                    });
                }
                Effect::Cancel { unit } => {
                    if let Some(token) = self.tokens.get(&unit) {
                        token.cancel();
                    }
                }
                Effect::Finished { status, error } => self.finished = Some((status, error)),
            }
        }
    }

    fn start(&mut self, start: StartAttempt) {
        let step = self.steps[start.step].clone();
        let token = self.run_token.child_token();
        self.tokens.insert(start.unit, token.clone());
        let at = AttemptRef {
            step: step.id.clone(),
            element: start.element.as_ref().map(|e| e.0),
            attempt: start.attempt,
            round: start.round,
        };
        let attempt = Attempt {
            step: step.clone(),
            at: at.clone(),
            inputs: start.inputs,
            element: start.element,
            rounds: start.rounds,
            timeout: start.timeout_ms.map(Duration::from_millis),
            cancel: token,
            time_scale: self.time_scale,
            workflow_dir: self.workflow_dir.clone(),
            events: self.bus.clone(),
            run: self.context.clone(),
        };
        let (unit, number) = (start.unit, start.attempt);
        let span = tracing::info_span!("attempt", step_id = %at.step, element = ?at.element, attempt = number);
        tracing::debug!(parent: &span, "starting");
        match &self.agents[start.step] {
            Some(agent) => {
                let future = tracing::Instrument::instrument(agent.run(attempt), span);
                self.tasks.spawn(async move {
                    let report = future.await;
                    Completion::Attempt {
                        unit,
                        attempt: number,
                        at,
                        report: Box::new(report),
                    }
                });
            }
            None => {
                // Validation refuses agent kinds this build cannot run; this is a backstop.
                let report = AttemptReport::outcome_only(
                    AttemptOutcome::Failed {
                        error: format!("`{}` agents are not supported", step.agent.kind()),
                    },
                    Duration::ZERO,
                );
                self.tasks.spawn(async move {
                    Completion::Attempt {
                        unit,
                        attempt: number,
                        at,
                        report: Box::new(report),
                    }
                });
            }
        }
    }
}

/// Separates the events to emit from the effects to carry out.
fn split_events(effects: Vec<Effect>) -> (Vec<EventKind>, Vec<Effect>) {
    let mut events = Vec::new();
    let mut rest = Vec::new();
    for effect in effects {
        match effect {
            Effect::Emit(kind) => events.push(kind),
            other => rest.push(other),
        }
    }
    (events, rest)
}

/// The agent that runs a step: a sub-workflow is this driver recursing;
/// every other kind is a leaf agent.
fn agent_for(agent: &crate::model::Agent) -> Option<Arc<dyn Agent>> {
    match agent {
        crate::model::Agent::Workflow(wf) => Some(Arc::new(WorkflowAgent::new(wf.clone()))),
        other => agents::for_step(other).map(Arc::from),
    }
}
