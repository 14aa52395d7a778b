//! Mapping events into rows, inside the writer's transaction.
//!
//! Every event goes verbatim into `events`; the ones that say something
//! about a run, an attempt, a group or the context also update those
//! tables. An event whose (run, seq) is already stored is skipped entirely,
//! so replaying a stream is harmless.
//!
//! Attempt rows are not written event by event: each event that touches an
//! attempt becomes a *patch* (per column: keep, set, or set-if-null), the
//! patches of one attempt are composed in memory, and each attempt touched
//! by a transaction is written once, as one upsert, at its end. A step's
//! queue → start → spawn → end → success sequence that arrives in one
//! transaction costs one row write instead of five (under load most of it
//! does), and events may arrive for an attempt the store has not seen
//! start (a writer attached late) without failing the batch.

use std::collections::HashMap;

use braid_engine::events::{AttemptRef, Event, EventKind};
use rusqlite::types::Value;
use rusqlite::{CachedStatement, Transaction, params, params_from_iter};

use crate::error::Result;

/// Whether an event should be committed without lingering: completions
/// (downstream work waits for them), process spawns (recovery must know
/// what to kill), and run boundaries.
pub(crate) fn is_urgent(kind: &EventKind) -> bool {
    !matches!(
        kind,
        EventKind::StepQueued { .. }
            | EventKind::StepStarted { .. }
            | EventKind::OutputLine { .. }
            | EventKind::ContextWrite { .. }
            | EventKind::StepRetrying { .. }
            | EventKind::GroupStarted { .. }
            | EventKind::Warning { .. }
    )
}

/// `type` of a serialized event: the internally tagged enum writes its tag
/// first, so this reads `{"type":"…"` without parsing the rest.
fn type_of(payload: &str) -> &str {
    payload
        .strip_prefix("{\"type\":\"")
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("unknown")
}

// ------------------------------------------------------------ statements

/// The writer's statements, prepared once per transaction.
#[derive(Clone, Copy)]
enum Q {
    Event,
    EnsureRun,
    RunWorkflow,
    RunStarted,
    RunResumed,
    RunFinished,
    Attempt,
    CancelUnstarted,
    Reused,
    ContextWrite,
    GroupAggregated,
    RunWaiting,
}

const STATEMENTS: usize = 12;

/// SQL of each [`Q`], in order.
const SQL: [&str; STATEMENTS] = [
    // Event
    "INSERT OR IGNORE INTO events (run_id, seq, at_ms, type, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
    // EnsureRun
    "INSERT OR IGNORE INTO runs (run_id, workflow_id, status, started_at_ms, owner_pid, owner_start)
     VALUES (?1, ?2, 'running', ?3, ?4, ?5)",
    // RunWorkflow
    "SELECT workflow_id FROM runs WHERE run_id = ?1",
    // RunStarted
    "UPDATE runs SET workflow_id = ?2, inputs = ?3, time_scale = ?4, status = 'running',
     started_at_ms = ?5, finished_at_ms = NULL, error = NULL, owner_pid = ?6, owner_start = ?7
     WHERE run_id = ?1",
    // RunResumed
    "UPDATE runs SET status = 'running', finished_at_ms = NULL, error = NULL,
     cancel_requested = 0, owner_pid = ?2, owner_start = ?3 WHERE run_id = ?1",
    // RunFinished
    "UPDATE runs SET status = ?2, error = ?3, finished_at_ms = ?4 WHERE run_id = ?1",
    // Attempt: see `attempt_upsert_sql`
    "",
    // CancelUnstarted
    "UPDATE attempts SET status = 'cancelled', is_final = 1,
       finished_at_ms = COALESCE(finished_at_ms, ?4)
     WHERE run_id = ?1 AND step = ?2 AND element = ?3 AND status IN ('queued', 'running')",
    // Reused
    "INSERT INTO attempts (run_id, step, element, attempt, workflow_id, status, reused_from)
     VALUES (?1, ?2, ?3, ?4, ?5, 'reused', ?6)
     ON CONFLICT (run_id, step, element, attempt) DO NOTHING",
    // ContextWrite: the audit trail lists changes, so a write that restates
    // the key's last recorded value by the same writer (what `resume` does
    // when it replays the completions it reuses) is not recorded again.
    "INSERT OR IGNORE INTO context_writes (run_id, seq, at_ms, writer, key, old_value, new_value)
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
     WHERE NOT EXISTS (
       SELECT 1 FROM (SELECT writer, new_value FROM context_writes
                      WHERE run_id = ?1 AND key = ?5 ORDER BY seq DESC LIMIT 1) last
       WHERE last.writer = ?4 AND last.new_value = ?7)",
    // GroupAggregated
    "INSERT OR IGNORE INTO group_aggregations (run_id, seq, group_id, outcome, score, approved, at_ms)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    // RunWaiting: only a live run changes between running and waiting.
    "UPDATE runs SET status = CASE WHEN ?2 THEN 'waiting' ELSE 'running' END
     WHERE run_id = ?1 AND status IN ('running', 'waiting')",
];

