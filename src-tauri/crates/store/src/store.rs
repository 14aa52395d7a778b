//! [`Store`]: the reading side, and the few small writes that do not come
//! from events (creating a run, asking it to stop, pruning).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use braid_engine::events::{Event, EventKind, RunStatus, StepStatus, now_ms};
use braid_engine::plan::History;
use braid_engine::run::summary::{RunSummary, summarize};
use braid_model::model::JsonMap;
use rusqlite::{Connection, OptionalExtension, Row, params};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::error::{Result, StoreError};
use crate::records::{
    Approval, AttemptRecord, AttemptStatus, ContextWriteRecord, GroupAggregationRecord, NewRun,
    Recovery, RunInfo, RunRecord, StepMetrics, parse_run_status, started_at,
};
use crate::writer::{Synchronous, Writer, WriterOptions};
use crate::{db, liveness, recovery};

/// How many recent successful attempts the planner's history looks at.
pub const HISTORY_WINDOW: usize = 20;

/// A handle on one database file. Each `Store` has its own connection
/// (behind a mutex, so a `Store` can be shared between threads); the
/// writer has another. Any number of processes may open the same file.
pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
    recovery: Recovery,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

const RUN_COLUMNS: &str = "r.run_id, r.workflow_id, r.status, r.started_at_ms, r.finished_at_ms,
    w.name, r.workflow_hash, r.error, r.inputs, r.time_scale, r.parent_run_id,
    r.cancel_requested, r.owner_pid, r.workflow_path";

const ATTEMPT_COLUMNS: &str = "step, element, attempt, status, is_final, queued_at_ms,
    started_at_ms, finished_at_ms, duration_ms, exit_code, score, approved, outputs, error,
    stdout_tail, stderr_tail, pid, pgid, retry_delay_ms, reused_from, round, recommendations,
    errors";

fn u64_of(v: Option<i64>) -> Option<u64> {
    v.and_then(|v| u64::try_from(v).ok())
}

fn json_map(text: Option<String>) -> Result<Option<JsonMap>> {
    text.map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(Into::into)
}

fn run_info(row: &Row<'_>, now: u64) -> Result<RunInfo> {
    let started: i64 = row.get(3)?;
    let finished: Option<i64> = row.get(4)?;
    let started = u64::try_from(started).unwrap_or(0);
    let finished = u64_of(finished);
    let status: String = row.get(2)?;
    let inputs: String = row.get(8)?;
    Ok(RunInfo {
        run_id: row.get(0)?,
        workflow_id: row.get(1)?,
        status: parse_run_status(&status)?,
        started_at: started_at(started),
        duration_ms: finished.unwrap_or(now).saturating_sub(started),
        started_at_ms: started,
        finished_at_ms: finished,
        workflow_name: row.get(5)?,
        workflow_hash: row.get(6)?,
        error: row.get(7)?,
        inputs: serde_json::from_str(&inputs)?,
        time_scale: row.get(9)?,
        parent_run_id: row.get(10)?,
        cancel_requested: row.get(11)?,
        owner_pid: row.get(12)?,
        workflow_path: row.get(13)?,
    })
}

fn attempt_record(row: &Row<'_>) -> Result<AttemptRecord> {
    let element: i64 = row.get(1)?;
    let status: String = row.get(3)?;
    Ok(AttemptRecord {
        step: row.get(0)?,
        element: u32::try_from(element).ok(),
        attempt: row.get(2)?,
        status: AttemptStatus::parse(&status)?,
        is_final: row.get(4)?,
        queued_at_ms: u64_of(row.get(5)?),
        started_at_ms: u64_of(row.get(6)?),
        finished_at_ms: u64_of(row.get(7)?),
        duration_ms: u64_of(row.get(8)?),
        exit_code: row.get(9)?,
        score: row.get(10)?,
        approved: row.get(11)?,
        outputs: json_map(row.get(12)?)?,
        error: row.get(13)?,
        stdout_tail: row.get(14)?,
        stderr_tail: row.get(15)?,
        pid: row.get(16)?,
        pgid: row.get(17)?,
        retry_delay_ms: u64_of(row.get(18)?),
        reused_from: row.get(19)?,
        round: row.get::<_, Option<u32>>(20)?.unwrap_or(1),
        recommendations: json_list(row.get(21)?)?,
        errors: json_list(row.get(22)?)?,
    })
}

