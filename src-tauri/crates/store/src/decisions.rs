//! People's decisions on `approval` steps (format revision 2).
//!
//! A waiting attempt records its request here ([`Store::request_approval`])
//! and polls for the decision ([`Store::decision`]); `braid approve` and the
//! app record one ([`Store::decide`]) from any process. Requests outlive the
//! process that made them: a resumed run finds its request, its deadline
//! and any decision made while no process followed the run.

use braid_engine::agents::approval::{ApprovalKey, ApprovalRequest, Decision};
use braid_engine::events::now_ms;
use braid_model::model::JsonMap;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::db;
use crate::error::Result;
use crate::store::Store;

/// A request still waiting for a person, as `braid runs`/the app list it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PendingDecision {
    pub run_id: String,
    pub step: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<u32>,
    /// The rounds of the loops around the step ("1" outside loops).
    pub rounds: String,
    pub prompt: String,
    /// The step's `show` keys and their values.
    pub shown: JsonMap,
    pub requested_at_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
}

/// Why a decision could not be recorded (`braid approve` exits 2 with it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotDecidable {
    /// No such run.
    NoRun,
    /// The run is not waiting for this step (its status, and the steps it does wait for).
    NotWaiting {
        status: String,
        waiting: Vec<String>,
    },
    /// Someone decided already.
    AlreadyDecided { by: String },
    /// The deadline passed.
    PastDeadline { deadline_ms: u64 },
}

impl std::fmt::Display for NotDecidable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotDecidable::NoRun => write!(f, "no such run in the store"),
            NotDecidable::NotWaiting { status, waiting } if waiting.is_empty() => {
                write!(f, "the run is {status} and waits for no approval")
            }
            NotDecidable::NotWaiting { waiting, .. } => {
                write!(
                    f,
                    "that step is not waiting; the run waits for: {}",
                    waiting.join(", ")
                )
            }
            NotDecidable::AlreadyDecided { by } => write!(f, "{by} already decided it"),
            NotDecidable::PastDeadline { deadline_ms } => write!(
                f,
                "its deadline passed at {}",
                braid_engine::run::summary::rfc3339(*deadline_ms)
            ),
        }
    }
}

fn element_key(element: Option<u32>) -> i64 {
    element.map_or(-1, i64::from)
}

