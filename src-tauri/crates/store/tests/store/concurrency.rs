//! Eight real OS processes writing runs into one database file at once.
//!
//! The children are this test binary, re-executed with an environment
//! variable that turns `child_writer` from a no-op into a writer process.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use braid_engine::events::{EventKind, RunStatus};
use braid_engine::run::driver::Durability;

use crate::support::*;

const PROCESSES: usize = 8;
const RUNS_PER_PROCESS: usize = 6;
const STEPS: usize = 15;
const LINES: usize = 3;
const EVENTS_PER_RUN: usize = STEPS * (6 + LINES) + 2;

const ENV_DB: &str = "BRAID_STORE_TEST_CHILD_DB";
const ENV_INDEX: &str = "BRAID_STORE_TEST_CHILD_INDEX";

/// In a child: writes `RUNS_PER_PROCESS` runs like the engine would — a
/// batch at a time, waiting for durability after every completion — while
/// also reading and flagging runs through a second connection.
#[test]
fn child_writer() {
    let Some(db) = std::env::var_os(ENV_DB) else {
        return; // an ordinary test run: nothing to do
    };
    let index: usize = std::env::var(ENV_INDEX).unwrap().parse().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let store = braid_store::Store::open(&db).expect("open");
    let writer = store.writer().expect("writer");
    let mut written = 0usize;
    for r in 0..RUNS_PER_PROCESS {
        let run_id = new_run_id();
        create_run(&store, &run_id, &format!("wf{index}"), STEPS);
        let durability = writer.durability(&run_id);
        for batch in synthetic_run(&run_id, &format!("wf{index}"), STEPS, LINES) {
            let completes = batch
                .iter()
                .any(|e| matches!(e.kind, EventKind::StepSucceeded { .. }));
            let last = batch.last().unwrap().seq;
            written += batch.len();
            writer.ingest(&run_id, batch);
            if completes {
                runtime.block_on(durability.durable(last));
            }
        }
        // Readers and small writes from the same process, concurrently.
        store.list_runs(None, None, 20).expect("list");
        if r % 2 == 0 {
            let _ = store.cancel_requested(&run_id).expect("flag");
        }
    }
    let stats = writer.close().expect("no writer error");
    assert_eq!(stats.events as usize, written);
    println!("CHILD_EVENTS={written}");
}

#[test]
fn eight_processes_write_to_one_file_without_busy_errors() {
    let db = temp_db();
    // Not created up front: the children race to create the schema too.
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let children: Vec<_> = (0..PROCESSES)
        .map(|i| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "concurrency::child_writer",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(ENV_DB, &db.path)
                .env(ENV_INDEX, i.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut reported = 0usize;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
        let combined = format!("{stdout}{stderr}").to_lowercase();
        assert!(
            !combined.contains("busy") && !combined.contains("locked"),
            "contention reached a caller:\n{stdout}\n{stderr}"
        );
        let n: usize = stdout
            .lines()
            .find_map(|l| l.split("CHILD_EVENTS=").nth(1))
            .unwrap_or_else(|| panic!("no count in:\n{stdout}"))
            .trim()
            .parse()
            .unwrap();
        assert_eq!(n, RUNS_PER_PROCESS * EVENTS_PER_RUN);
        reported += n;
    }
    let elapsed = started.elapsed();
    eprintln!("{PROCESSES} processes, {reported} events in {elapsed:?}");
    assert!(elapsed < Duration::from_secs(300));

    // Every event is there, counted, and every run is complete.
    let store = open(&db);
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    let stored: i64 = conn
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored as usize, reported);
    assert_eq!(reported, PROCESSES * RUNS_PER_PROCESS * EVENTS_PER_RUN);
    let runs = store.list_runs(None, None, 1000).unwrap();
    assert_eq!(runs.len(), PROCESSES * RUNS_PER_PROCESS);
    for run in &runs {
        assert_eq!(run.status, RunStatus::Succeeded, "{}", run.run_id);
        let events = store.run_events(&run.run_id).unwrap();
        assert_eq!(events.len(), EVENTS_PER_RUN);
        assert!(events.iter().enumerate().all(|(i, e)| e.seq == i as u64));
        assert_eq!(store.attempts(&run.run_id).unwrap().len(), STEPS);
    }
    for i in 0..PROCESSES {
        assert_eq!(
            store
                .list_runs(Some(&format!("wf{i}")), None, 100)
                .unwrap()
                .len(),
            RUNS_PER_PROCESS
        );
    }
}