/// Statements of one transaction, each prepared on first use: saves the
/// statement cache's lookup (hashing the SQL) on every event.
pub(crate) struct Stmts<'t> {
    tx: &'t Transaction<'t>,
    slots: [Option<CachedStatement<'t>>; STATEMENTS],
}

impl<'t> Stmts<'t> {
    pub(crate) fn new(tx: &'t Transaction<'t>) -> Self {
        Stmts {
            tx,
            slots: std::array::from_fn(|_| None),
        }
    }

    fn get(&mut self, q: Q) -> Result<&mut CachedStatement<'t>> {
        let slot = &mut self.slots[q as usize];
        if slot.is_none() {
            let sql = match q {
                Q::Attempt => attempt_upsert_sql(),
                _ => SQL[q as usize],
            };
            *slot = Some(self.tx.prepare_cached(sql)?);
        }
        Ok(slot.as_mut().expect("prepared above"))
    }
}

// ------------------------------------------------------------ attempt patches

/// The attempt columns a patch can touch, in statement order.
#[derive(Clone, Copy)]
enum Col {
    Status,
    IsFinal,
    QueuedAt,
    StartedAt,
    FinishedAt,
    DurationMs,
    ExitCode,
    Score,
    Approved,
    Outputs,
    Error,
    StdoutTail,
    StderrTail,
    Pid,
    Pgid,
    ProcessStart,
    RetryDelayMs,
    Round,
    Recommendations,
    Errors,
}

const COLS: [&str; 20] = [
    "status",
    "is_final",
    "queued_at_ms",
    "started_at_ms",
    "finished_at_ms",
    "duration_ms",
    "exit_code",
    "score",
    "approved",
    "outputs",
    "error",
    "stdout_tail",
    "stderr_tail",
    "pid",
    "pgid",
    "process_start",
    "retry_delay_ms",
    "round",
    "recommendations",
    "errors",
];

/// What an event does to one column of an attempt row.
#[derive(Clone, Debug, Default, PartialEq)]
enum Op {
    #[default]
    Keep,
    Set(Value),
    /// Set only where the column is NULL (a first value wins).
    Default(Value),
}

impl Op {
    /// `self` followed by `later`, as one op.
    fn then(self, later: Op) -> Op {
        match (self, later) {
            (a, Op::Keep) => a,
            (_, Op::Set(v)) => Op::Set(v),
            (Op::Keep, Op::Default(v)) => Op::Default(v),
            (Op::Set(Value::Null), Op::Default(v)) => Op::Set(v),
            (Op::Set(x), Op::Default(_)) => Op::Set(x),
            (Op::Default(Value::Null), Op::Default(v)) => Op::Default(v),
            (Op::Default(x), Op::Default(_)) => Op::Default(x),
        }
    }

    /// Mode parameter of the upsert: 0 keep, 1 set, 2 set if NULL.
    fn mode(&self) -> i64 {
        match self {
            Op::Keep => 0,
            Op::Set(_) => 1,
            Op::Default(_) => 2,
        }
    }

    fn value(&self) -> Value {
        match self {
            Op::Keep => Value::Null,
            Op::Set(v) | Op::Default(v) => v.clone(),
        }
    }
}

#[derive(Clone, Default)]
struct Patch {
    workflow_id: String,
    ops: [Op; COLS.len()],
}

impl Patch {
    fn set(&mut self, col: Col, value: impl Into<Value>) -> &mut Self {
        let op = std::mem::take(&mut self.ops[col as usize]);
        self.ops[col as usize] = op.then(Op::Set(value.into()));
        self
    }

    fn set_if_null(&mut self, col: Col, value: impl Into<Value>) -> &mut Self {
        let op = std::mem::take(&mut self.ops[col as usize]);
        self.ops[col as usize] = op.then(Op::Default(value.into()));
        self
    }

    fn clear(&mut self, cols: &[Col]) -> &mut Self {
        for &c in cols {
            self.set(c, Value::Null);
        }
        self
    }
}

type AttemptKey = (String, String, i64, u32);