fn json_list(text: Option<String>) -> Result<Vec<serde_json::Value>> {
    Ok(match text {
        Some(t) => serde_json::from_str(&t)?,
        None => Vec::new(),
    })
}

/// Collects rows through a fallible mapper (rusqlite's `query_map` wants
/// `rusqlite::Error`; ours also decodes JSON).
fn collect<T>(
    mut rows: rusqlite::Rows<'_>,
    mut map: impl FnMut(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(map(row)?);
    }
    Ok(out)
}

impl Store {
    /// Opens (creating if needed) the database at `path`: applies pending
    /// migrations, refuses a database from a newer schema, and runs crash
    /// recovery (see [`Store::recovery`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        let mut conn = db::connect(&path)?;
        db::migrate(&mut conn, &path)?;
        let recovery = recovery::recover(&mut conn)?;
        Ok(Store {
            path,
            conn: Mutex::new(conn),
            recovery,
        })
    }

    /// What recovery did when this store was opened.
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// Runs crash recovery again (it also runs on every [`Store::open`]).
    pub fn recover(&self) -> Result<Recovery> {
        recovery::recover(&mut self.conn())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written
        // (transactions roll back on drop), so a poisoned lock is usable.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the one writer thread, with its own connection
    /// (`synchronous=FULL`).
    pub fn writer(&self) -> Result<Writer> {
        self.writer_with(WriterOptions::default())
    }

    /// [`Store::writer`] with options.
    pub fn writer_with(&self, options: WriterOptions) -> Result<Writer> {
        let mut conn = db::connect(&self.path)?;
        db::migrate(&mut conn, &self.path)?;
        // The writer touches the index pages of every live run: keep more
        // of them (32 MiB rather than SQLite's 2 MiB).
        conn.pragma_update(None, "cache_size", -32768)?;
        if options.synchronous == Synchronous::Normal {
            conn.pragma_update(None, "synchronous", "NORMAL")?;
        }
        Writer::start(conn, self.path.clone())
    }

    /// Records a run before it starts: the workflow file as run
    /// (deduplicated by sha256), inputs, and this process as its owner.
    /// Status `running`. Returns the workflow's content hash.
    pub fn create_run(&self, run: &NewRun<'_>) -> Result<String> {
        let hash = sha256_hex(run.workflow_source);
        let source = String::from_utf8_lossy(run.workflow_source);
        let inputs = serde_json::to_string(run.inputs)?;
        let (pid, marker) = liveness::current();
        let now = now_ms() as i64;
        let path = run.workflow_path.map(|p| {
            std::path::absolute(p)
                .unwrap_or_else(|_| p.to_path_buf())
                .to_string_lossy()
                .into_owned()
        });
        db::write(&mut self.conn(), |tx| {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO workflows (hash, workflow_id, name, source, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                hash,
                run.workflow_id,
                run.workflow_name,
                source,
                now
            ])?;
            // The writer may have made the row from events already: fill it in.
            tx.prepare_cached(
                "INSERT INTO runs (run_id, workflow_id, workflow_hash, inputs, status, started_at_ms,
                   time_scale, owner_pid, owner_start, parent_run_id, workflow_path)
                 VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (run_id) DO UPDATE SET workflow_id = excluded.workflow_id,
                   workflow_hash = excluded.workflow_hash, inputs = excluded.inputs,
                   time_scale = excluded.time_scale, parent_run_id = excluded.parent_run_id,
                   workflow_path = excluded.workflow_path",
            )?
            .execute(params![
                run.run_id,
                run.workflow_id,
                hash,
                inputs,
                now,
                run.time_scale,
                pid,
                marker,
                run.parent_run_id,
                path
            ])?;
            Ok(())
        })?;
        Ok(hash)
    }

    /// Takes over an `interrupted` or `failed` run for `resume`: status
    /// `running` again, owned by this process, cancel flag cleared. Refuses
    /// a run another live process is running.
    pub fn claim_run(&self, run_id: &str) -> Result<RunInfo> {
        let (pid, marker) = liveness::current();
        db::write(&mut self.conn(), |tx| {
            let row: Option<(String, Option<u32>, Option<String>)> = tx
                .prepare_cached(
                    "SELECT status, owner_pid, owner_start FROM runs WHERE run_id = ?1",
                )?
                .query_row([run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            let Some((status, owner, owner_start)) = row else {
                return Err(StoreError::RunNotFound(run_id.to_string()));
            };
            if status == "running" || status == "waiting" {
                if let Some(owner) =
                    owner.filter(|&o| liveness::is_alive(o, owner_start.as_deref()))
                {
                    return Err(StoreError::StillRunning {
                        run_id: run_id.to_string(),
                        pid: owner,
                    });
                }
            }
            if status == "running" {
                recovery::interrupt_attempts(tx, run_id)?;
            }
            tx.prepare_cached(
                "UPDATE runs SET status = 'running', finished_at_ms = NULL, error = NULL,
                   cancel_requested = 0, owner_pid = ?2, owner_start = ?3 WHERE run_id = ?1",
            )?
            .execute(params![run_id, pid, marker])?;
            Ok(())
        })?;
        self.run(run_id)
    }

    /// Runs, newest first; optionally only one workflow's and/or one status.
    pub fn list_runs(
        &self,
        workflow: Option<&str>,
        status: Option<&str>,
        limit: usize,
    ) -> Result<Vec<RunInfo>> {
        // One statement per filter combination, so each can use its index.
        let filter = match (workflow.is_some(), status.is_some()) {
            (false, false) => "",
            (true, false) => "WHERE r.workflow_id = ?2",
            (false, true) => "WHERE r.status = ?3",
            (true, true) => "WHERE r.workflow_id = ?2 AND r.status = ?3",
        };
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs r LEFT JOIN workflows w ON w.hash = r.workflow_hash
             {filter} ORDER BY r.started_at_ms DESC, r.run_id DESC LIMIT ?1"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let now = now_ms();
        let conn = self.conn();
        db::retry(|| {
            let mut stmt = conn.prepare_cached(&sql)?;
            // Positional: bound up to the highest index the statement uses.
            let mut params: Vec<&dyn rusqlite::ToSql> = vec![&limit];
            if workflow.is_some() || status.is_some() {
                params.push(&workflow);
            }
            if status.is_some() {
                params.push(&status);
            }
            let rows = stmt.query(params.as_slice())?;
            collect(rows, |row| run_info(row, now))
        })
    }

    /// One run's row.
    pub fn run(&self, run_id: &str) -> Result<RunInfo> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs r LEFT JOIN workflows w ON w.hash = r.workflow_hash
             WHERE r.run_id = ?1"
        );
        let now = now_ms();
        let conn = self.conn();
        db::retry(|| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query([run_id])?;
            collect(rows, |row| run_info(row, now))?
                .pop()
                .ok_or_else(|| StoreError::RunNotFound(run_id.to_string()))
        })
    }

    /// A run with its workflow file.
    pub fn run_record(&self, run_id: &str) -> Result<RunRecord> {
        let run = self.run(run_id)?;
        let conn = self.conn();
        let workflow_source = match &run.workflow_hash {
            Some(hash) => db::retry(|| {
                Ok(conn
                    .prepare_cached("SELECT source FROM workflows WHERE hash = ?1")?
                    .query_row([hash], |r| r.get(0))
                    .optional()?)
            })?,
            None => None,
        };
        Ok(RunRecord {
            run,
            workflow_source,
        })
    }

    /// A run's events, in sequence order.
    pub fn run_events(&self, run_id: &str) -> Result<Vec<Event>> {
        self.run_events_from(run_id, 0)
    }

    /// A run's events from sequence number `from` on (following a run that
    /// another process is recording).
    pub fn run_events_from(&self, run_id: &str, from: u64) -> Result<Vec<Event>> {
        let from = i64::try_from(from).unwrap_or(i64::MAX);
        let conn = self.conn();
        db::retry(|| {
            let mut stmt = conn.prepare_cached(
                "SELECT seq, at_ms, payload FROM events WHERE run_id = ?1 AND seq >= ?2 ORDER BY seq",
            )?;
            let rows = stmt.query(params![run_id, from])?;
            collect(rows, |row| {
                let payload: String = row.get(2)?;
                Ok(Event {
                    seq: row.get::<_, i64>(0)? as u64,
                    at_ms: row.get::<_, i64>(1)? as u64,
                    kind: serde_json::from_str::<EventKind>(&payload)?,
                })
            })
        })
    }

    /// The `run --json` / `show --json` summary, folded from stored events.
    pub fn summary(&self, run_id: &str) -> Result<RunSummary> {
        let record = self.run_record(run_id)?;
        let workflow = record.workflow()?;
        let events = self.run_events(run_id)?;
        let mut summary = summarize(&workflow, &events);
        if summary.run_id.is_empty() {
            summary.run_id = run_id.to_string();
        }
        let live = |s: RunStatus| matches!(s, RunStatus::Running | RunStatus::Waiting);
        if live(summary.status) && !live(record.run.status) {
            // Its process died before writing `RunFinished`; recovery marked
            // the run (interrupted), so the summary says what `runs` says.
            summary.status = record.run.status;
            summary.duration_ms = record.run.duration_ms;
            if summary.error.is_none() {
                summary.error = record.run.error.clone();
            }
            for step in summary.steps.values_mut() {
                if step.status == StepStatus::Running {
                    step.status = StepStatus::Interrupted;
                }
                if let Some(elements) = &mut step.elements {
                    if let Some(n) = elements.shift_remove("running") {
                        *elements.entry("interrupted".to_string()).or_default() += n;
                    }
                }
            }
        }
        Ok(summary)
    }

    fn attempts_where(&self, run_id: &str, condition: &str) -> Result<Vec<AttemptRecord>> {
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts a WHERE run_id = ?1 {condition}
             ORDER BY COALESCE(started_at_ms, queued_at_ms, finished_at_ms), step, element, attempt"
        );
        let conn = self.conn();
        db::retry(|| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query([run_id])?;
            collect(rows, attempt_record)
        })
    }

    /// Every attempt of a run, in the order they started.
    pub fn attempts(&self, run_id: &str) -> Result<Vec<AttemptRecord>> {
        self.attempts_where(run_id, "")
    }

    /// For resume: per step (and map element), the attempt that ended it —
    /// `succeeded`, `failed`, `timed_out`, `blocked`, or `interrupted` by
    /// the user's choice on an earlier resume. Its outputs, score and
    /// verdict are what a resumed run reuses.
    pub fn completed_attempts(&self, run_id: &str) -> Result<Vec<AttemptRecord>> {
        self.attempts_where(run_id, "AND is_final = 1 AND status <> 'cancelled'")
    }

    /// For resume: attempts that started and never ended — `interrupted`
    /// by recovery, or still `running` (the run is live or not yet
    /// recovered). These ran again only when their step is idempotent.
    pub fn in_flight_attempts(&self, run_id: &str) -> Result<Vec<AttemptRecord>> {
        self.attempts_where(
            run_id,
            "AND is_final = 0 AND status IN ('running', 'interrupted')",
        )
    }

    /// Marks a run's running attempts `interrupted` (queued ones
    /// `cancelled`); returns how many were running. Recovery does this for
    /// runs of dead processes; resume may need it for a run it claims.
    pub fn mark_interrupted_attempts(&self, run_id: &str) -> Result<usize> {
        db::write(&mut self.conn(), |tx| {
            recovery::interrupt_attempts(tx, run_id)
        })
    }

    /// Every context write of a run, in order.
    pub fn context_writes(&self, run_id: &str) -> Result<Vec<ContextWriteRecord>> {
        let conn = self.conn();
        db::retry(|| {
            let mut stmt = conn.prepare_cached(
                "SELECT seq, at_ms, writer, key, old_value, new_value FROM context_writes
                 WHERE run_id = ?1 ORDER BY seq",
            )?;
            let rows = stmt.query([run_id])?;
            collect(rows, |row| {
                let old: Option<String> = row.get(4)?;
                let new: String = row.get(5)?;
                Ok(ContextWriteRecord {
                    seq: row.get::<_, i64>(0)? as u64,
                    at_ms: row.get::<_, i64>(1)? as u64,
                    writer: row.get(2)?,
                    key: row.get(3)?,
                    old: old.map(|o| serde_json::from_str(&o)).transpose()?,
                    new: serde_json::from_str(&new)?,
                })
            })
        })
    }

    /// Every group aggregation of a run, in order.
    pub fn group_aggregations(&self, run_id: &str) -> Result<Vec<GroupAggregationRecord>> {
        let conn = self.conn();
        db::retry(|| {
            let mut stmt = conn.prepare_cached(
                "SELECT seq, at_ms, group_id, outcome, score, approved FROM group_aggregations
                 WHERE run_id = ?1 ORDER BY seq",
            )?;
            let rows = stmt.query([run_id])?;
            collect(rows, |row| {
                let outcome: String = row.get(3)?;
                Ok(GroupAggregationRecord {
                    seq: row.get::<_, i64>(0)? as u64,
                    at_ms: row.get::<_, i64>(1)? as u64,
                    group: row.get(2)?,
                    outcome: serde_json::from_value(serde_json::Value::String(outcome))?,
                    score: row.get(4)?,
                    approved: row.get(5)?,
                })
            })
        })
    }

    /// Per-step metrics of a run (steps that reached a final state).
    pub fn step_metrics(&self, run_id: &str) -> Result<Vec<StepMetrics>> {
        let conn = self.conn();
        db::retry(|| {
            let mut stmt = conn.prepare_cached(
                "SELECT step, status, attempts, elements, queued_ms, run_ms, retry_ms, duration_ms,
                   started_at_ms, finished_at_ms
                 FROM step_metrics WHERE run_id = ?1 ORDER BY started_at_ms, step",
            )?;
            let rows = stmt.query([run_id])?;
            collect(rows, |row| {
                Ok(StepMetrics {
                    step: row.get(0)?,
                    status: row.get(1)?,
                    attempts: row.get(2)?,
                    elements: row.get(3)?,
                    queued_ms: row.get::<_, i64>(4)?.max(0) as u64,
                    run_ms: row.get::<_, i64>(5)?.max(0) as u64,
                    retry_ms: row.get::<_, i64>(6)?.max(0) as u64,
                    duration_ms: row.get::<_, i64>(7)?.max(0) as u64,
                    started_at_ms: u64_of(row.get(8)?),
                    finished_at_ms: u64_of(row.get(9)?),
                })
            })
        })
    }

    /// Runs started by `workflow` steps of `parent_run_id` (sub-workflows),
    /// oldest first.
    pub fn sub_runs(&self, parent_run_id: &str) -> Result<Vec<RunInfo>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs r LEFT JOIN workflows w ON w.hash = r.workflow_hash
             WHERE r.parent_run_id = ?1 ORDER BY r.started_at_ms, r.run_id"
        );
        let now = now_ms();
        let conn = self.conn();
        db::retry(|| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query([parent_run_id])?;
            collect(rows, |row| run_info(row, now))
        })
    }

    /// Whether a person approved a workflow file with this content (sha256
    /// of its bytes, [`sha256_hex`]) to run.
    pub fn is_approved(&self, hash: &str) -> Result<bool> {
        let conn = self.conn();
        db::retry(|| {
            Ok(conn
                .prepare_cached("SELECT 1 FROM approvals WHERE hash = ?1")?
                .query_row([hash], |_| Ok(()))
                .optional()?
                .is_some())
        })
    }

    /// Records that a person approved this exact content to run (`path`:
    /// where the file was, for display). Approving again keeps the first
    /// approval's time and updates the path.
    pub fn approve(&self, hash: &str, path: Option<&Path>) -> Result<()> {
        let path = path.map(|p| {
            std::path::absolute(p)
                .unwrap_or_else(|_| p.to_path_buf())
                .to_string_lossy()
                .into_owned()
        });
        let now = now_ms() as i64;
        db::write(&mut self.conn(), |tx| {
            tx.prepare_cached(
                "INSERT INTO approvals (hash, approved_at_ms, path) VALUES (?1, ?2, ?3)
                 ON CONFLICT (hash) DO UPDATE SET path = COALESCE(excluded.path, approvals.path)",
            )?
            .execute(params![hash, now, path])?;
            Ok(())
        })
    }

    /// Withdraws an approval; whether there was one.
    pub fn revoke(&self, hash: &str) -> Result<bool> {
        db::write(&mut self.conn(), |tx| {
            Ok(tx
                .prepare_cached("DELETE FROM approvals WHERE hash = ?1")?
                .execute([hash])?
                > 0)
        })
    }

    /// Every approval, newest first.
    pub fn approvals(&self) -> Result<Vec<Approval>> {
        let conn = self.conn();
        db::retry(|| {
            let mut stmt = conn.prepare_cached(
                "SELECT hash, approved_at_ms, path FROM approvals ORDER BY approved_at_ms DESC, hash",
            )?;
            let rows = stmt.query([])?;
            collect(rows, |row| {
                Ok(Approval {
                    hash: row.get(0)?,
                    approved_at_ms: row.get::<_, i64>(1)?.max(0) as u64,
                    path: row.get(2)?,
                })
            })
        })
    }

    /// The highest stored sequence number of a run (resume continues after it).
    pub fn last_seq(&self, run_id: &str) -> Result<Option<u64>> {
        let conn = self.conn();
        db::retry(|| {
            Ok(conn
                .prepare_cached("SELECT MAX(seq) FROM events WHERE run_id = ?1")?
                .query_row([run_id], |r| r.get::<_, Option<i64>>(0))?
                .map(|s| s as u64))
        })
    }

    /// Asks a running run to stop (from any process): sets its cancel flag,
    /// which the process running it polls ([`Store::cancel_requested`]).
    pub fn request_cancel(&self, run_id: &str) -> Result<()> {
        db::write(&mut self.conn(), |tx| {
            let status: Option<String> = tx
                .prepare_cached("SELECT status FROM runs WHERE run_id = ?1")?
                .query_row([run_id], |r| r.get(0))
                .optional()?;
            match status.as_deref() {
                None => Err(StoreError::RunNotFound(run_id.to_string())),
                Some("waiting") if !owner_alive(tx, run_id)? => {
                    // Nobody follows it (the process detached or died while it
                    // only waited): nothing runs, so cancelling is recording it.
                    let now = braid_engine::events::now_ms() as i64;
                    tx.prepare_cached(
                        "UPDATE runs SET status = 'cancelled', finished_at_ms = ?2,
                           error = 'cancelled while waiting for an approval' WHERE run_id = ?1",
                    )?
                    .execute(params![run_id, now])?;
                    tx.prepare_cached(
                        "UPDATE attempts SET status = 'cancelled', is_final = 1, finished_at_ms = ?2
                         WHERE run_id = ?1 AND status IN ('waiting', 'queued', 'running')",
                    )?
                    .execute(params![run_id, now])?;
                    Ok(())
                }
                Some("running" | "waiting") => {
                    tx.prepare_cached("UPDATE runs SET cancel_requested = 1 WHERE run_id = ?1")?
                        .execute([run_id])?;
                    Ok(())
                }
                Some(other) => Err(StoreError::NotRunning {
                    run_id: run_id.to_string(),
                    status: other.to_string(),
                }),
            }
        })
    }

    /// Whether someone asked this run to stop. One primary-key lookup.
    pub fn cancel_requested(&self, run_id: &str) -> Result<bool> {
        let conn = self.conn();
        db::retry(|| {
            conn.prepare_cached("SELECT cancel_requested FROM runs WHERE run_id = ?1")?
                .query_row([run_id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StoreError::RunNotFound(run_id.to_string()))
        })
    }

    /// Polls [`Store::cancel_requested`] every `every` and cancels `token`
    /// when the flag is set. Returns when it did, or when `token` is
    /// cancelled by someone else. Spawn it next to the run.
    pub async fn watch_cancel(
        self: Arc<Self>,
        run_id: String,
        token: CancellationToken,
        every: Duration,
    ) {
        loop {
            tokio::select! {
                () = token.cancelled() => return,
                () = tokio::time::sleep(every) => {
                    if matches!(self.cancel_requested(&run_id), Ok(true)) {
                        token.cancel();
                        return;
                    }
                }
            }
        }
    }

    /// Deletes finished runs (never `running` ones) beyond the newest
    /// `keep`, and/or started more than `older_than_days` ago, with all
    /// their rows, then workflows no run refers to. Returns how many runs.
    /// The file does not shrink (no VACUUM); freed pages are reused.
    pub fn prune(&self, keep: Option<usize>, older_than_days: Option<u64>) -> Result<usize> {
        if keep.is_none() && older_than_days.is_none() {
            return Ok(0);
        }
        let keep = keep.map(|k| i64::try_from(k).unwrap_or(i64::MAX));
        let cutoff =
            older_than_days.map(|d| now_ms().saturating_sub(d.saturating_mul(86_400_000)) as i64);
        db::write(&mut self.conn(), |tx| {
            let deleted = tx
                .prepare_cached(
                    "DELETE FROM runs WHERE status <> 'running' AND (
                       (?1 IS NOT NULL AND run_id NOT IN (
                          SELECT run_id FROM runs ORDER BY started_at_ms DESC, run_id DESC LIMIT ?1))
                       OR (?2 IS NOT NULL AND started_at_ms < ?2))",
                )?
                .execute(params![keep, cutoff])?;
            if deleted > 0 {
                tx.prepare_cached(
                    "DELETE FROM workflows WHERE NOT EXISTS
                       (SELECT 1 FROM runs WHERE runs.workflow_hash = workflows.hash)",
                )?
                .execute([])?;
            }
            Ok(deleted)
        })
    }

    /// Durations (ms) of the last `limit` successful attempts of a step of
    /// a workflow, newest first. Results reused from other runs are not
    /// attempts and do not count. `time_scaled` (a `sim` step): each
    /// duration is divided by its run's time scale, giving file time; runs
    /// at scale 0 say nothing about it and are left out.
    pub fn recent_durations(
        &self,
        workflow_id: &str,
        step_id: &str,
        limit: usize,
        time_scaled: bool,
    ) -> Result<Vec<u64>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let conn = self.conn();
        db::retry(|| {
            let mut stmt = conn.prepare_cached(
                "SELECT COALESCE(a.duration_ms, a.finished_at_ms - a.started_at_ms), r.time_scale
                 FROM attempts a JOIN runs r ON r.run_id = a.run_id
                 WHERE a.workflow_id = ?1 AND a.step = ?2 AND a.status = 'succeeded'
                   AND a.reused_from IS NULL AND (?4 = 0 OR r.time_scale > 0)
                 ORDER BY a.finished_at_ms DESC LIMIT ?3",
            )?;
            let rows = stmt
                .query_map(params![workflow_id, step_id, limit, time_scaled], |r| {
                    Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, f64>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows
                .into_iter()
                .filter_map(|(ms, scale)| {
                    let ms = ms?.max(0) as f64;
                    Some(if time_scaled { ms / scale } else { ms }.round() as u64)
                })
                .collect())
        })
    }

    /// Rounds the loop entered at `to` ran in each of the last `limit`
    /// finished runs of a workflow (1 where no `loop_round` was recorded),
    /// newest first.
    pub fn recent_loop_rounds(
        &self,
        workflow_id: &str,
        to: &str,
        limit: usize,
    ) -> Result<Vec<u32>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let conn = self.conn();
        db::retry(|| {
            let mut stmt = conn.prepare_cached(
                "SELECT COALESCE(MAX(json_extract(e.payload, '$.round')), 1)
                 FROM runs r LEFT JOIN events e ON e.run_id = r.run_id
                   AND e.type = 'loop_round' AND json_extract(e.payload, '$.to') = ?2
                 WHERE r.workflow_id = ?1 AND r.status NOT IN ('running', 'waiting')
                 GROUP BY r.run_id ORDER BY r.started_at_ms DESC LIMIT ?3",
            )?;
            let rows = stmt
                .query_map(params![workflow_id, to, limit], |r| r.get::<_, u32>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Median duration of the last `window` successful attempts of a step
    /// (the mean of the middle two for an even count); see
    /// [`Store::recent_durations`] for `time_scaled`.
    pub fn median_duration_ms(
        &self,
        workflow_id: &str,
        step_id: &str,
        window: usize,
        time_scaled: bool,
    ) -> Result<Option<u64>> {
        let durations = self.recent_durations(workflow_id, step_id, window, time_scaled)?;
        Ok(median(durations))
    }
}

/// The planner's run history: the median of a step's last
/// [`HISTORY_WINDOW`] successful attempts. A store error means "no
/// history" (the plan falls back to estimates).
impl History for Store {
    fn duration_ms(&self, workflow_id: &str, step_id: &str, time_scaled: bool) -> Option<u64> {
        self.median_duration_ms(workflow_id, step_id, HISTORY_WINDOW, time_scaled)
            .ok()
            .flatten()
    }

    fn loop_rounds(&self, workflow_id: &str, to: &str) -> Option<u32> {
        let rounds = self
            .recent_loop_rounds(workflow_id, to, HISTORY_WINDOW)
            .ok()?;
        median(rounds.into_iter().map(u64::from).collect()).map(|r| r as u32)
    }
}

/// The median (the mean of the middle two, rounded up, for an even count).
fn median(mut values: Vec<u64>) -> Option<u64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]).div_ceil(2)),
    }
}

/// Whether the process that owns a run is alive.
fn owner_alive(tx: &rusqlite::Transaction<'_>, run_id: &str) -> Result<bool> {
    let (owner, marker): (Option<u32>, Option<String>) = tx
        .prepare_cached("SELECT owner_pid, owner_start FROM runs WHERE run_id = ?1")?
        .query_row([run_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(owner.is_some_and(|o| liveness::is_alive(o, marker.as_deref())))
}

/// sha256 of bytes, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}
