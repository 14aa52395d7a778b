//! The `workflow` agent: runs another workflow file as one step.
//!
//! The sub-workflow runs through the same driver, as a run of its own with
//! its own event stream; what the caller's [`SubRuns`] hook does with it
//! (the CLI: a run row in the store whose `parent_run_id` is this run, the
//! store's writer subscribed to its events) is up to the caller — without a
//! hook it still runs, unrecorded. The parent's stream gets one
//! `sub_run_started` event naming the child run.
//!
//! - `path` is literal (validation refuses placeholders) and resolves
//!   against the parent file's folder; when the caller approved a set of
//!   files ([`RunServices::files`]) only those exact bytes run.
//! - `inputs` values take placeholders like an `http` body: a string that
//!   is exactly `{{key}}` passes the value itself.
//! - Outcome → verdict: `succeeded` is a success; `rejected` and
//!   `needs_work` are a success with `approved: false`; `blocked` blocks;
//!   anything else fails the step. The score is that of the sub-workflow's
//!   last group aggregation, if any. The child's final context keys named
//!   in this step's `produces` become its outputs.
//! - The step's timeout bounds the whole sub-run (cancelled when it
//!   passes), cancelling the step cancels the sub-run, and token metrics of
//!   the sub-run are reported as this step's.
//! - Recursion is refused by validation across files; at run time a
//!   nesting depth over [`MAX_DEPTH`] or a file already running further up
//!   fails the step as a backstop.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use serde_json::Value;

use super::driver::{RunRequest, run};
use crate::agents::http::refused;
use crate::agents::result::AgentResult;
use crate::agents::result::AttemptOutcome;
use crate::agents::{Agent, AgentFuture, Attempt, AttemptReport, fill_json};
use crate::bus::EventBus;
use crate::events::{AttemptRef, EventKind, RunStatus};
use crate::model::{self, JsonMap};
use crate::services::{RunServices, SubRunAttached, SubRunInfo};
use crate::validate::references::{MAX_DEPTH, resolve_path};
use crate::validate::{ValidWorkflow, Validation};

pub struct WorkflowAgent {
    config: model::WorkflowAgent,
}

impl WorkflowAgent {
    pub fn new(config: model::WorkflowAgent) -> Self {
        Self { config }
    }
}

/// Reads (or takes from the approved set) and validates a sub-workflow.
fn load_child(
    services: &RunServices,
    path: &Path,
) -> Result<(Arc<[u8]>, Arc<ValidWorkflow>), String> {
    let shown = path.display();
    let bytes: Arc<[u8]> = match &services.files {
        Some(files) => files.get(path).cloned().ok_or_else(|| {
            format!("sub-workflow {shown} was not among the files reviewed for this run; refused")
        })?,
        None => std::fs::read(path)
            .map_err(|e| format!("cannot read sub-workflow {shown}: {e}"))?
            .into(),
    };
    match crate::validate::load(&bytes) {
        Validation::Valid(valid) => Ok((bytes, Arc::new(*valid))),
        Validation::Invalid(diagnostics) => Err(format!(
            "sub-workflow {shown} is invalid{}",
            diagnostics
                .first()
                .map(|d| format!(": {} at {}", d.message, d.path))
                .unwrap_or_default()
        )),
    }
}

/// A default id for an unrecorded sub-run: parent, step, element, attempt.
fn child_run_id(parent: &str, at: &AttemptRef) -> String {
    match at.element {
        Some(e) => format!("{parent}.{}[{e}].{}", at.step, at.attempt),
        None => format!("{parent}.{}.{}", at.step, at.attempt),
    }
}

/// What the child's events tell the parent step.
#[derive(Default)]
struct Watched {
    score: Option<f64>,
    metrics: IndexMap<String, u64>,
}

