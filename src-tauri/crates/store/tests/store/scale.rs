//! 10,000 runs: listing, loading one run and pruning stay functional (the
//! timings are in the benchmark).

use std::time::Instant;

use braid_engine::bus::EventBatch;
use braid_engine::events::RunStatus;
use braid_store::Store;

use crate::support::*;

const RUNS: usize = 10_000;

#[test]
fn ten_thousand_runs_list_load_and_prune() {
    let db = temp_db();
    let store = open(&db);
    let writer = store.writer().unwrap();
    let mut ids = Vec::with_capacity(RUNS);
    let started = Instant::now();
    for i in 0..RUNS {
        let run_id = new_run_id();
        let wf = format!("wf{}", i % 10);
        for batch in synthetic_run(&run_id, &wf, 1, 0) {
            let shifted: EventBatch = batch
                .iter()
                .map(|e| braid_engine::events::Event {
                    at_ms: e.at_ms + i as u64,
                    ..e.clone()
                })
                .collect();
            writer.ingest(&run_id, shifted);
        }
        ids.push(run_id);
    }
    let stats = writer.close().unwrap();
    assert_eq!(stats.events as usize, RUNS * 8);
    eprintln!(
        "{RUNS} runs, {} events in {} transactions, {:?}",
        stats.events,
        stats.transactions,
        started.elapsed()
    );

    let t = Instant::now();
    let newest = store.list_runs(None, None, 50).unwrap();
    eprintln!("list_runs(50) {:?}", t.elapsed());
    assert_eq!(newest.len(), 50);
    assert_eq!(newest[0].run_id, ids[RUNS - 1]);
    assert_eq!(newest[49].run_id, ids[RUNS - 50]);
    let wf3 = store.list_runs(Some("wf3"), None, 20).unwrap();
    assert_eq!(wf3.len(), 20);
    assert_eq!(wf3[0].run_id, ids[RUNS - 7]);
    assert!(wf3.iter().all(|r| r.workflow_id == "wf3"));
    let succeeded = store.list_runs(None, Some("succeeded"), 20_000).unwrap();
    assert_eq!(succeeded.len(), RUNS);
    assert!(succeeded.iter().all(|r| r.status == RunStatus::Succeeded));

    let t = Instant::now();
    let events = store.run_events(&ids[RUNS / 2]).unwrap();
    eprintln!("run_events {:?}", t.elapsed());
    assert_eq!(events.len(), 8);

    let t = Instant::now();
    assert_eq!(store.prune(Some(100), None).unwrap(), RUNS - 100);
    eprintln!("prune {:?}", t.elapsed());
    let left = store.list_runs(None, None, 1000).unwrap();
    assert_eq!(left.len(), 100);
    assert_eq!(left[0].run_id, ids[RUNS - 1]);
    assert_eq!(left[99].run_id, ids[RUNS - 100]);
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    let events: i64 = conn
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, 100 * 8);
    let attempts: i64 = conn
        .query_row("SELECT COUNT(*) FROM attempts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(attempts, 100);
    drop(store);
    // And the file still opens cleanly.
    Store::open(&db.path).unwrap();
}
