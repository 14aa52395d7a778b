//! Reports on stored runs, trends across a workflow's runs, exporting a
//! report, and re-planning a workflow with a recommendation's edits.

use std::path::PathBuf;

use braid_analytics::{Edit, RunDigest, RunReport, TrendReport, render};
use braid_engine::plan::{History, Plan};
use braid_model::model::Workflow;
use braid_runtime::Refusal;
use braid_runtime::analysis;
use serde::{Deserialize, Serialize};
use tauri::State;

use super::runs::{blocking, store_error};
use crate::error::{CommandError, CommandResult, ErrorCode};
use crate::runs::Runs;
use crate::workflow_io;

/// Runs a trend report covers (as `braid report --workflow` by default).
const TREND_RUNS: usize = 50;

/// Same as `braid report RUN --format json`.
#[tauri::command]
#[specta::specta]
pub async fn analyze_run(run_id: String, runs: State<'_, Runs>) -> CommandResult<RunReport> {
    let store = runs.store().map_err(store_error)?;
    blocking(move || analysis::run_report(&store, &run_id).map_err(Refusal::Usage)).await
}

/// Same as `braid report --workflow ID --format json`.
#[tauri::command]
#[specta::specta]
pub async fn workflow_trends(
    workflow_id: String,
    runs: State<'_, Runs>,
) -> CommandResult<TrendReport> {
    let store = runs.store().map_err(store_error)?;
    blocking(move || {
        analysis::trend_report(&store, &workflow_id, TREND_RUNS).map_err(Refusal::Usage)
    })
    .await
}

/// Per-run digests (duration, status, per-step times), oldest first.
#[tauri::command]
#[specta::specta]
pub async fn workflow_run_digests(
    workflow_id: String,
    runs: State<'_, Runs>,
) -> CommandResult<Vec<RunDigest>> {
    let store = runs.store().map_err(store_error)?;
    blocking(move || {
        store
            .workflow_digests(&workflow_id, TREND_RUNS)
            .map_err(|e| Refusal::Usage(format!("store: {e}")))
    })
    .await
}

#[derive(Debug, Clone, Copy, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    Html,
    Markdown,
}

/// Writes a run's report (as `braid report RUN --format html|md -o PATH`).
#[tauri::command]
#[specta::specta]
pub async fn export_report(
    run_id: String,
    format: ReportFormat,
    path: String,
    runs: State<'_, Runs>,
) -> CommandResult<()> {
    let store = runs.store().map_err(store_error)?;
    let report =
        blocking(move || analysis::run_report(&store, &run_id).map_err(Refusal::Usage)).await?;
    let text = match format {
        ReportFormat::Html => render::html(&report),
        ReportFormat::Markdown => render::markdown(&report),
    };
    let path = PathBuf::from(path);
    std::fs::write(&path, text).map_err(|e| CommandError::io(&path, &e))
}

/// A workflow with edits applied, and its re-planned schedule.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct EditPreview {
    pub workflow: Workflow,
    /// `None` if the edited workflow is invalid.
    pub plan: Option<Plan>,
}

/// Applies a recommendation's edits to a copy of the editor's model and
/// plans it (with history) — nothing is changed until the user applies it.
#[tauri::command]
#[specta::specta]
pub async fn preview_edits(
    workflow: serde_json::Value,
    edits: Vec<Edit>,
    runs: State<'_, Runs>,
) -> CommandResult<EditPreview> {
    let original = workflow_io::model_from_json(&workflow).map_err(|d| {
        CommandError::new(
            ErrorCode::Unparseable,
            d.first().map_or_else(String::new, |d| d.message.clone()),
        )
    })?;
    let edited = braid_analytics::apply_edits(&original, &edits);
    let history = runs.history();
    let model = serde_json::to_value(&edited).expect("workflows serialise");
    let plan = tauri::async_runtime::spawn_blocking(move || {
        history.sync();
        workflow_io::predict(&model, Some(history.as_ref() as &dyn History))
    })
    .await
    .ok()
    .flatten();
    Ok(EditPreview {
        workflow: edited,
        plan,
    })
}