impl Store {
    /// Records a request, or finds the one an earlier attempt made (its
    /// time and deadline kept). Returns the deadline.
    pub fn request_approval(&self, request: &ApprovalRequest) -> Result<Option<u64>> {
        let now = now_ms();
        let deadline = request.timeout_ms.map(|t| now.saturating_add(t));
        let shown = serde_json::to_string(&request.shown)?;
        let key = &request.key;
        db::write(&mut self.conn(), |tx| {
            tx.prepare_cached(
                "INSERT INTO approval_requests
                   (run_id, step, element, rounds, prompt, shown, requested_at_ms, deadline_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (run_id, step, element, rounds) DO NOTHING",
            )?
            .execute(params![
                request.run_id,
                key.step,
                element_key(key.element),
                key.rounds,
                request.prompt,
                shown,
                now as i64,
                deadline.map(|d| d as i64)
            ])?;
            let deadline: Option<i64> = tx
                .prepare_cached(
                    "SELECT deadline_ms FROM approval_requests
                     WHERE run_id = ?1 AND step = ?2 AND element = ?3 AND rounds = ?4",
                )?
                .query_row(
                    params![
                        request.run_id,
                        key.step,
                        element_key(key.element),
                        key.rounds
                    ],
                    |r| r.get(0),
                )?;
            Ok(deadline.map(|d| d.max(0) as u64))
        })
    }

    /// The decision on a request, once someone made it.
    pub fn decision(&self, run_id: &str, key: &ApprovalKey) -> Result<Option<Decision>> {
        let conn = self.conn();
        db::retry(|| {
            Ok(conn
                .prepare_cached(
                    "SELECT approved, score, note, decided_by, decided_at_ms FROM approval_requests
                     WHERE run_id = ?1 AND step = ?2 AND element = ?3 AND rounds = ?4
                       AND decided_at_ms IS NOT NULL",
                )?
                .query_row(
                    params![run_id, key.step, element_key(key.element), key.rounds],
                    |r| {
                        Ok(Decision {
                            approved: r.get(0)?,
                            score: r.get(1)?,
                            note: r.get(2)?,
                            by: r.get(3)?,
                            at_ms: r.get::<_, i64>(4)?.max(0) as u64,
                        })
                    },
                )
                .optional()?)
        })
    }

    /// Requests of a run still waiting for a decision, oldest first.
    pub fn pending_decisions(&self, run_id: Option<&str>) -> Result<Vec<PendingDecision>> {
        let conn = self.conn();
        db::retry(|| {
            let mut stmt = conn.prepare_cached(
                "SELECT q.run_id, q.step, q.element, q.rounds, q.prompt, q.shown,
                        q.requested_at_ms, q.deadline_ms
                 FROM approval_requests q JOIN runs r ON r.run_id = q.run_id
                 WHERE q.decided_at_ms IS NULL AND (?1 IS NULL OR q.run_id = ?1)
                   AND r.status IN ('running', 'waiting')
                 ORDER BY q.requested_at_ms, q.step, q.element",
            )?;
            let rows = stmt
                .query_map(params![run_id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, i64>(6)?,
                        r.get::<_, Option<i64>>(7)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(
                    |(run_id, step, element, rounds, prompt, shown, at, deadline)| {
                        Ok(PendingDecision {
                            run_id,
                            step,
                            element: u32::try_from(element).ok(),
                            rounds,
                            prompt,
                            shown: serde_json::from_str(&shown)?,
                            requested_at_ms: at.max(0) as u64,
                            deadline_ms: deadline.map(|d| d.max(0) as u64),
                        })
                    },
                )
                .collect()
        })
    }

    /// Records a person's decision on the pending request of `step` (and
    /// map `element`) of a run: the latest round's. `Ok(Err(why))` when it
    /// cannot be decided; the decision as recorded otherwise.
    pub fn decide(
        &self,
        run_id: &str,
        step: &str,
        element: Option<u32>,
        decision: &Decision,
    ) -> Result<std::result::Result<PendingDecision, NotDecidable>> {
        let pending = self.pending_decisions(Some(run_id))?;
        let status: Option<String> = {
            let conn = self.conn();
            db::retry(|| {
                Ok(conn
                    .prepare_cached("SELECT status FROM runs WHERE run_id = ?1")?
                    .query_row([run_id], |r| r.get(0))
                    .optional()?)
            })?
        };
        let Some(status) = status else {
            return Ok(Err(NotDecidable::NoRun));
        };
        let Some(request) = pending
            .iter()
            .rev()
            .find(|p| p.step == step && p.element == element)
            .cloned()
        else {
            let waiting = pending
                .iter()
                .map(|p| match p.element {
                    Some(e) => format!("{}#{e}", p.step),
                    None => p.step.clone(),
                })
                .collect();
            return Ok(Err(NotDecidable::NotWaiting { status, waiting }));
        };
        if let Some(deadline) = request.deadline_ms.filter(|&d| decision.at_ms >= d) {
            return Ok(Err(NotDecidable::PastDeadline {
                deadline_ms: deadline,
            }));
        }
        let changed = db::write(&mut self.conn(), |tx| {
            Ok(tx
                .prepare_cached(
                    "UPDATE approval_requests
                     SET decided_at_ms = ?5, decided_by = ?6, approved = ?7, score = ?8, note = ?9
                     WHERE run_id = ?1 AND step = ?2 AND element = ?3 AND rounds = ?4
                       AND decided_at_ms IS NULL",
                )?
                .execute(params![
                    run_id,
                    step,
                    element_key(element),
                    request.rounds,
                    decision.at_ms as i64,
                    decision.by,
                    decision.approved,
                    decision.score,
                    decision.note
                ])?)
        })?;
        if changed == 0 {
            // Someone else decided between the read and the write.
            let key = ApprovalKey {
                step: step.to_string(),
                element,
                rounds: request.rounds.clone(),
            };
            let by = self
                .decision(run_id, &key)?
                .map_or_else(|| "someone".to_string(), |d| d.by);
            return Ok(Err(NotDecidable::AlreadyDecided { by }));
        }
        Ok(Ok(request))
    }
}

/// The store is where approval steps wait: requests and decisions are rows
/// every process sees.
impl braid_engine::agents::approval::ApprovalDesk for Store {
    fn request(&self, request: &ApprovalRequest) -> std::result::Result<Option<u64>, String> {
        self.request_approval(request)
            .map_err(|e| format!("cannot record the approval request: {e}"))
    }

    fn decision(
        &self,
        run_id: &str,
        key: &ApprovalKey,
    ) -> std::result::Result<Option<Decision>, String> {
        Store::decision(self, run_id, key).map_err(|e| format!("cannot read the decision: {e}"))
    }
}
