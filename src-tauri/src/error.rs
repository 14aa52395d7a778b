//! The one error type every command returns. A workflow with problems is not
//! an error (its diagnostics are data); these are the failures the UI must
//! branch on or show as a message.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The file does not exist (a stale recent-file entry, a moved example).
    NotFound,
    /// Reading or writing failed for another reason (permissions, disk full).
    Io,
    /// The model sent by the UI does not parse as a `braid/1` workflow, so it
    /// cannot be written in canonical form.
    Unparseable,
    /// The run store could not be opened or used.
    Store,
    /// A run was not started: a bad request (inputs, time scale) or a state
    /// that does not allow it (resuming a succeeded run).
    Refused,
    /// The workflow (or a sub-workflow) is invalid; nothing was run.
    Invalid,
    /// The OS keychain failed (or is not there).
    Keychain,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Maps an I/O error on `path`, keeping "not found" distinguishable.
    pub fn io(path: &std::path::Path, err: &std::io::Error) -> Self {
        let code = if err.kind() == std::io::ErrorKind::NotFound {
            ErrorCode::NotFound
        } else {
            ErrorCode::Io
        };
        Self::new(code, format!("{}: {err}", path.display()))
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CommandError {}

pub type CommandResult<T> = Result<T, CommandError>;
