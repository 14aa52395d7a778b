//! Crash recovery on open: dead owners, interrupted attempts, orphaned
//! process groups.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use braid_engine::events::{EventKind, RunStatus};
use braid_model::model::JsonMap;
use braid_store::{AttemptStatus, Store, liveness};

use crate::support::*;

/// A `sleep 300` in its own process group.
fn sleeper() -> Child {
    Command::new("sleep")
        .arg("300")
        .process_group(0)
        .spawn()
        .unwrap()
}

/// A pid and start marker of a process that has exited.
fn dead_owner() -> (u32, Option<String>) {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    let marker = liveness::start_marker(pid);
    child.wait().unwrap();
    (pid, marker)
}

/// Waits (bounded) for a child to end; returns its exit status.
fn wait_bounded(child: &mut Child) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn set_owner(db: &TempDb, run_id: &str, owner: (u32, Option<String>)) {
    rusqlite::Connection::open(&db.path)
        .unwrap()
        .execute(
            "UPDATE runs SET owner_pid = ?2, owner_start = ?3 WHERE run_id = ?1",
            rusqlite::params![run_id, owner.0, owner.1],
        )
        .unwrap();
}

/// Stores a run with steps `a` (running, with a process group), `b`
/// (running, no process), `c` (succeeded) and `d` (queued).
fn half_finished_run(store: &Store, pgid: Option<u32>) -> String {
    let run_id = new_run_id();
    create_run(store, &run_id, "wf", 4);
    let writer = store.writer().unwrap();
    let mut s = Stamper::new(5_000);
    let mut kinds = vec![
        EventKind::RunStarted {
            run_id: run_id.clone(),
            workflow_id: "wf".into(),
            inputs: JsonMap::new(),
            time_scale: 1.0,
            concurrency: 4,
        },
        EventKind::StepStarted { at: at("a", 1) },
        EventKind::StepStarted { at: at("b", 1) },
        EventKind::StepStarted { at: at("c", 1) },
        EventKind::StepQueued { at: at("d", 1) },
    ];
    if let Some(pgid) = pgid {
        kinds.push(EventKind::ProcessSpawned {
            at: at("a", 1),
            pid: pgid,
            pgid: pgid as i32,
        });
    }
    writer.ingest(&run_id, s.batch(kinds));
    s.tick(50);
    writer.ingest(
        &run_id,
        s.batch(vec![EventKind::StepSucceeded {
            recommendations: Vec::new(),
            errors: Vec::new(),
            at: at("c", 1),
            outputs: JsonMap::new(),
            score: None,
            approved: None,
        }]),
    );
    writer.close().unwrap();
    run_id
}

#[test]
fn a_run_of_a_dead_process_is_interrupted_and_its_process_group_killed() {
    let db = temp_db();
    let store = open(&db);
    let mut sleep = sleeper();
    let run_id = half_finished_run(&store, Some(sleep.id()));
    // A run owned by this live process must be left alone.
    let live_run = half_finished_run(&store, None);
    set_owner(&db, &run_id, dead_owner());

    let reopened = Store::open(&db.path).unwrap();
    let recovery = reopened.recovery();
    assert_eq!(recovery.interrupted_runs, std::slice::from_ref(&run_id));
    assert_eq!(recovery.interrupted_attempts, 2, "a and b");
    assert_eq!(recovery.killed_groups, [sleep.id() as i32]);
    let status = wait_bounded(&mut sleep).expect("the sleeper was killed");
    assert_eq!(status.signal(), Some(9), "SIGKILL");

    let run = reopened.run(&run_id).unwrap();
    assert_eq!(run.status, RunStatus::Interrupted);
    assert_eq!(run.finished_at_ms, Some(5_050), "the last event's time");
    assert!(
        run.error
            .as_deref()
            .unwrap()
            .contains("ended without finishing")
    );
    let attempts = reopened.attempts(&run_id).unwrap();
    let status_of = |step: &str| attempts.iter().find(|a| a.step == step).unwrap().status;
    assert_eq!(status_of("a"), AttemptStatus::Interrupted);
    assert_eq!(status_of("b"), AttemptStatus::Interrupted);
    assert_eq!(status_of("c"), AttemptStatus::Succeeded);
    assert_eq!(status_of("d"), AttemptStatus::Cancelled);
    let in_flight: Vec<String> = reopened
        .in_flight_attempts(&run_id)
        .unwrap()
        .into_iter()
        .map(|a| a.step)
        .collect();
    assert_eq!(in_flight, ["a", "b"]);
    let metrics = reopened.step_metrics(&run_id).unwrap();
    assert_eq!(
        metrics.iter().find(|m| m.step == "a").unwrap().status,
        "interrupted"
    );
    assert_eq!(
        reopened
            .list_runs(None, Some("interrupted"), 10)
            .unwrap()
            .len(),
        1
    );

    assert_eq!(reopened.run(&live_run).unwrap().status, RunStatus::Running);
    // Opening again finds nothing more to do.
    assert_eq!(
        Store::open(&db.path).unwrap().recovery(),
        &Default::default()
    );
}

#[test]
fn a_reused_owner_pid_is_not_mistaken_for_the_owner() {
    let db = temp_db();
    let store = open(&db);
    let run_id = half_finished_run(&store, None);
    // Our own pid, but another process's start marker: the owner died and
    // its pid now belongs to us.
    set_owner(
        &db,
        &run_id,
        (std::process::id(), Some("another-boot:12345".into())),
    );
    let reopened = Store::open(&db.path).unwrap();
    assert_eq!(
        reopened.recovery().interrupted_runs,
        std::slice::from_ref(&run_id)
    );
    assert_eq!(
        reopened.run(&run_id).unwrap().status,
        RunStatus::Interrupted
    );
}

#[test]
fn a_process_group_whose_leader_is_not_provably_the_attempts_is_spared() {
    let db = temp_db();
    let store = open(&db);
    let mut sleep = sleeper();
    let run_id = half_finished_run(&store, Some(sleep.id()));
    set_owner(&db, &run_id, dead_owner());
    // As if the pid had been reused since the attempt recorded it.
    rusqlite::Connection::open(&db.path)
        .unwrap()
        .execute(
            "UPDATE attempts SET process_start = 'another-boot:1' WHERE run_id = ?1",
            [&run_id],
        )
        .unwrap();
    let reopened = Store::open(&db.path).unwrap();
    assert_eq!(reopened.recovery().interrupted_runs, [run_id]);
    assert!(reopened.recovery().killed_groups.is_empty());
    assert!(sleep.try_wait().unwrap().is_none(), "still running");
    sleep.kill().unwrap();
    sleep.wait().unwrap();
}

#[test]
fn a_run_with_no_recorded_owner_is_interrupted() {
    let db = temp_db();
    let store = open(&db);
    let run_id = half_finished_run(&store, None);
    rusqlite::Connection::open(&db.path)
        .unwrap()
        .execute(
            "UPDATE runs SET owner_pid = NULL, owner_start = NULL WHERE run_id = ?1",
            [&run_id],
        )
        .unwrap();
    let recovery = store.recover().unwrap();
    assert_eq!(recovery.interrupted_runs, [run_id]);
}
