//! Crash recovery, run when a store is opened: runs whose owner process is
//! gone become `interrupted`, their running attempts too, and the process
//! groups those attempts left behind are killed.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::error::Result;
use crate::records::Recovery;
use crate::{db, ingest, liveness};

type Owner = (Option<u32>, Option<String>);

fn owner_alive(owner: &Owner) -> bool {
    match owner {
        (Some(pid), marker) => liveness::is_alive(*pid, marker.as_deref()),
        // No owner recorded: nobody can be running it.
        (None, _) => false,
    }
}

pub(crate) fn recover(conn: &mut Connection) -> Result<Recovery> {
    // A read first: the common case (nothing to recover) takes no write lock.
    let candidates: Vec<(String, Owner)> = db::retry(|| {
        let mut stmt = conn.prepare_cached(
            "SELECT run_id, owner_pid, owner_start FROM runs WHERE status = 'running'",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })?;
    let dead: Vec<String> = candidates
        .into_iter()
        .filter(|(_, owner)| !owner_alive(owner))
        .map(|(run, _)| run)
        .collect();
    if dead.is_empty() {
        return Ok(Recovery::default());
    }
    // Kills are side effects outside the transaction: remember them across
    // a retried attempt.
    let mut killed: Vec<i32> = Vec::new();
    let mut report = db::write(conn, |tx| {
        let mut report = Recovery::default();
        for run in &dead {
            // Under the write lock, check again: another process may have
            // recovered or resumed it meanwhile.
            let row: Option<(String, Owner)> = tx
                .prepare_cached(
                    "SELECT status, owner_pid, owner_start FROM runs WHERE run_id = ?1",
                )?
                .query_row([run], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
                .optional()?;
            let Some((status, owner)) = row else { continue };
            if status != "running" || owner_alive(&owner) {
                continue;
            }
            let groups: Vec<(i32, Option<u32>, Option<String>)> = tx
                .prepare_cached(
                    "SELECT pgid, pid, process_start FROM attempts
                     WHERE run_id = ?1 AND status = 'running' AND is_final = 0 AND pgid IS NOT NULL",
                )?
                .query_map([run], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (pgid, pid, marker) in groups {
                if liveness::kill_attempt_group(pgid, pid, marker.as_deref())
                    && !killed.contains(&pgid)
                {
                    killed.push(pgid);
                }
            }
            report.interrupted_attempts += interrupt_attempts(tx, run)?;
            let pid = owner
                .0
                .map_or_else(|| "unknown".to_string(), |p| p.to_string());
            tx.prepare_cached(
                "UPDATE runs SET status = 'interrupted',
                   finished_at_ms = COALESCE((SELECT MAX(at_ms) FROM events WHERE run_id = ?1), started_at_ms),
                   error = COALESCE(error, ?2)
                 WHERE run_id = ?1",
            )?
            .execute(params![
                run,
                format!("the process running it (pid {pid}) ended without finishing the run")
            ])?;
            report.interrupted_runs.push(run.clone());
        }
        Ok(report)
    })?;
    report.killed_groups = killed;
    Ok(report)
}

/// Marks a run's attempts that were running as `interrupted` (and queued
/// ones, which never started, as `cancelled`, not final); derives their
/// steps' metrics again. Returns how many were running.
pub(crate) fn interrupt_attempts(tx: &Transaction<'_>, run: &str) -> Result<usize> {
    let steps: Vec<String> = tx
        .prepare_cached(
            "SELECT DISTINCT step FROM attempts
             WHERE run_id = ?1 AND is_final = 0 AND status IN ('running', 'queued')",
        )?
        .query_map([run], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let end = "COALESCE((SELECT MAX(at_ms) FROM events WHERE run_id = ?1), finished_at_ms, started_at_ms)";
    let interrupted = tx
        .prepare_cached(&format!(
            "UPDATE attempts SET status = 'interrupted', finished_at_ms = {end}
             WHERE run_id = ?1 AND is_final = 0 AND status = 'running'"
        ))?
        .execute([run])?;
    tx.prepare_cached(
        "UPDATE attempts SET status = 'cancelled',
           error = COALESCE(error, 'the run was interrupted before this attempt started')
         WHERE run_id = ?1 AND is_final = 0 AND status = 'queued'",
    )?
    .execute([run])?;
    for step in steps {
        ingest::derive_step_metrics(tx, run, &step, None)?;
    }
    Ok(interrupted)
}
