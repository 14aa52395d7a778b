//! The import review (what an unapproved workflow would run, and approving
//! it) and the secrets screen (keychain entries by name; values go in, never
//! come back out).

use std::path::PathBuf;

use braid_engine::secrets::{
    KeychainError, default_keychain, delete_secret as keychain_delete, is_valid_name,
    list_secrets as keychain_list, set_secret as keychain_set,
};
use braid_model::template::{SecretReference, secret_references};
use braid_runtime::PendingApproval;
use braid_runtime::Refusal;
use serde::{Deserialize, Serialize};
use tauri::State;

use super::runs::{blocking, store_error};
use crate::error::{CommandError, CommandResult, ErrorCode};
use crate::runs::Runs;
use crate::session::Session;
use crate::trust::{self, TrustReview};

/// Whether the file may run as it is on disk now, and what it would run.
#[tauri::command]
#[specta::specta]
pub async fn review_workflow(
    path: String,
    runs: State<'_, Runs>,
    session: State<'_, Session>,
) -> CommandResult<TrustReview> {
    let store = runs.store().map_err(store_error)?;
    let gallery = session.gallery.clone();
    blocking(move || Ok(trust::review(&store, &gallery, &PathBuf::from(path)))).await
}

/// A file the user approved in the review screen, by the hash they saw.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct Approval {
    pub path: String,
    pub hash: String,
}

/// Approves exactly the reviewed contents (a file changed since has another
/// hash and stays unapproved).
#[tauri::command]
#[specta::specta]
pub async fn approve_workflow(files: Vec<Approval>, runs: State<'_, Runs>) -> CommandResult<()> {
    let store = runs.store().map_err(store_error)?;
    blocking(move || {
        let files: Vec<PendingApproval> = files
            .into_iter()
            .map(|f| PendingApproval {
                path: f.path,
                hash: f.hash,
                review: None,
            })
            .collect();
        if let Some(bad) = files.iter().find(|f| !is_sha256_hex(&f.hash)) {
            return Err(Refusal::Usage(format!("`{}` is not a sha256", bad.hash)));
        }
        braid_runtime::gate::approve(&store, &files)
    })
    .await
}

fn is_sha256_hex(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Secret names (never values), or why the keychain cannot be used.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SecretList {
    pub names: Vec<String>,
    /// Set when the OS keychain is unavailable: secrets then come from
    /// environment variables of the same name.
    pub keychain_error: Option<String>,
}

#[tauri::command]
#[specta::specta]
pub async fn list_secrets() -> CommandResult<SecretList> {
    keychain_task(|| {
        Ok(match keychain_list(default_keychain().as_ref()) {
            Ok(names) => SecretList {
                names,
                keychain_error: None,
            },
            Err(e) => SecretList {
                names: Vec::new(),
                keychain_error: Some(e.to_string()),
            },
        })
    })
    .await
}

/// The secrets a workflow (the editor's model) reads, and which steps read
/// them: the engine's rule (`braid_model::template::secret_references`).
#[tauri::command]
#[specta::specta]
pub async fn workflow_secrets(workflow: serde_json::Value) -> CommandResult<Vec<SecretReference>> {
    let model = crate::workflow_io::model_from_json(&workflow).map_err(|d| {
        CommandError::new(
            ErrorCode::Unparseable,
            d.first().map_or_else(String::new, |d| d.message.clone()),
        )
    })?;
    Ok(secret_references(&model))
}

/// Why a name cannot name a secret (`null`: it can), as the screen shows it
/// while the user types.
#[tauri::command]
#[specta::specta]
pub fn secret_name_problem(name: String) -> Option<String> {
    braid_model::template::secret_name_problem(&name).map(str::to_string)
}

#[tauri::command]
#[specta::specta]
pub async fn set_secret(name: String, value: String) -> CommandResult<()> {
    check_name(&name)?;
    keychain_task(move || {
        keychain_set(default_keychain().as_ref(), &name, &value).map_err(keychain_error)
    })
    .await
}

/// Whether the secret existed.
#[tauri::command]
#[specta::specta]
pub async fn delete_secret(name: String) -> CommandResult<bool> {
    check_name(&name)?;
    keychain_task(move || {
        keychain_delete(default_keychain().as_ref(), &name).map_err(keychain_error)
    })
    .await
}

fn check_name(name: &str) -> CommandResult<()> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(CommandError::new(
            ErrorCode::Refused,
            format!(
                "`{name}` is not a secret name: letters, digits and `_`, not starting with a digit"
            ),
        ))
    }
}

fn keychain_error(e: KeychainError) -> CommandError {
    CommandError::new(ErrorCode::Keychain, e.to_string())
}

/// Keychain calls may talk to a daemon over D-Bus: off the async workers.
async fn keychain_task<T: Send + 'static>(
    work: impl FnOnce() -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| CommandError::new(ErrorCode::Io, format!("task failed: {e}")))?
}
