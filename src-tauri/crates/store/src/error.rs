//! The one error type at the crate's boundary.

use std::path::PathBuf;

/// Everything that can go wrong in the store. `SQLITE_BUSY` is not among
/// them: contention is waited out (busy timeout plus a bounded retry loop)
/// and only reported, as [`StoreError::Busy`], after minutes of it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "store {path}: schema version {found} is newer than this braid understands ({supported}); use a newer braid or another --db"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("store: the database stayed locked by other processes for {waited_s} s")]
    Busy { waited_s: u64 },
    #[error("store: bad JSON in the database: {0}")]
    Json(#[from] serde_json::Error),
    #[error("no run `{0}` in the store")]
    RunNotFound(String),
    #[error("run `{run_id}` is {status}, not running")]
    NotRunning { run_id: String, status: String },
    #[error("run `{run_id}` is still running (process {pid})")]
    StillRunning { run_id: String, pid: u32 },
    #[error("run `{0}` has no stored workflow")]
    NoWorkflow(String),
    #[error("run `{run_id}`: its stored workflow does not parse: {message}")]
    BadWorkflow { run_id: String, message: String },
    #[error("store writer: {message}{}", if *.more > 0 { format!(" (and {} more errors)", .more) } else { String::new() })]
    Writer { message: String, more: u64 },
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Whether an SQLite error is lock contention (worth waiting out).
pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}
