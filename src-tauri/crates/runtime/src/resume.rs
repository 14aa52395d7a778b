//! Resuming an interrupted or failed run under the same id. Steps whose
//! completion was committed keep their results and never run again. A step
//! that was mid-attempt when the run died runs again only if it is
//! `idempotent`; otherwise the caller must say what to do with it
//! ([`Interrupted`]), or the resume is refused with the list of them.

use std::sync::Arc;

use braid_engine::events::RunStatus;
use braid_engine::run::machine::{Prior, PriorResult};
use braid_model::Validation;
use braid_store::{AttemptStatus, Store};

use crate::Refusal;
use crate::execute::Execution;
use crate::gate::{MainFile, gate};
use crate::prior::{last_attempts, loop_state, stored_workflow_dir, succeeded};
use crate::refusal::store_error;

/// What to do with non-idempotent steps that were mid-attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupted {
    /// Refuse ([`Refusal::Undecided`]) if there are any.
    Ask,
    Retry,
    Skip,
}

/// Claims the run and prepares its continuation. `trust`: approve
/// sub-workflow files that changed since (the CLI's `--trust`).
pub fn prepare(
    store: &Store,
    run_id: &str,
    interrupted: Interrupted,
    trust: bool,
) -> Result<Execution, Refusal> {
    let usage = Refusal::Usage;
    let e = store_error;
    let record = store.run_record(run_id).map_err(e)?;
    if !matches!(
        record.run.status,
        RunStatus::Interrupted | RunStatus::Failed | RunStatus::Waiting
    ) {
        return Err(Refusal::NotAllowed(format!(
            "run {run_id} is {}; only interrupted, failed or waiting runs can be resumed",
            record.run.status.as_str()
        )));
    }
    let source = record
        .workflow_source
        .clone()
        .ok_or_else(|| usage(format!("run {run_id} has no stored workflow")))?;
    let valid = match braid_model::load(source.as_bytes()) {
        Validation::Valid(v) => Arc::new(*v),
        Validation::Invalid(_) => {
            return Err(usage(format!(
                "the workflow stored with {run_id} no longer validates"
            )));
        }
    };
    let attempts = store.attempts(run_id).map_err(e)?;
    let mut prior = Prior {
        from_run: run_id.to_string(),
        ..Prior::default()
    };
    let mut undecided = Vec::new();
    for (key, attempt) in last_attempts(&attempts) {
        if let Some(result) = succeeded(attempt) {
            prior.results.insert(key, result);
            continue;
        }
        let was_in_flight = matches!(
            attempt.status,
            AttemptStatus::Interrupted | AttemptStatus::Running
        );
        if !was_in_flight {
            // Failed, cancelled or skipped: resuming means trying again. An
            // approval step that was waiting asks again and finds its
            // request (and any decision made meanwhile) in the store.
            prior.attempts_made.insert(key, attempt.attempt);
            continue;
        }
        let idempotent = valid
            .workflow()
            .steps
            .iter()
            .find(|s| s.id == key.0)
            .is_some_and(|s| s.is_idempotent());
        match (idempotent, interrupted) {
            (true, _) | (false, Interrupted::Retry) => {
                prior.attempts_made.insert(key, attempt.attempt);
            }
            (false, Interrupted::Skip) => {
                prior.results.insert(
                    key,
                    PriorResult::Interrupted {
                        attempt: attempt.attempt,
                    },
                );
            }
            (false, Interrupted::Ask) => undecided.push(match key.1 {
                Some(el) => format!("{}[{el}]", key.0),
                None => key.0.clone(),
            }),
        }
    }
    if !undecided.is_empty() {
        undecided.sort();
        return Err(Refusal::Undecided(undecided));
    }
    if !valid.loops().is_empty() {
        // Inside a loop, only what completed in the current round is reused;
        // the rest of that round runs again, numbering after the stored attempts.
        let events = store.run_events(run_id).map_err(e)?;
        let state = loop_state(&valid, &events);
        prior.results.retain(|key, result| {
            !matches!(result, PriorResult::Succeeded { .. }) || state.current.contains(key)
        });
        for (key, attempt) in last_attempts(&attempts) {
            if !prior.results.contains_key(&key) {
                prior.attempts_made.entry(key).or_insert(attempt.attempt);
            }
        }
        prior.rounds = state.rounds;
    }
    let workflow_dir = stored_workflow_dir(&record)?;
    // The run's own file was approved when it first ran; sub-workflow files
    // are read again and must be approved as they are now.
    let stored_path = record
        .run
        .workflow_path
        .as_ref()
        .map(std::path::PathBuf::from);
    let reviewed = gate(
        store,
        MainFile::Stored {
            path: stored_path.as_deref(),
            workflow: valid.workflow(),
        },
        trust,
    )?;
    store.claim_run(run_id).map_err(e)?;
    Ok(Execution {
        valid,
        workflow_source: source.into_bytes(),
        workflow_dir,
        workflow_path: None,
        run_id: run_id.to_string(),
        inputs: record.run.inputs.clone(),
        time_scale: record.run.time_scale,
        prior,
        resumed: true,
        reviewed: Some(reviewed),
    })
}
