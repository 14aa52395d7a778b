//! Cached run digests (migration 0003): the small per-run summary that
//! trend reports and regression checks read, so a report over 10,000 runs
//! reads 10,000 short rows rather than re-folding every run's events.

use braid_analytics::RunDigest;
use braid_engine::events::RunStatus;
use braid_model::Validation;
use rusqlite::{OptionalExtension, params};

use crate::db;
use crate::error::{Result, StoreError};
use crate::store::Store;

impl Store {
    /// Stores (or replaces) a run's digest.
    pub fn save_digest(&self, digest: &RunDigest) -> Result<()> {
        let json = serde_json::to_string(digest)?;
        db::write(&mut self.conn(), |tx| {
            tx.prepare_cached(
                "INSERT INTO digests (run_id, workflow_id, started_at_ms, digest) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (run_id) DO UPDATE SET digest = excluded.digest",
            )?
            .execute(params![digest.run_id, digest.workflow_id, digest.started_at_ms as i64, json])?;
            Ok(())
        })
    }

    /// A finished run's digest: the cached one, else computed from its
    /// events and cached. `None` while the run is still going.
    pub fn digest(&self, run_id: &str) -> Result<Option<RunDigest>> {
        let cached: Option<String> = {
            let conn = self.conn();
            db::retry(|| {
                Ok(conn
                    .prepare_cached("SELECT digest FROM digests WHERE run_id = ?1")?
                    .query_row([run_id], |r| r.get(0))
                    .optional()?)
            })?
        };
        if let Some(json) = cached {
            return Ok(Some(serde_json::from_str(&json)?));
        }
        let record = self.run_record(run_id)?;
        if record.run.status == RunStatus::Running {
            return Ok(None);
        }
        let source = record
            .workflow_source
            .clone()
            .ok_or_else(|| StoreError::NoWorkflow(run_id.to_string()))?;
        let Validation::Valid(valid) = braid_model::load(source.as_bytes()) else {
            return Err(StoreError::BadWorkflow {
                run_id: run_id.to_string(),
                message: "no longer valid".into(),
            });
        };
        let events = self.run_events(run_id)?;
        let mut digest = braid_analytics::digest(&valid, &events);
        // The row is the authority on identity (a run with no RunStarted
        // event left, e.g. one that died at once, still has its id).
        digest.run_id = run_id.to_string();
        digest.workflow_id = record.run.workflow_id.clone();
        self.save_digest(&digest)?;
        Ok(Some(digest))
    }

    /// Digests of a workflow's finished runs, newest first (computed and
    /// cached for runs that have none yet).
    pub fn workflow_digests(&self, workflow_id: &str, limit: usize) -> Result<Vec<RunDigest>> {
        let runs = self.list_runs(Some(workflow_id), None, limit)?;
        let mut digests = Vec::with_capacity(runs.len());
        for run in runs {
            if run.status == RunStatus::Running {
                continue;
            }
            if let Some(digest) = self.digest(&run.run_id)? {
                digests.push(digest);
            }
        }
        Ok(digests)
    }
}
