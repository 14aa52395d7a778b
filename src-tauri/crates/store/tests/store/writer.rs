//! The writer thread: batching, durability, bus subscriptions, errors.

use std::time::{Duration, Instant};

use braid_engine::bus::EventBus;
use braid_engine::events::{EventKind, Stream};
use braid_engine::run::driver::Durability;
use braid_store::StoreError;

use crate::support::*;

fn line(step: &str, n: usize) -> EventKind {
    EventKind::OutputLine {
        at: at(step, 1),
        stream: Stream::Stdout,
        line: format!("line {n}"),
    }
}

fn count(db: &TempDb, table: &str) -> i64 {
    rusqlite::Connection::open(&db.path)
        .unwrap()
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn many_small_batches_are_committed_in_few_transactions() {
    let db = temp_db();
    let store = open(&db);
    let run_id = new_run_id();
    create_run(&store, &run_id, "wf", 1);
    let writer = store.writer().unwrap();
    let mut s = Stamper::new(0);
    for n in 0..5_000 {
        writer.ingest(&run_id, s.batch(vec![line("a", n)]));
    }
    let stats = writer.close().unwrap();
    assert_eq!(stats.events, 5_000);
    assert!(
        stats.transactions < 100,
        "{} transactions for 5,000 batches",
        stats.transactions
    );
    assert_eq!(count(&db, "events"), 5_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_resolves_once_the_seq_is_committed() {
    let db = temp_db();
    let store = open(&db);
    let run_id = new_run_id();
    create_run(&store, &run_id, "wf", 1);
    let writer = store.writer().unwrap();
    let durability = writer.durability(&run_id);
    let mut s = Stamper::new(0);
    // Non-urgent events: without a waiter they would linger; a waiter
    // asks for them now.
    writer.ingest(&run_id, s.batch(vec![line("a", 0), line("a", 1)]));
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), durability.durable(1))
        .await
        .expect("durable");
    assert!(started.elapsed() < Duration::from_secs(5));
    let watch = writer.watch(&run_id);
    assert!(watch.borrow().covers(1));
    assert!(!watch.borrow().covers(2));
    assert_eq!(watch.borrow().next_seq, 2);
    // Already durable: resolves at once.
    tokio::time::timeout(Duration::from_millis(1), durability.durable(0))
        .await
        .expect("immediate");
    // An urgent event is committed without anyone waiting.
    writer.ingest(
        &run_id,
        s.batch(vec![EventKind::StepSucceeded {
            recommendations: Vec::new(),
            errors: Vec::new(),
            at: at("a", 1),
            outputs: Default::default(),
            score: None,
            approved: None,
        }]),
    );
    let mut watch = writer.watch(&run_id);
    tokio::time::timeout(Duration::from_secs(10), watch.wait_for(|c| c.covers(2)))
        .await
        .expect("committed")
        .unwrap();
    assert_eq!(count(&db, "events"), 3);
    tokio::task::spawn_blocking(move || writer.close().unwrap())
        .await
        .unwrap();
}

#[test]
fn non_urgent_events_are_committed_within_the_linger() {
    let db = temp_db();
    let store = open(&db);
    let run_id = new_run_id();
    create_run(&store, &run_id, "wf", 1);
    let writer = store.writer().unwrap();
    let mut watch = writer.watch(&run_id);
    let mut s = Stamper::new(0);
    writer.ingest(&run_id, s.batch(vec![line("a", 0)]));
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), watch.wait_for(|c| c.covers(0)))
            .await
            .unwrap()
            .unwrap();
    });
    // LINGER plus one fsync; generous for a loaded machine.
    assert!(started.elapsed() < Duration::from_secs(2));
    writer.close().unwrap();
}

#[test]
fn a_bus_subscription_is_drained_on_close_even_while_the_bus_lives() {
    let db = temp_db();
    let store = open(&db);
    let run_id = new_run_id();
    create_run(&store, &run_id, "wf", 1);
    let writer = store.writer().unwrap();
    let bus = EventBus::new();
    writer.subscribe_to(&run_id, &bus);
    for n in 0..100 {
        bus.emit_all([line("a", 2 * n), line("a", 2 * n + 1)]);
    }
    // `bus` is still alive: close must not wait for it to end.
    let stats = writer.close().unwrap();
    assert_eq!(stats.events, 200);
    let events = store.run_events(&run_id).unwrap();
    assert_eq!(events.len(), 200);
    assert!(events.iter().enumerate().all(|(i, e)| e.seq == i as u64));
    drop(bus);
}

#[test]
fn flush_commits_what_the_bus_already_emitted() {
    let db = temp_db();
    let store = open(&db);
    let run_id = new_run_id();
    create_run(&store, &run_id, "wf", 1);
    let writer = store.writer().unwrap();
    let bus = EventBus::new();
    writer.subscribe_to(&run_id, &bus);
    bus.emit(line("a", 0));
    writer.flush_blocking().unwrap();
    assert_eq!(store.run_events(&run_id).unwrap().len(), 1);
    writer.close().unwrap();
}

#[test]
fn duplicate_events_are_skipped_not_fatal() {
    let db = temp_db();
    let store = open(&db);
    let run_id = new_run_id();
    create_run(&store, &run_id, "wf", 1);
    let writer = store.writer().unwrap();
    let mut s = Stamper::new(0);
    let batch = s.batch(vec![line("a", 0), line("a", 1)]);
    writer.ingest(&run_id, batch.clone());
    writer.flush_blocking().unwrap();
    writer.ingest(&run_id, batch);
    writer.ingest(&run_id, s.batch(vec![line("a", 2)]));
    let stats = writer.close().unwrap();
    assert_eq!((stats.events, stats.duplicates), (5, 2));
    assert_eq!(store.run_events(&run_id).unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_error_is_surfaced_by_close_and_releases_waiters() {
    let db = temp_db();
    let store = open(&db);
    let run_id = new_run_id();
    create_run(&store, &run_id, "wf", 1);
    let writer = store.writer().unwrap();
    // Break the schema behind the writer's back.
    rusqlite::Connection::open(&db.path)
        .unwrap()
        .execute_batch("DROP TABLE events")
        .unwrap();
    let durability = writer.durability(&run_id);
    let mut s = Stamper::new(0);
    writer.ingest(&run_id, s.batch(vec![line("a", 0)]));
    // The engine must not hang on a store that cannot write.
    tokio::time::timeout(Duration::from_secs(10), durability.durable(0))
        .await
        .expect("waiter released");
    assert!(writer.watch(&run_id).borrow().gave_up);
    assert!(matches!(
        writer.flush().await,
        Err(StoreError::Writer { .. })
    ));
    writer.ingest(&run_id, s.batch(vec![line("a", 1)]));
    let result = tokio::task::spawn_blocking(move || writer.close())
        .await
        .unwrap();
    match result {
        Err(StoreError::Writer { message, more }) => {
            assert!(message.contains("events"), "{message}");
            assert_eq!(more, 1, "the second failed commit is counted, not printed");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn dropping_the_writer_commits_what_was_queued() {
    let db = temp_db();
    let store = open(&db);
    let run_id = new_run_id();
    create_run(&store, &run_id, "wf", 1);
    {
        let writer = store.writer().unwrap();
        let mut s = Stamper::new(0);
        writer.ingest(&run_id, s.batch(vec![line("a", 0)]));
    }
    assert_eq!(store.run_events(&run_id).unwrap().len(), 1);
}
