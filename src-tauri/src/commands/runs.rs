//! Starting, cancelling, resuming and re-running runs; the run history.

use std::path::PathBuf;

use braid_engine::events::Event;
use braid_engine::run::summary::RunSummary;
use braid_model::model::JsonMap;
use braid_runtime::Refusal;
use braid_runtime::rerun::RerunRequest;
use braid_runtime::resume::Interrupted;
use braid_runtime::start::StartRequest;
use braid_store::{AttemptRecord, ContextWriteRecord, RunInfo};
use serde::{Deserialize, Serialize};
use tauri::State;
use tauri::ipc::Channel;

use crate::error::{CommandError, CommandResult, ErrorCode};
use crate::runs::{RunStart, RunUpdate, Runs};
use crate::session::Session;

/// Runs the workflow file at `path` as it is on disk (the editor saves
/// first). Returns at once; progress arrives on `updates`.
#[tauri::command]
#[specta::specta]
pub async fn start_run(
    path: String,
    inputs: serde_json::Value,
    time_scale: f64,
    updates: Channel<RunUpdate>,
    runs: State<'_, Runs>,
    session: State<'_, Session>,
) -> CommandResult<RunStart> {
    let store = runs.store().map_err(store_error)?;
    let inputs: JsonMap = serde_json::from_value(inputs)
        .map_err(|e| CommandError::new(ErrorCode::Refused, format!("inputs: {e}")))?;
    let file = PathBuf::from(&path);
    // The gallery shipped with the app is trusted; anything else needs approval.
    let trust = session.gallery.contains(&file);
    let prepared = off_thread(move || {
        braid_runtime::start::prepare(
            &store,
            StartRequest {
                file: &file,
                inputs,
                time_scale,
                trust,
            },
        )
    })
    .await?;
    launch(&runs, prepared.map(|x| (x, Vec::new())), updates)
}

/// Continues an interrupted or failed run (same id).
#[tauri::command]
#[specta::specta]
pub async fn resume_run(
    run_id: String,
    interrupted: InterruptedChoice,
    updates: Channel<RunUpdate>,
    runs: State<'_, Runs>,
) -> CommandResult<RunStart> {
    let store = runs.store().map_err(store_error)?;
    let prepared = off_thread(move || {
        braid_runtime::resume::prepare(&store, &run_id, interrupted.into(), false)
    })
    .await?;
    launch(&runs, prepared.map(|x| (x, Vec::new())), updates)
}

/// A new run from `step` on, reusing the stored results of everything upstream.
#[tauri::command]
#[specta::specta]
pub async fn rerun_from(
    run_id: String,
    step: String,
    updates: Channel<RunUpdate>,
    runs: State<'_, Runs>,
) -> CommandResult<RunStart> {
    let store = runs.store().map_err(store_error)?;
    let prepared = off_thread(move || {
        let request = RerunRequest {
            run_id: &run_id,
            from: &step,
            file: None,
            time_scale: None,
            trust: false,
        };
        braid_runtime::rerun::prepare(&store, &request)
    })
    .await?;
    launch(&runs, prepared, updates)
}

/// Streams a run that another process is recording (a `braid run`), from
/// event `from` on, ending with its summary; for a run of this app, its own
/// channel already does.
#[tauri::command]
#[specta::specta]
pub async fn follow_run(
    run_id: String,
    from: u64,
    updates: Channel<RunUpdate>,
    runs: State<'_, Runs>,
) -> CommandResult<()> {
    let store = runs.store().map_err(store_error)?;
    crate::follow::follow(store, run_id, from, updates);
    Ok(())
}

/// Stops a run (of this app or of a `braid` process using the same store).
#[tauri::command]
#[specta::specta]
pub async fn cancel_run(run_id: String, runs: State<'_, Runs>) -> CommandResult<()> {
    runs.cancel(&run_id).map_err(store_error)
}

/// Runs, newest first: of one workflow (by `id`), or all.
#[tauri::command]
#[specta::specta]
pub async fn list_runs(
    workflow_id: Option<String>,
    limit: u32,
    runs: State<'_, Runs>,
) -> CommandResult<Vec<RunInfo>> {
    let store = runs.store().map_err(store_error)?;
    blocking(move || {
        store
            .list_runs(workflow_id.as_deref(), None, limit as usize)
            .map_err(|e| Refusal::Usage(format!("store: {e}")))
    })
    .await
}