impl Agent for WorkflowAgent {
    fn run(&self, attempt: Attempt) -> AgentFuture {
        let config = self.config.clone();
        Box::pin(async move {
            let started = Instant::now();
            let context = attempt.run.clone();
            let services = &context.services;
            let path = resolve_path(&attempt.workflow_dir, &config.path);
            if services.depth >= MAX_DEPTH {
                return refused(
                    format!("sub-workflows nest deeper than {MAX_DEPTH} levels; refused"),
                    started,
                );
            }
            if services.stack.contains(&path) {
                return refused(
                    format!(
                        "{} is already running further up (recursion); refused",
                        path.display()
                    ),
                    started,
                );
            }
            let (source, valid) = match load_child(services, &path) {
                Ok(loaded) => loaded,
                Err(error) => return refused(error, started),
            };
            let lookup = |name: &str| attempt.value(name);
            let inputs: JsonMap = config
                .inputs
                .iter()
                .map(|(k, v)| (k.clone(), fill_json(v, &lookup)))
                .collect();

            let bus = EventBus::new();
            let mut watch = bus.subscribe();
            let info = SubRunInfo {
                parent_run_id: context.run_id.clone(),
                step: attempt.at.clone(),
                valid: valid.clone(),
                source: source.clone(),
                path: path.clone(),
                inputs: inputs.clone(),
                time_scale: context.time_scale,
            };
            let attached = match &services.sub_runs {
                Some(hook) => {
                    let (hook, info, bus) = (hook.clone(), info.clone(), bus.clone());
                    match tokio::task::spawn_blocking(move || hook.attach(&info, &bus)).await {
                        Ok(Ok(attached)) => attached,
                        Ok(Err(error)) => return refused(error, started),
                        Err(e) => {
                            return refused(format!("recording the sub-run failed: {e}"), started);
                        }
                    }
                }
                None => SubRunAttached {
                    run_id: child_run_id(&context.run_id, &attempt.at),
                    durability: None,
                },
            };
            attempt.emit(EventKind::SubRunStarted {
                at: attempt.at.clone(),
                run_id: attached.run_id.clone(),
                workflow_id: valid.workflow().id.clone(),
            });
            let mut stack = services.stack.clone();
            stack.push(path.clone());
            let request = RunRequest {
                time_scale: context.time_scale,
                default_concurrency: context.default_concurrency,
                durability: attached.durability,
                services: RunServices {
                    secrets: Some(context.secrets.clone()),
                    depth: services.depth + 1,
                    stack,
                    ..services.clone()
                },
                ..RunRequest::new(
                    valid.clone(),
                    attached.run_id.clone(),
                    path.parent()
                        .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
                    inputs,
                )
            };
            let token = attempt.cancel.child_token();
            // Boxed: the driver runs this agent, and this agent runs a driver.
            let mut child = Box::pin(run(request, bus.clone(), token.clone()));
            let mut timed_out = false;
            let finished = match attempt.timeout {
                Some(limit) => {
                    tokio::select! {
                        out = &mut child => out,
                        () = tokio::time::sleep(limit) => {
                            timed_out = true;
                            token.cancel();
                            child.await
                        }
                    }
                }
                None => child.await,
            };
            drop(bus);
            let mut watched = Watched::default();
            while let Ok(batch) = watch.try_recv() {
                for event in batch.iter() {
                    match &event.kind {
                        EventKind::GroupAggregated { score, .. } => watched.score = *score,
                        EventKind::StepMetrics { metrics, .. } => {
                            for (k, v) in metrics {
                                *watched.metrics.entry(k.clone()).or_default() += v;
                            }
                        }
                        _ => {}
                    }
                }
            }
            if !watched.metrics.is_empty() {
                attempt.emit(EventKind::StepMetrics {
                    at: attempt.at.clone(),
                    metrics: watched.metrics.clone(),
                });
            }
            let run_id = attached.run_id;
            let outcome = match finished {
                Err(e) => AttemptOutcome::ServiceFailed {
                    error: format!("sub-workflow run {run_id} refused: {e}"),
                    retry_after_ms: None,
                    retryable: false,
                },
                Ok(_) if timed_out => AttemptOutcome::TimedOut {
                    error: format!(
                        "sub-workflow run {run_id} did not finish within {:.1}s; it was cancelled",
                        attempt.timeout.unwrap_or(Duration::ZERO).as_secs_f64()
                    ),
                },
                Ok(out) => {
                    let outputs: JsonMap = attempt
                        .step
                        .produces
                        .iter()
                        .filter_map(|k| out.context.get(k).map(|v| (k.clone(), v.clone())))
                        .collect();
                    let result = |approved: Option<bool>| AgentResult {
                        outputs: outputs.clone(),
                        score: watched.score,
                        approved,
                        ..AgentResult::default()
                    };
                    let why = out
                        .error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default();
                    match out.status {
                        RunStatus::Succeeded => AttemptOutcome::Succeeded(result(None)),
                        RunStatus::Rejected | RunStatus::NeedsWork => {
                            AttemptOutcome::Succeeded(result(Some(false)))
                        }
                        RunStatus::Blocked => AttemptOutcome::Succeeded(AgentResult {
                            blocked: true,
                            errors: vec![Value::String(format!(
                                "sub-workflow run {run_id} was blocked{why}"
                            ))],
                            ..result(None)
                        }),
                        RunStatus::Cancelled if attempt.cancel.is_cancelled() => {
                            AttemptOutcome::Cancelled
                        }
                        other => AttemptOutcome::ServiceFailed {
                            error: format!(
                                "sub-workflow run {run_id} ended {}{why}",
                                other.as_str()
                            ),
                            retry_after_ms: None,
                            retryable: true,
                        },
                    }
                }
            };
            AttemptReport {
                stdout_tail: format!("sub-workflow {} ran as {run_id}", valid.workflow().id),
                ..AttemptReport::outcome_only(outcome, started.elapsed())
            }
        })
    }
}
