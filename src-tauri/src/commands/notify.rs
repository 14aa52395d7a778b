//! A desktop notification when a long run ends while the window is not focused.

use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;

/// Shows a notification; a desktop without a notification service is not
/// an error worth showing (the run's result is on the canvas anyway).
/// Off the main thread: talking to the notification daemon can block.
#[tauri::command]
#[specta::specta]
pub async fn notify_run_ended(title: String, body: String, app: AppHandle) -> Result<(), ()> {
    tauri::async_runtime::spawn_blocking(move || {
        if let Err(e) = app.notification().builder().title(title).body(body).show() {
            tracing::info!("no desktop notification: {e}");
        }
    });
    Ok(())
}