/// Everything recorded about one run, for replaying it on the canvas.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct LoadedRun {
    pub info: RunInfo,
    /// The workflow file as run.
    pub workflow_source: Option<String>,
    pub events: Vec<Event>,
    /// Identical to `braid show RUN --json`.
    pub summary: RunSummary,
    pub attempts: Vec<AttemptRecord>,
    pub context_writes: Vec<ContextWriteRecord>,
    /// Runs of `workflow` steps started by this one.
    pub sub_runs: Vec<RunInfo>,
}

#[tauri::command]
#[specta::specta]
pub async fn load_run(run_id: String, runs: State<'_, Runs>) -> CommandResult<LoadedRun> {
    let store = runs.store().map_err(store_error)?;
    blocking(move || {
        let e = |e: braid_store::StoreError| Refusal::Usage(format!("store: {e}"));
        let record = store.run_record(&run_id).map_err(e)?;
        Ok(LoadedRun {
            events: store.run_events(&run_id).map_err(e)?,
            summary: store.summary(&run_id).map_err(e)?,
            attempts: store.attempts(&run_id).map_err(e)?,
            context_writes: store.context_writes(&run_id).map_err(e)?,
            sub_runs: store.sub_runs(&run_id).map_err(e)?,
            workflow_source: record.workflow_source,
            info: record.run,
        })
    })
    .await
}

/// What to do with non-idempotent steps that were mid-attempt when a run died.
#[derive(Debug, Clone, Copy, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum InterruptedChoice {
    Ask,
    Retry,
    Skip,
}

impl From<InterruptedChoice> for Interrupted {
    fn from(choice: InterruptedChoice) -> Self {
        match choice {
            InterruptedChoice::Ask => Interrupted::Ask,
            InterruptedChoice::Retry => Interrupted::Retry,
            InterruptedChoice::Skip => Interrupted::Skip,
        }
    }
}

/// Starts a prepared run, or turns the refusals the user can act on
/// (approve, decide) into answers and the rest into errors.
fn launch(
    runs: &Runs,
    prepared: Result<(braid_runtime::Execution, Vec<String>), Refusal>,
    updates: Channel<RunUpdate>,
) -> CommandResult<RunStart> {
    match prepared {
        Ok((execution, reused)) => {
            let run_id = runs.launch(execution, updates).map_err(store_error)?;
            Ok(RunStart::Started { run_id, reused })
        }
        Err(Refusal::Unapproved(files)) => Ok(RunStart::NeedsApproval { files }),
        Err(Refusal::Undecided(steps)) => Ok(RunStart::NeedsDecision { steps }),
        Err(other) => Err(refused(other)),
    }
}

/// Runs blocking work (files, SQLite) off the async runtime's workers.
pub async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| CommandError::new(ErrorCode::Io, format!("task failed: {e}")))
}

/// [`off_thread`] for work whose refusals are plain errors.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Refusal> + Send + 'static,
) -> CommandResult<T> {
    off_thread(work).await?.map_err(refused)
}

pub fn refused(refusal: Refusal) -> CommandError {
    let code = match &refusal {
        Refusal::Invalid { .. } => ErrorCode::Invalid,
        _ => ErrorCode::Refused,
    };
    CommandError::new(code, refusal.to_string())
}

pub fn store_error(message: String) -> CommandError {
    CommandError::new(ErrorCode::Store, message)
}

/// Approval steps waiting for a person: of one run, or of every run in the
/// store (runs of `braid` processes included).
#[tauri::command]
#[specta::specta]
pub async fn pending_decisions(
    run_id: Option<String>,
    runs: State<'_, Runs>,
) -> CommandResult<Vec<braid_store::PendingDecision>> {
    let store = runs.store().map_err(store_error)?;
    blocking(move || {
        store
            .pending_decisions(run_id.as_deref())
            .map_err(|e| Refusal::Usage(format!("store: {e}")))
    })
    .await
}

/// A person's decision on a waiting approval step, recorded exactly as
/// `braid approve` records it (who: the OS user). `step` is `STEP` or
/// `STEP#INDEX` for a map element.
#[tauri::command]
#[specta::specta]
pub async fn decide_approval(
    run_id: String,
    step: String,
    approved: bool,
    score: Option<f64>,
    note: Option<String>,
    runs: State<'_, Runs>,
) -> CommandResult<()> {
    let store = runs.store().map_err(store_error)?;
    blocking(move || {
        let verdict = braid_runtime::decide::Verdict {
            approved,
            score,
            note,
        };
        braid_runtime::decide::decide(&store, &run_id, &step, verdict).map(drop)
    })
    .await
}
