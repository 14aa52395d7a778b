//! # braid-store
//!
//! Braid's memory: every run, every attempt of every step, every group
//! aggregation, every context write and the raw event stream, in one SQLite
//! file that the CLI and the desktop app share (`--db`, else `$BRAID_DB`,
//! else `braid.db` in the platform data folder; [`resolve_path`]). It is what
//! `braid runs`, `show`, `cancel`, `resume`, `rerun`, `report` and the
//! planner's run history read, and what survives a crash.
//!
//! ## Main types
//!
//! - [`Store`]: a handle on the file, with its own connection. Opening one
//!   migrates the schema (numbered SQL files under `src/migrations/`,
//!   tracked in `PRAGMA user_version`; a file from a newer schema is
//!   refused) and runs crash recovery: runs whose owner process is dead
//!   become `interrupted`, their running attempts too, and the process
//!   groups those attempts left behind are SIGKILLed. Readers
//!   ([`Store::list_runs`], [`Store::run_events`], [`Store::run_record`],
//!   [`Store::attempts`], [`Store::context_writes`], …), the few direct
//!   writes ([`Store::create_run`], [`Store::request_cancel`],
//!   [`Store::prune`]), resume helpers, and the planner's
//!   [`History`](braid_engine::plan::History).
//! - [`Writer`]: the one writer — a dedicated thread owning its own
//!   connection, fed batches of events (subscribed straight to an
//!   `EventBus`, or handed in), committing everything queued as one
//!   `BEGIN IMMEDIATE` transaction: immediately when a completion arrives,
//!   else within [`LINGER`]. It publishes per run the highest committed
//!   sequence number; [`RunDurability`] turns that into the engine's
//!   [`Durability`](braid_engine::run::driver::Durability), which the driver
//!   awaits before starting work that depends on a completion. Commits are
//!   `synchronous=FULL` unless [`WriterOptions`] relaxes them to `NORMAL`
//!   (durable against the process dying, not against power loss).
//!   Attempt rows are composed in memory per transaction and written once.
//! - [`liveness`]: is a recorded owner process (pid + start marker from
//!   `/proc`) still the same live process; killing an attempt's orphaned
//!   process group only when it is provably that attempt's.
//! - Plain rows: [`RunInfo`] (the `runs --json` shape), [`RunRecord`],
//!   [`AttemptRecord`], [`ContextWriteRecord`], [`GroupAggregationRecord`],
//!   [`StepMetrics`], [`Recovery`]; and [`StoreError`].
//!
//! Pragmas on every connection: WAL (readers never block the writer or each
//! other), `synchronous=FULL` (a commit is on disk when it returns),
//! `foreign_keys=ON` (deleting a run cascades to its rows), a 5 s busy
//! timeout. Lock contention between processes is waited out — busy timeout
//! plus a bounded retry loop — so `SQLITE_BUSY` never reaches a caller.
//!
//! ## What it deliberately does not do
//!
//! - It does not interpret runs. Summaries are folded from the stored
//!   events by the engine's own `summarize`, so a stored run reads exactly
//!   like a live one; the store keeps tables only for what must be queried
//!   (history, resume, cancel, listing) or survive as structure.
//! - It does not decide what to resume or re-run; it hands the engine the
//!   completed and in-flight attempts and lets the caller choose.
//! - It does not coordinate writers across processes beyond SQLite's own
//!   locking: each process has one writer thread and they take turns.
//! - It has no async API for reads: queries are short, indexed, on a local
//!   file; callers in async code call them directly or via `spawn_blocking`.
//! - It never VACUUMs on its own: [`Store::prune`] frees pages for reuse.

mod db;
mod decisions;
mod digests;
mod error;
mod ingest;
pub mod liveness;
mod records;
mod recovery;
mod store;
mod writer;

use std::path::PathBuf;

pub use db::SCHEMA_VERSION;
pub use decisions::{NotDecidable, PendingDecision};
pub use error::{Result, StoreError};
pub use records::{
    Approval, AttemptRecord, AttemptStatus, ContextWriteRecord, GroupAggregationRecord, NewRun,
    Recovery, RunInfo, RunRecord, StepMetrics,
};
pub use store::{HISTORY_WINDOW, Store, sha256_hex};
pub use writer::{
    Committed, LINGER, RunDurability, Synchronous, Writer, WriterOptions, WriterStats,
};

/// The environment variable that names the database when `--db` is not given.
pub const DB_ENV: &str = "BRAID_DB";

/// Where the store lives: the `--db` flag, else `$BRAID_DB`, else `braid.db`
/// in the platform's data folder (`~/.local/share/braid/` on Linux). Creates
/// the parent folder (errors surface when the store is opened).
pub fn resolve_path(flag: Option<PathBuf>) -> PathBuf {
    resolve_path_from(flag, std::env::var_os(DB_ENV).map(PathBuf::from))
}

fn resolve_path_from(flag: Option<PathBuf>, env: Option<PathBuf>) -> PathBuf {
    let path = flag
        .or(env.filter(|p| !p.as_os_str().is_empty()))
        .unwrap_or_else(|| {
            dirs::data_dir()
                .unwrap_or_else(|| PathBuf::from("."))
                .join("braid")
                .join("braid.db")
        });
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(parent);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_over_the_environment_which_wins_over_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let flag = dir.path().join("a/flag.db");
        let env = dir.path().join("b/env.db");
        assert_eq!(
            resolve_path_from(Some(flag.clone()), Some(env.clone())),
            flag
        );
        assert!(flag.parent().unwrap().is_dir(), "parent created");
        assert_eq!(resolve_path_from(None, Some(env.clone())), env);
        assert!(env.parent().unwrap().is_dir());
        let default = resolve_path_from(None, Some(PathBuf::new()));
        assert!(default.ends_with("braid/braid.db"), "{default:?}");
    }
}
