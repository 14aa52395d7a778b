//! Tauri's build step, with the app's own commands declared in the app
//! manifest so each needs an explicit permission in `capabilities/`.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "startup",
        "list_examples",
        "recent_files",
        "open_workflow",
        "validate_workflow",
        "plan_workflow",
        "save_workflow",
        "preview_aggregate",
        "start_run",
        "resume_run",
        "rerun_from",
        "cancel_run",
        "follow_run",
        "list_runs",
        "load_run",
        "pending_decisions",
        "decide_approval",
        "review_workflow",
        "approve_workflow",
        "list_secrets",
        "workflow_secrets",
        "secret_name_problem",
        "set_secret",
        "delete_secret",
        "analyze_run",
        "workflow_trends",
        "workflow_run_digests",
        "export_report",
        "preview_edits",
        "notify_run_ended",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri build step");
}
