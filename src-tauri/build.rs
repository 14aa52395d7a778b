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
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri build step");
}
