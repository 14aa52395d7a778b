//! What to open at launch, recent files, the example gallery.

use tauri::State;

use crate::session::{Example, Session, Startup};

/// The file to open first (command line, else last file), or the gallery.
#[tauri::command]
#[specta::specta]
pub fn startup(session: State<'_, Session>) -> Startup {
    session.startup()
}

/// The example workflows of the gallery.
#[tauri::command]
#[specta::specta]
pub async fn list_examples(session: State<'_, Session>) -> Result<Vec<Example>, ()> {
    Ok(session.examples())
}

/// Recently opened or saved files, most recent first.
#[tauri::command]
#[specta::specta]
pub fn recent_files(session: State<'_, Session>) -> Vec<String> {
    session.recent()
}
