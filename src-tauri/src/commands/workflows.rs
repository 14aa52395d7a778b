//! Opening, checking, planning and saving workflow files.

use std::path::PathBuf;

use braid_engine::diagnostic::Diagnostic;
use braid_engine::model::{Aggregate, Layout};
use braid_engine::plan::Plan;
use tauri::State;

use crate::error::CommandResult;
use crate::preview::{self, AggregatePreview, ExampleBranch};
use crate::session::Session;
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

/// The predicted schedule of a valid model (`None` while it has errors).
#[tauri::command]
#[specta::specta]
pub async fn plan_workflow(workflow: serde_json::Value) -> Option<Plan> {
    workflow_io::predict(&workflow)
}

/// Writes the canonical workflow file and its `.layout.json` sidecar.
#[tauri::command]
#[specta::specta]
pub async fn save_workflow(
    path: String,
    workflow: serde_json::Value,
    layout: Layout,
    session: State<'_, Session>,
) -> CommandResult<SavedWorkflow> {
    let saved = workflow_io::save(&PathBuf::from(path), &workflow, &layout)?;
    session.remember(&saved.path);
    Ok(saved)
}

/// What outcome example branch verdicts would give under an aggregation rule.
#[tauri::command]
#[specta::specta]
pub fn preview_aggregate(rule: Aggregate, branches: Vec<ExampleBranch>) -> AggregatePreview {
    preview::preview(&rule, &branches)
}
