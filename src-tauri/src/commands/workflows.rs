//! Opening, checking, planning and saving workflow files.

use std::path::{Path, PathBuf};

use braid_engine::plan::{History, Plan};
use braid_model::diagnostic::Diagnostic;
use braid_model::model::{Aggregate, Layout};
use tauri::State;

use crate::error::CommandResult;
use crate::preview::{self, AggregatePreview, ExampleBranch};
use crate::runs::Runs;
use crate::session::Session;
use crate::trust;
use crate::workflow_io::{self, OpenedWorkflow, SavedWorkflow};

/// Reads a workflow file and its layout sidecar, and validates it. Never runs anything.
#[tauri::command]
#[specta::specta]
pub async fn open_workflow(
    path: String,
    session: State<'_, Session>,
) -> CommandResult<OpenedWorkflow> {
    let opened = workflow_io::open(&PathBuf::from(&path));
    match &opened {
        Ok(o) => session.remember(&o.path),
        Err(_) => session.forget(&path),
    }
    opened
}

/// Validates the editor's model (parse errors included) with the engine's validator.
#[tauri::command]
#[specta::specta]
pub async fn validate_workflow(workflow: serde_json::Value) -> Vec<Diagnostic> {
    workflow_io::check(&workflow)
}

/// The predicted schedule of a valid model (`None` while it has errors),
/// using the store's recent step durations where there are some.
#[tauri::command]
#[specta::specta]
pub async fn plan_workflow(
    workflow: serde_json::Value,
    runs: State<'_, Runs>,
) -> Result<Option<Plan>, ()> {
    let history = runs.history();
    Ok(tauri::async_runtime::spawn_blocking(move || {
        history.sync();
        workflow_io::predict(&workflow, Some(history.as_ref() as &dyn History))
    })
    .await
    .ok()
    .flatten())
}

/// Writes the canonical workflow file and its `.layout.json` sidecar.
/// `origin`: the file the document was opened from (`None`: created in the
/// app). Saving a trusted document approves what is written — the user's
/// own edits; an unapproved import stays unapproved however it is saved.
#[tauri::command]
#[specta::specta]
pub async fn save_workflow(
    path: String,
    workflow: serde_json::Value,
    layout: Layout,
    origin: Option<String>,
    session: State<'_, Session>,
    runs: State<'_, Runs>,
) -> CommandResult<SavedWorkflow> {
    let path = PathBuf::from(path);
    let origin = origin.map(PathBuf::from);
    let store = runs.store().ok();
    // Decided before writing: saving over the origin replaces its content.
    let trusted = store
        .as_deref()
        .is_some_and(|store| trust::origin_trusted(store, &session.gallery, origin.as_deref()));
    let saved = workflow_io::save(&path, &workflow, &layout)?;
    if let (true, Some(store)) = (trusted, store) {
        if let Err(e) = trust::approve_saved(&store, Path::new(&saved.path)) {
            tracing::warn!("could not approve the saved file: {e}");
        }
    }
    session.remember(&saved.path);
    Ok(saved)
}

/// What outcome example branch verdicts would give under an aggregation rule.
#[tauri::command]
#[specta::specta]
pub fn preview_aggregate(rule: Aggregate, branches: Vec<ExampleBranch>) -> AggregatePreview {
    preview::preview(&rule, &branches)
}
