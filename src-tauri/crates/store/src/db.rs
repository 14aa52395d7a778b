//! Connections, pragmas, numbered migrations, and waiting out lock
//! contention.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{Result, StoreError, is_busy};

/// How long one statement waits for a lock before SQLite gives up.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How many times an operation that still got `SQLITE_BUSY` is tried again
/// (with the busy timeout each, about two minutes in all).
const BUSY_RETRIES: u32 = 24;

/// The migrations, in order: migration *n* (1-based) takes the schema from
/// `user_version` n−1 to n. Append only; never edit one that has shipped.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_initial", include_str!("migrations/0001_initial.sql")),
    (
        "0002_workflow_path",
        include_str!("migrations/0002_workflow_path.sql"),
    ),
    ("0003_digests", include_str!("migrations/0003_digests.sql")),
    (
        "0004_approvals",
        include_str!("migrations/0004_approvals.sql"),
    ),
    (
        "0005_rounds_feedback_decisions",
        include_str!("migrations/0005_rounds_feedback_decisions.sql"),
    ),
];

/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Runs `f` again while it fails with `SQLITE_BUSY`/`SQLITE_LOCKED`, with a
/// short, growing pause; any other error is returned at once.
pub(crate) fn retry<T>(mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let start = Instant::now();
    let mut attempt = 0u32;
    loop {
        match f() {
            Err(StoreError::Sqlite(e)) if is_busy(&e) => {
                attempt += 1;
                if attempt > BUSY_RETRIES {
                    return Err(StoreError::Busy {
                        waited_s: start.elapsed().as_secs(),
                    });
                }
                // 1, 2, 4 … 64 ms, plus a little per-process spread.
                let base = 1u64 << attempt.min(6);
                let spread = u64::from(std::process::id() % 7);
                std::thread::sleep(Duration::from_millis(base + spread));
            }
            other => return other,
        }
    }
}

/// One write transaction (`BEGIN IMMEDIATE`), retried as a whole on
/// contention. `f` may run more than once, so it must not have side
/// effects outside the transaction.
pub(crate) fn write<T>(
    conn: &mut Connection,
    mut f: impl FnMut(&Transaction<'_>) -> Result<T>,
) -> Result<T> {
    retry(|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    })
}

/// Opens a connection with the store's pragmas: WAL, `synchronous=FULL`,
/// foreign keys, a busy timeout. Creates the file (and its folder).
pub(crate) fn connect(path: &Path) -> Result<Connection> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| StoreError::io(parent, e))?;
    }
    let conn = retry(|| {
        Ok(Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?)
    })?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Switching to WAL needs a moment of exclusive access; another process
    // opening the same new file at the same time makes it wait (or retry).
    let mode: String =
        retry(|| Ok(conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?))?;
    if !mode.eq_ignore_ascii_case("wal") {
        // An in-memory or otherwise special database: carry on in its mode.
        eprintln!("braid-store: journal mode is {mode}, not WAL");
    }
    retry(|| Ok(conn.pragma_update(None, "synchronous", "FULL")?))?;
    retry(|| Ok(conn.pragma_update(None, "foreign_keys", "ON")?))?;
    Ok(conn)
}

pub(crate) fn user_version(conn: &Connection) -> Result<i64> {
    retry(|| Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?))
}

/// Brings the schema up to [`SCHEMA_VERSION`]; refuses a database written by
/// a newer schema (it might not understand, or might damage, what it finds).
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let newer = |found| StoreError::NewerSchema {
        path: path.to_path_buf(),
        found,
        supported: SCHEMA_VERSION,
    };
    let found = user_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(newer(found));
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    write(conn, |tx| {
        // Another process may have migrated since the check above.
        let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(newer(found));
        }
        for (_name, sql) in MIGRATIONS.iter().skip(found.max(0) as usize) {
            tx.execute_batch(sql)?;
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order() {
        for (i, (name, _)) in MIGRATIONS.iter().enumerate() {
            assert!(
                name.starts_with(&format!("{:04}_", i + 1)),
                "{name} should be migration {}",
                i + 1
            );
        }
    }

    #[test]
    fn a_fresh_file_gets_wal_and_the_current_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/folder/braid.db");
        let mut conn = connect(&path).unwrap();
        migrate(&mut conn, &path).unwrap();
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "FULL");
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        // Migrating again is a no-op.
        migrate(&mut conn, &path).unwrap();
    }

    #[test]
    fn retry_waits_out_busy_and_passes_other_errors() {
        let mut calls = 0;
        let value = retry(|| {
            calls += 1;
            if calls < 3 {
                Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    None,
                )))
            } else {
                Ok(7)
            }
        })
        .unwrap();
        assert_eq!((value, calls), (7, 3));
        let mut calls = 0;
        let err = retry::<()>(|| {
            calls += 1;
            Err(StoreError::RunNotFound("x".into()))
        })
        .unwrap_err();
        assert!(matches!(err, StoreError::RunNotFound(_)));
        assert_eq!(calls, 1);
    }
}