/// The upsert that applies a composed patch: on insert each column takes
/// its value (a brand-new row starts NULL everywhere); on conflict each
/// column follows its mode.
fn attempt_upsert_sql() -> &'static str {
    use std::sync::OnceLock;
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        // ?1..?5: run, step, element, attempt, workflow; then per column
        // a (mode, value) pair.
        let values: Vec<String> = (0..COLS.len())
            .map(|i| {
                let v = 7 + 2 * i;
                match COLS[i] {
                    "status" => format!("COALESCE(?{v}, 'running')"),
                    "is_final" => format!("COALESCE(?{v}, 0)"),
                    _ => format!("?{v}"),
                }
            })
            .collect();
        let updates: Vec<String> = COLS
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let m = 6 + 2 * i;
                format!(
                    "{c} = CASE ?{m} WHEN 0 THEN attempts.{c} WHEN 1 THEN excluded.{c} \
                     ELSE COALESCE(attempts.{c}, excluded.{c}) END"
                )
            })
            .collect();
        format!(
            "INSERT INTO attempts (run_id, step, element, attempt, workflow_id, {})
             VALUES (?1, ?2, ?3, ?4, ?5, {})
             ON CONFLICT (run_id, step, element, attempt) DO UPDATE SET {}",
            COLS.join(", "),
            values.join(", "),
            updates.join(", ")
        )
    })
}

// ------------------------------------------------------------ the pass

/// Per-transaction state: composed attempt patches, which steps need their
/// metrics derived again, the runs made sure of, and counts.
#[derive(Default)]
pub(crate) struct Pass {
    patches: HashMap<AttemptKey, Patch>,
    /// (run, step) → status to use when the step has no attempts (skipped).
    dirty: HashMap<(String, String), Option<&'static str>>,
    /// Runs whose row this transaction has made sure of → their workflow id.
    runs: HashMap<String, String>,
    pub(crate) duplicates: u64,
    pub(crate) events: u64,
}

impl Pass {
    fn patch(&mut self, run_id: &str, wf: &str, at: &AttemptRef) -> &mut Patch {
        let key = (
            run_id.to_string(),
            at.step.clone(),
            at.element.map_or(-1, i64::from),
            at.attempt,
        );
        self.patches.entry(key).or_insert_with(|| Patch {
            workflow_id: wf.to_string(),
            ..Patch::default()
        })
    }

    fn dirty(&mut self, run_id: &str, step: &str, hint: Option<&'static str>) {
        self.dirty
            .insert((run_id.to_string(), step.to_string()), hint);
    }

