//! braid-desktop: the Tauri shell around Braid's visual workflow editor.
//!
//! The shell is deliberately thin. The webview (ui/) owns the editing; this
//! process owns the files: it reads a workflow through braid-engine's strict
//! parser, validates every edit with the engine's validator, and writes the
//! canonical text plus the `.layout.json` sidecar. The commands' TypeScript
//! bindings are generated from [`specta_builder`] into `ui/src/bindings.ts`
//! (a test fails when the committed file is stale).
//!
//! Runs execute in this process on braid-runtime (the CLI's path), recorded
//! in the same SQLite store; each run's events stream to the webview over a
//! Tauri Channel (`runs`).
//!
//! Launch: `braid-desktop [FILE]` opens FILE; without one, the last file
//! worked on, else the example gallery. `--help` and `--version` print and
//! exit without opening a window.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod error;
mod follow;
mod history;
mod preview;
mod runs;
mod session;
mod trust;
mod workflow_io;

#[cfg(test)]
mod bindings_test;

use tauri::Manager;
use tauri_specta::{Builder, collect_commands};

/// The one list of commands: used by `main` and by the bindings export.
pub fn specta_builder() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new()
        .commands(collect_commands![
            commands::session::startup,
            commands::session::list_examples,
            commands::session::recent_files,
            commands::workflows::open_workflow,
            commands::workflows::validate_workflow,
            commands::workflows::plan_workflow,
            commands::workflows::save_workflow,
            commands::workflows::preview_aggregate,
            commands::runs::start_run,
            commands::runs::resume_run,
            commands::runs::rerun_from,
            commands::runs::cancel_run,
            commands::runs::follow_run,
            commands::runs::list_runs,
            commands::runs::load_run,
            commands::runs::pending_decisions,
            commands::runs::decide_approval,
            commands::trust::review_workflow,
            commands::trust::approve_workflow,
            commands::trust::list_secrets,
            commands::trust::workflow_secrets,
            commands::trust::secret_name_problem,
            commands::trust::set_secret,
            commands::trust::delete_secret,
            commands::analytics::analyze_run,
            commands::analytics::workflow_trends,
            commands::analytics::workflow_run_digests,
            commands::analytics::export_report,
            commands::analytics::preview_edits,
            commands::notify::notify_run_ended,
        ])
        .dangerously_cast_bigints_to_number()
}

/// WebKitGTK's DMA-BUF renderer needs a GPU render node; without one (a VM,
/// Xvfb in CI) the window stays blank. Fall back to shared-memory rendering
/// there, unless the user chose explicitly.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn webkit_workarounds() {
    let var = "WEBKIT_DISABLE_DMABUF_RENDERER";
    if std::env::var_os(var).is_none() && !std::path::Path::new("/dev/dri").exists() {
        // SAFETY: the first thing `main` does, before any other thread exists.
        unsafe { std::env::set_var(var, "1") };
    }
}

fn main() {
    if let Some(answer) = session::flag_answer(std::env::args_os()) {
        println!("{answer}");
        return;
    }
    #[cfg(target_os = "linux")]
    webkit_workarounds();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BRAID_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let builder = specta_builder();
    let launch_file = session::launch_file_from_args(std::env::args_os());
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            let config_dir = match std::env::var_os("BRAID_CONFIG_DIR") {
                Some(dir) => dir.into(),
                None => app.path().app_config_dir()?,
            };
            // The same store as the CLI ($BRAID_DB, else the platform default),
            // so runs of either show up in both. Opening it recovers runs
            // whose process died (marked interrupted, leftover processes killed).
            let db = braid_store::resolve_path(None);
            let store = braid_store::Store::open(&db)
                .map(std::sync::Arc::new)
                .map_err(|e| format!("cannot open the run store at {}: {e}", db.display()));
            app.manage(runs::Runs::new(store));
            app.manage(session::Session::new(
                config_dir,
                session::find_examples_dir(),
                launch_file,
            ));
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("error while building the Braid desktop app")
        .run(|app, event| {
            // Quitting mid-run: stop the runs like a Cancel (their process
            // groups are killed and the store records them as cancelled)
            // rather than leaving children behind for the next launch's
            // recovery to find.
            if let tauri::RunEvent::Exit = event {
                app.state::<runs::Runs>().shutdown(SHUTDOWN_GRACE);
            }
        });
}

/// How long quitting waits for cancelled runs to record their end.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);
