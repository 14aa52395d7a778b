//! `braid resume RUN_ID [--retry-interrupted | --skip-interrupted] [--json]`
//!
//! Continues an interrupted or failed run under the same id. Steps whose
//! completion was committed keep their results and never run again. A step
//! that was mid-attempt when the run died runs again only if it is
//! `idempotent`; otherwise the user must say what to do with it.

use std::path::Path;
use std::sync::Arc;

use braid_engine::Validation;
use braid_engine::events::RunStatus;
use braid_engine::run::machine::{Prior, PriorResult};
use braid_store::AttemptStatus;

use super::prior::{last_attempts, stored_workflow_dir, succeeded};
use super::report_run;
use crate::runner::{Execution, execute};
use crate::trust_gate::{MainFile, gate};
use crate::{exit, output, store_access};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Interrupted {
    Refuse,
    Retry,
    Skip,
}

pub fn run(
    run_id: &str,
    interrupted: Interrupted,
    json: bool,
    db: Option<&Path>,
    trust: bool,
) -> u8 {
    match prepare(run_id, interrupted, db, trust) {
        Ok((store, execution)) => {
            let workflow = execution.valid.workflow().clone();
            report_run(&workflow, execute(store, execution), json, None)
        }
        Err((code, message)) => {
            output::error_line(&message);
            code
        }
    }
}

fn prepare(
    run_id: &str,
    interrupted: Interrupted,
    db: Option<&Path>,
    trust: bool,
) -> Result<(Arc<braid_store::Store>, Execution), (u8, String)> {
    let usage = |m: String| (exit::USAGE, m);
    let store = store_access::open(db).map_err(usage)?;
    let e = |e: braid_store::StoreError| (exit::USAGE, format!("store: {e}"));
    let record = store.run_record(run_id).map_err(e)?;
    if !matches!(
        record.run.status,
        RunStatus::Interrupted | RunStatus::Failed
    ) {
        return Err((
            exit::FAILURE,
            format!(
                "run {run_id} is {}; only interrupted or failed runs can be resumed",
                record.run.status.as_str()
            ),
        ));
    }
    let source = record
        .workflow_source
        .clone()
        .ok_or_else(|| usage(format!("run {run_id} has no stored workflow")))?;
    let valid = match braid_engine::load(source.as_bytes()) {
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
            // Failed, cancelled or skipped: resuming means trying again.
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
            (false, Interrupted::Refuse) => undecided.push(match key.1 {
                Some(el) => format!("{}[{el}]", key.0),
                None => key.0.clone(),
            }),
        }
    }
    if !undecided.is_empty() {
        undecided.sort();
        return Err((
            exit::USAGE,
            format!(
                "run {run_id} was interrupted while non-idempotent step{} {} {} running; it may have had effects. \
                 Resume with --retry-interrupted to run {} again, or --skip-interrupted to skip {} (and what depends on {})",
                if undecided.len() == 1 { "" } else { "s" },
                undecided.join(", "),
                if undecided.len() == 1 { "was" } else { "were" },
                if undecided.len() == 1 { "it" } else { "them" },
                if undecided.len() == 1 { "it" } else { "them" },
                if undecided.len() == 1 { "it" } else { "them" },
            ),
        ));
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
        &store,
        MainFile::Stored {
            path: stored_path.as_deref(),
            workflow: valid.workflow(),
        },
        trust,
    )?;
    store.claim_run(run_id).map_err(e)?;
    let execution = Execution {
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
    };
    Ok((store, execution))
}