    /// Writes every composed attempt patch (one upsert per attempt).
    fn flush_patches(&mut self, st: &mut Stmts<'_>) -> Result<()> {
        if self.patches.is_empty() {
            return Ok(());
        }
        let stmt = st.get(Q::Attempt)?;
        for ((run, step, element, attempt), patch) in self.patches.drain() {
            let mut values: Vec<Value> = Vec::with_capacity(5 + 2 * COLS.len());
            values.push(Value::Text(run));
            values.push(Value::Text(step));
            values.push(Value::Integer(element));
            values.push(Value::Integer(i64::from(attempt)));
            values.push(Value::Text(patch.workflow_id));
            for op in &patch.ops {
                values.push(Value::Integer(op.mode()));
                values.push(op.value());
            }
            stmt.execute(params_from_iter(values))?;
        }
        Ok(())
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn json_text<T: serde::Serialize>(v: &T) -> Result<Value> {
    Ok(Value::Text(serde_json::to_string(v)?))
}

/// Applies one run's batch of events.
pub(crate) fn apply(
    st: &mut Stmts<'_>,
    run_id: &str,
    batch: &[Event],
    owner: (u32, Option<&str>),
    pass: &mut Pass,
) -> Result<()> {
    let Some(first) = batch.first() else {
        return Ok(());
    };
    // The run row normally exists (`create_run`); make one from the events
    // when it does not, so nothing is lost and foreign keys hold. Once per
    // run and transaction.
    let mut workflow_id = match pass.runs.remove(run_id) {
        Some(wf) => wf,
        None => {
            let started_wf = batch.iter().find_map(|e| match &e.kind {
                EventKind::RunStarted { workflow_id, .. } => Some(workflow_id.as_str()),
                _ => None,
            });
            st.get(Q::EnsureRun)?.execute(params![
                run_id,
                started_wf.unwrap_or(""),
                first.at_ms as i64,
                owner.0,
                owner.1
            ])?;
            st.get(Q::RunWorkflow)?.query_row([run_id], |r| r.get(0))?
        }
    };
    for event in batch {
        let payload = serde_json::to_string(&event.kind)?;
        let inserted = st.get(Q::Event)?.execute(params![
            run_id,
            event.seq as i64,
            event.at_ms as i64,
            type_of(&payload),
            payload
        ])?;
        pass.events += 1;
        if inserted == 0 {
            pass.duplicates += 1;
            continue;
        }
        apply_one(st, run_id, &mut workflow_id, event, owner, pass)?;
    }
    pass.runs.insert(run_id.to_string(), workflow_id);
    Ok(())
}

fn apply_one(
    st: &mut Stmts<'_>,
    run_id: &str,
    workflow_id: &mut String,
    event: &Event,
    owner: (u32, Option<&str>),
    pass: &mut Pass,
) -> Result<()> {
    use Col::*;
    let t = event.at_ms as i64;
    let wf = workflow_id.as_str();
    match &event.kind {
        EventKind::RunStarted {
            workflow_id: id,
            inputs,
            time_scale,
            ..
        } => {
            st.get(Q::RunStarted)?.execute(params![
                run_id,
                id,
                serde_json::to_string(inputs)?,
                time_scale,
                t,
                owner.0,
                owner.1
            ])?;
            *workflow_id = id.clone();
        }
        EventKind::RunResumed { .. } => {
            st.get(Q::RunResumed)?
                .execute(params![run_id, owner.0, owner.1])?;
        }
        EventKind::RunFinished { status, error } => {
            st.get(Q::RunFinished)?
                .execute(params![run_id, status.as_str(), error, t])?;
        }
        EventKind::StepQueued { at } => {
            pass.patch(run_id, wf, at)
                .set(Status, text("queued"))
                .set(Round, i64::from(at.round))
                .set(IsFinal, 0)
                .set(QueuedAt, t);
        }
        EventKind::StepStarted { at } => {
            pass.patch(run_id, wf, at)
                .set(Status, text("running"))
                .set(Round, i64::from(at.round))
                .set(IsFinal, 0)
                .set(StartedAt, t)
                .clear(&[
                    FinishedAt, DurationMs, ExitCode, Outputs, Error, Score, Approved,
                ]);
        }
        EventKind::ProcessSpawned { at, pid, pgid } => {
            // Taken now, while the process is (almost certainly) alive: lets
            // recovery tell this group from a later one with the same number.
            let marker = crate::liveness::start_marker(*pid);
            pass.patch(run_id, wf, at)
                .set_if_null(Status, text("running"))
                .set(Pid, i64::from(*pid))
                .set(Pgid, i64::from(*pgid))
                .set(ProcessStart, marker.map_or(Value::Null, Value::Text));
        }
        EventKind::AttemptEnded {
            at,
            exit_code,
            stdout_tail,
            stderr_tail,
            duration_ms,
        } => {
            pass.patch(run_id, wf, at)
                .set_if_null(Status, text("running"))
                .set(ExitCode, exit_code.map_or(Value::Null, |c| c.into()))
                .set(StdoutTail, text(stdout_tail))
                .set(StderrTail, text(stderr_tail))
                .set(DurationMs, *duration_ms as i64);
        }
        EventKind::AttemptFailed {
            at,
            error,
            timed_out,
        } => {
            let status = if *timed_out { "timed_out" } else { "failed" };
            pass.patch(run_id, wf, at)
                .set(Status, text(status))
                .set(IsFinal, 0)
                .set(Error, text(error))
                .set(FinishedAt, t);
        }
        EventKind::StepRetrying { at, delay_ms, .. } => {
            pass.patch(run_id, wf, at)
                .set_if_null(Status, text("failed"))
                .set(RetryDelayMs, *delay_ms as i64);
        }
        EventKind::StepSucceeded {
            at,
            outputs,
            score,
            approved,
            recommendations,
            errors,
        } => {
            let outputs = json_text(outputs)?;
            let list = |l: &Vec<serde_json::Value>| -> Result<Value> {
                Ok(if l.is_empty() {
                    Value::Null
                } else {
                    Value::Text(serde_json::to_string(l)?)
                })
            };
            pass.patch(run_id, wf, at)
                .set(Status, text("succeeded"))
                .set(Round, i64::from(at.round))
                .set(Recommendations, list(recommendations)?)
                .set(Errors, list(errors)?)
                .set(IsFinal, 1)
                .set(Outputs, outputs)
                .set(Score, score.map_or(Value::Null, Value::Real))
                .set(Approved, approved.map_or(Value::Null, |a| a.into()))
                .set(Error, Value::Null)
                .set_if_null(FinishedAt, t);
            pass.dirty(run_id, &at.step, None);
        }
        EventKind::StepFailed { at, error }
        | EventKind::StepTimedOut { at, error }
        | EventKind::StepBlocked { at, error, .. } => {
            let status = match &event.kind {
                EventKind::StepFailed { .. } => "failed",
                EventKind::StepTimedOut { .. } => "timed_out",
                _ => "blocked",
            };
            final_attempt(pass.patch(run_id, wf, at), status, Some(error), t);
            pass.dirty(run_id, &at.step, None);
        }
        EventKind::ApprovalRequested { at, .. } => {
            pass.patch(run_id, wf, at)
                .set(Status, text("waiting"))
                .set(Round, i64::from(at.round));
        }
        EventKind::RunWaiting { waiting } => {
            st.get(Q::RunWaiting)?.execute(params![run_id, waiting])?;
        }
        EventKind::StepInterrupted { at } => {
            final_attempt(pass.patch(run_id, wf, at), "interrupted", None, t);
            pass.dirty(run_id, &at.step, None);
        }
        EventKind::StepCancelled {
            step,
            element,
            attempt,
            ..
        } => {
            match attempt {
                Some(n) => {
                    let at = AttemptRef {
                        round: 1,
                        step: step.clone(),
                        element: *element,
                        attempt: *n,
                    };
                    final_attempt(pass.patch(run_id, wf, &at), "cancelled", None, t);
                }
                None => {
                    // Depends on the rows' current status: write what is
                    // pending first.
                    pass.flush_patches(st)?;
                    st.get(Q::CancelUnstarted)?.execute(params![
                        run_id,
                        step,
                        element.map_or(-1, i64::from),
                        t
                    ])?;
                }
            }
            pass.dirty(run_id, step, Some("cancelled"));
        }
        EventKind::StepSkipped { step, .. } => pass.dirty(run_id, step, Some("skipped")),
        EventKind::StepReused { at, from_run } => {
            // Inserts only where no row exists: write what is pending first.
            pass.flush_patches(st)?;
            st.get(Q::Reused)?.execute(params![
                run_id,
                at.step,
                at.element.map_or(-1, i64::from),
                at.attempt,
                wf,
                from_run
            ])?;
        }
        EventKind::ContextWrite {
            writer,
            key,
            old,
            new,
            ..
        } => {
            let old = old.as_ref().map(serde_json::to_string).transpose()?;
            st.get(Q::ContextWrite)?.execute(params![
                run_id,
                event.seq as i64,
                t,
                writer,
                key,
                old,
                serde_json::to_string(new)?
            ])?;
        }
        EventKind::GroupAggregated {
            group,
            outcome,
            score,
            approved,
            ..
        } => {
            st.get(Q::GroupAggregated)?.execute(params![
                run_id,
                event.seq as i64,
                group,
                outcome.as_str(),
                score,
                approved,
                t
            ])?;
        }
        // Output lines, warnings, group starts and event kinds added later
        // live in `events` only.
        _ => {}
    }
    Ok(())
}

/// The attempt that ended its step: status, final, error (kept if none
/// given), finished (kept if already set: a replayed completion on resume
/// does not move it).
fn final_attempt(patch: &mut Patch, status: &str, error: Option<&String>, t: i64) {
    patch
        .set(Col::Status, text(status))
        .set(Col::IsFinal, 1)
        .set_if_null(Col::FinishedAt, t);
    if let Some(error) = error {
        patch.set(Col::Error, text(error));
    }
}

/// Ends a transaction's pass: writes the composed attempt rows, then
/// derives `step_metrics` for every step that reached a final state.
pub(crate) fn finish(st: &mut Stmts<'_>, pass: &mut Pass) -> Result<()> {
    pass.flush_patches(st)?;
    let mut by_run: HashMap<String, Vec<(String, Option<&'static str>)>> = HashMap::new();
    for ((run_id, step), hint) in pass.dirty.drain() {
        by_run.entry(run_id).or_default().push((step, hint));
    }
    for (run_id, steps) in by_run {
        derive_run_metrics(st.tx, &run_id, &steps)?;
    }
    Ok(())
}

/// Status precedence of a step from its elements' final attempts: the
/// worst wins, `running` while any runs (as `summarize` does).
const STATUS_RANK: &[&str] = &[
    "pending",
    "skipped",
    "succeeded",
    "cancelled",
    "interrupted",
    "timed_out",
    "failed",
    "blocked",
    "running",
];

/// The aggregate over one step's attempts (`{elements}` is filled in by
/// the caller: a correlated count for one step, a DISTINCT for a group).
const METRICS_COLUMNS: &str = "
    COUNT(*) FILTER (WHERE started_at_ms IS NOT NULL AND reused_from IS NULL),
    {elements},
    COALESCE(SUM(CASE WHEN started_at_ms IS NOT NULL AND queued_at_ms IS NOT NULL
                      THEN MAX(started_at_ms - queued_at_ms, 0) END), 0),
    COALESCE(SUM(duration_ms), 0),
    COALESCE(SUM(retry_delay_ms), 0),
    MIN(started_at_ms),
    MAX(finished_at_ms),
    MAX(CASE WHEN is_final = 1 OR status IN ('queued', 'running', 'interrupted') THEN
          CASE status WHEN 'queued' THEN 8 WHEN 'running' THEN 8 WHEN 'blocked' THEN 7
            WHEN 'failed' THEN 6 WHEN 'timed_out' THEN 5 WHEN 'interrupted' THEN 4
            WHEN 'cancelled' THEN 3 WHEN 'succeeded' THEN 2 ELSE 0 END END),
    COUNT(*),
    MAX(workflow_id)";

/// One step's aggregate, as read.
struct Aggregate {
    attempts: i64,
    elements: i64,
    queued: i64,
    run_ms: i64,
    retry: i64,
    start: Option<i64>,
    end: Option<i64>,
    rank: Option<i64>,
    rows: i64,
    workflow_id: Option<String>,
}

fn read_aggregate(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Aggregate> {
    Ok(Aggregate {
        attempts: r.get(first)?,
        elements: r.get(first + 1)?,
        queued: r.get(first + 2)?,
        run_ms: r.get(first + 3)?,
        retry: r.get(first + 4)?,
        start: r.get(first + 5)?,
        end: r.get(first + 6)?,
        rank: r.get(first + 7)?,
        rows: r.get(first + 8)?,
        workflow_id: r.get(first + 9)?,
    })
}

/// Above this many steps ending in one transaction, one grouped pass over
/// the run's attempts is cheaper than a query per step.
const GROUPED_FROM: usize = 8;

fn derive_run_metrics(
    tx: &Transaction<'_>,
    run_id: &str,
    steps: &[(String, Option<&'static str>)],
) -> Result<()> {
    if steps.len() < GROUPED_FROM {
        for (step, hint) in steps {
            derive_step_metrics(tx, run_id, step, *hint)?;
        }
        return Ok(());
    }
    let wanted: HashMap<&str, Option<&'static str>> =
        steps.iter().map(|(s, h)| (s.as_str(), *h)).collect();
    let sql = format!(
        "SELECT step, {} FROM attempts WHERE run_id = ?1 GROUP BY step",
        METRICS_COLUMNS.replace(
            "{elements}",
            "COUNT(DISTINCT CASE WHEN element >= 0 THEN element END)"
        )
    );
    let mut found: Vec<(String, Aggregate)> = Vec::with_capacity(steps.len());
    {
        let mut stmt = tx.prepare_cached(&sql)?;
        let mut rows = stmt.query([run_id])?;
        while let Some(row) = rows.next()? {
            let step: String = row.get(0)?;
            if wanted.contains_key(step.as_str()) {
                found.push((step, read_aggregate(row, 1)?));
            }
        }
    }
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (step, aggregate) in found {
        write_metrics(tx, run_id, &step, wanted[step.as_str()], aggregate)?;
        seen.insert(step);
    }
    // Steps with no attempts at all (skipped, cancelled before queueing).
    for (step, hint) in steps {
        if !seen.contains(step) {
            write_metrics(tx, run_id, step, *hint, Aggregate::empty())?;
        }
    }
    Ok(())
}

impl Aggregate {
    fn empty() -> Self {
        Aggregate {
            attempts: 0,
            elements: 0,
            queued: 0,
            run_ms: 0,
            retry: 0,
            start: None,
            end: None,
            rank: None,
            rows: 0,
            workflow_id: None,
        }
    }
}

/// Derives one step's `step_metrics` row from its attempts.
pub(crate) fn derive_step_metrics(
    tx: &Transaction<'_>,
    run_id: &str,
    step: &str,
    hint: Option<&'static str>,
) -> Result<()> {
    let sql = format!(
        "SELECT {} FROM attempts WHERE run_id = ?1 AND step = ?2",
        METRICS_COLUMNS.replace(
            "{elements}",
            "(SELECT COUNT(*) FROM (SELECT DISTINCT element FROM attempts
               WHERE run_id = ?1 AND step = ?2 AND element >= 0))"
        )
    );
    let aggregate = tx
        .prepare_cached(&sql)?
        .query_row(params![run_id, step], |r| read_aggregate(r, 0))?;
    write_metrics(tx, run_id, step, hint, aggregate)
}

fn write_metrics(
    tx: &Transaction<'_>,
    run_id: &str,
    step: &str,
    hint: Option<&'static str>,
    a: Aggregate,
) -> Result<()> {
    let status = match (a.rows, a.rank) {
        (0, _) | (_, None) => hint.unwrap_or("pending"),
        (_, Some(rank)) => STATUS_RANK
            .get(rank.clamp(0, STATUS_RANK.len() as i64 - 1) as usize)
            .copied()
            .unwrap_or("pending"),
    };
    let wf = match a.workflow_id {
        Some(wf) => wf,
        None => tx
            .prepare_cached("SELECT workflow_id FROM runs WHERE run_id = ?1")?
            .query_row([run_id], |r| r.get(0))?,
    };
    let duration = match (a.start, a.end) {
        (Some(s), Some(e)) => (e - s).max(0),
        _ => 0,
    };
    tx.prepare_cached(
        "INSERT OR REPLACE INTO step_metrics (run_id, step, workflow_id, status, attempts, elements,
           queued_ms, run_ms, retry_ms, duration_ms, started_at_ms, finished_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        run_id, step, wf, status, a.attempts, a.elements, a.queued, a.run_ms, a.retry,
        duration, a.start, a.end
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_is_read_from_the_serialized_tag() {
        let kind = EventKind::StepSkipped {
            round: 1,
            step: "a".into(),
            reason: "r".into(),
        };
        let payload = serde_json::to_string(&kind).unwrap();
        assert_eq!(type_of(&payload), "step_skipped");
        assert_eq!(type_of("{}"), "unknown");
    }

    #[test]
    fn completions_are_urgent_and_output_lines_are_not() {
        let at = AttemptRef {
            round: 1,
            step: "a".into(),
            element: None,
            attempt: 1,
        };
        assert!(is_urgent(&EventKind::StepSucceeded {
            recommendations: Vec::new(),
            errors: Vec::new(),
            at: at.clone(),
            outputs: Default::default(),
            score: None,
            approved: None,
        }));
        assert!(is_urgent(&EventKind::RunFinished {
            status: braid_engine::events::RunStatus::Succeeded,
            error: None
        }));
        assert!(!is_urgent(&EventKind::OutputLine {
            at,
            stream: braid_engine::events::Stream::Stdout,
            line: "x".into()
        }));
    }

    #[test]
    fn ops_compose_like_the_statements_they_replace() {
        let v = |i: i64| Value::Integer(i);
        // A later set wins.
        assert_eq!(Op::Set(v(1)).then(Op::Set(v(2))), Op::Set(v(2)));
        // Keep changes nothing.
        assert_eq!(Op::Set(v(1)).then(Op::Keep), Op::Set(v(1)));
        assert_eq!(Op::Keep.then(Op::Default(v(2))), Op::Default(v(2)));
        // Set-if-null after a set: only fills a NULL.
        assert_eq!(Op::Set(v(1)).then(Op::Default(v(2))), Op::Set(v(1)));
        assert_eq!(Op::Set(Value::Null).then(Op::Default(v(2))), Op::Set(v(2)));
        // Two set-if-nulls: the first non-NULL wins.
        assert_eq!(Op::Default(v(1)).then(Op::Default(v(2))), Op::Default(v(1)));
    }

    /// Runs `events` through the writer's pass, each event in its own
    /// transaction or all in one; returns the rows of `table`.
    fn stored(
        events: &[braid_engine::events::Event],
        one_by_one: bool,
        sql: &str,
    ) -> Vec<Vec<Value>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut conn = crate::db::connect(&path).unwrap();
        crate::db::migrate(&mut conn, &path).unwrap();
        let chunks: Vec<&[braid_engine::events::Event]> = if one_by_one {
            events.chunks(1).collect()
        } else {
            vec![events]
        };
        for chunk in chunks {
            let tx = conn.transaction().unwrap();
            {
                let mut st = Stmts::new(&tx);
                let mut pass = Pass::default();
                apply(&mut st, "r", chunk, (1, None), &mut pass).unwrap();
                finish(&mut st, &mut pass).unwrap();
            }
            tx.commit().unwrap();
        }
        let mut stmt = conn.prepare(sql).unwrap();
        let columns = stmt.column_count();
        stmt.query_map([], |r| (0..columns).map(|i| r.get::<_, Value>(i)).collect())
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn grouped_metrics_equal_per_step_metrics() {
        use braid_engine::events::Event;
        let at = |step: usize, element: Option<u32>, attempt| AttemptRef {
            round: 1,
            step: format!("s{step}"),
            element,
            attempt,
        };
        let mut kinds = Vec::new();
        for step in 0..10 {
            let elements: Vec<Option<u32>> = if step % 3 == 0 {
                vec![Some(0), Some(1), Some(2)]
            } else {
                vec![None]
            };
            for e in elements {
                kinds.push(EventKind::StepQueued { at: at(step, e, 1) });
                kinds.push(EventKind::StepStarted { at: at(step, e, 1) });
                kinds.push(EventKind::AttemptEnded {
                    at: at(step, e, 1),
                    exit_code: Some(0),
                    stdout_tail: String::new(),
                    stderr_tail: String::new(),
                    duration_ms: step as u64,
                });
                kinds.push(if step == 4 && e.is_none() {
                    EventKind::StepFailed {
                        at: at(step, e, 1),
                        error: "x".into(),
                    }
                } else {
                    EventKind::StepSucceeded {
                        recommendations: Vec::new(),
                        errors: Vec::new(),
                        at: at(step, e, 1),
                        outputs: Default::default(),
                        score: None,
                        approved: None,
                    }
                });
            }
        }
        kinds.push(EventKind::StepSkipped {
            round: 1,
            step: "never".into(),
            reason: "r".into(),
        });
        let events: Vec<Event> = kinds
            .into_iter()
            .enumerate()
            .map(|(i, kind)| Event {
                seq: i as u64,
                at_ms: 1000 + 3 * i as u64,
                kind,
            })
            .collect();
        let sql = "SELECT * FROM step_metrics ORDER BY step";
        let per_step = stored(&events, true, sql);
        let grouped = stored(&events, false, sql);
        assert_eq!(per_step.len(), 11);
        assert_eq!(per_step, grouped);
    }

    /// Applies events one statement at a time (each in its own pass) and all
    /// at once; the rows must be the same.
    #[test]
    fn one_composed_upsert_equals_event_by_event_upserts() {
        use braid_engine::events::Event;
        let at = |n| AttemptRef {
            round: 1,
            step: "s".into(),
            element: Some(3),
            attempt: n,
        };
        let kinds = vec![
            EventKind::StepQueued { at: at(1) },
            EventKind::StepStarted { at: at(1) },
            EventKind::ProcessSpawned {
                at: at(1),
                pid: 1,
                pgid: 1,
            },
            EventKind::AttemptEnded {
                at: at(1),
                exit_code: Some(1),
                stdout_tail: "o".into(),
                stderr_tail: "e".into(),
                duration_ms: 7,
            },
            EventKind::AttemptFailed {
                at: at(1),
                error: "boom".into(),
                timed_out: false,
            },
            EventKind::StepRetrying {
                at: at(1),
                next_attempt: 2,
                delay_ms: 9,
            },
            EventKind::StepQueued { at: at(2) },
            EventKind::StepStarted { at: at(2) },
            EventKind::StepSucceeded {
                recommendations: Vec::new(),
                errors: Vec::new(),
                at: at(2),
                outputs: serde_json::from_str(r#"{"k": [1, 2]}"#).unwrap(),
                score: Some(1.5),
                approved: Some(false),
            },
            // A replayed completion must not move the finish time.
            EventKind::StepSucceeded {
                recommendations: Vec::new(),
                errors: Vec::new(),
                at: at(2),
                outputs: Default::default(),
                score: None,
                approved: None,
            },
        ];
        let events: Vec<Event> = kinds
            .into_iter()
            .enumerate()
            .map(|(i, kind)| Event {
                seq: i as u64,
                at_ms: 100 + i as u64,
                kind,
            })
            .collect();
        let rows = |one_by_one: bool| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.db");
            let mut conn = crate::db::connect(&path).unwrap();
            crate::db::migrate(&mut conn, &path).unwrap();
            let chunks: Vec<&[Event]> = if one_by_one {
                events.chunks(1).collect()
            } else {
                vec![&events[..]]
            };
            for chunk in chunks {
                let tx = conn.transaction().unwrap();
                {
                    let mut st = Stmts::new(&tx);
                    let mut pass = Pass::default();
                    apply(&mut st, "r", chunk, (1, None), &mut pass).unwrap();
                    finish(&mut st, &mut pass).unwrap();
                }
                tx.commit().unwrap();
            }
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT attempt, {} FROM attempts ORDER BY attempt",
                    COLS.join(", ")
                ))
                .unwrap();
            let out: Vec<Vec<Value>> = stmt
                .query_map([], |r| {
                    (0..=COLS.len()).map(|i| r.get::<_, Value>(i)).collect()
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            out
        };
        let separate = rows(true);
        let composed = rows(false);
        assert_eq!(separate, composed);
        assert_eq!(separate.len(), 2);
        // Spot checks: attempt 1 failed (not final) with its retry delay;
        // attempt 2 succeeded, finished at its first completion.
        assert_eq!(separate[0][1], Value::Text("failed".into()));
        assert_eq!(separate[0][17], Value::Integer(9));
        assert_eq!(separate[1][1], Value::Text("succeeded".into()));
        assert_eq!(separate[1][5], Value::Integer(108));
    }
}
