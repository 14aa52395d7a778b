//! Store benchmark: what persisting runs costs. Every figure is printed next
//! to a baseline measured in the same process, so ratios hold whatever the
//! disk.
//!
//! (1) event ingestion through the writer (durable: timed until the last
//!     event is committed), against one commit per event with
//!     `synchronous=FULL`, and against raw inserts of the same rows in one
//!     transaction (SQLite's ceiling);
//! (2) the engine's 200-step sim chain and 500-way fan-out (0 ms steps)
//!     with the store subscribed to the bus and used as `Durability`,
//!     against the same runs without a store;
//! (3) `list_runs` and loading one run's events over 10,000 stored runs.
//!
//! Run: `cargo bench -p braid-store --bench store`
//! (`BRAID_BENCH_QUICK=1` for fewer iterations, `BRAID_BENCH_ONLY=1,3` for
//! some sections). The database files live
//! in a temporary folder under `$TMPDIR` (default /tmp): put that on the
//! disk you mean to measure.

#[path = "../../../bench-support/timing.rs"]
mod timing;
use timing::median_async;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use braid_engine::bus::{EventBatch, EventBus};
use braid_engine::events::{AttemptRef, Event, EventKind, RunStatus, Stream};
use braid_engine::run::driver::{RunRequest, run};
use braid_model::model::JsonMap;
use braid_model::validate::{Validation, load};
use braid_store::{NewRun, Store, Synchronous, Writer, WriterOptions};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

fn quick() -> bool {
    std::env::var_os("BRAID_BENCH_QUICK").is_some()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    println!(
        "Braid store benchmark ({} CPUs), databases in {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        dir.path().display()
    );
    println!(
        "fsync of a 100-byte append here: {:.2} ms",
        fsync_ms(dir.path())
    );
    // BRAID_BENCH_ONLY=1,3 runs sections 1 and 3 only.
    let only = std::env::var("BRAID_BENCH_ONLY").unwrap_or_default();
    let wanted = |n: &str| only.is_empty() || only.split(',').any(|s| s.trim() == n);
    if wanted("1") {
        println!();
        ingestion(dir.path());
    }
    if wanted("2") {
        println!();
        engine(dir.path());
    }
    if wanted("3") {
        println!();
        reading(dir.path());
    }
    if wanted("4") {
        println!();
        trend_report(dir.path());
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn fsync_ms(dir: &Path) -> f64 {
    use std::io::Write;
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path).unwrap();
    let n = 50;
    let start = Instant::now();
    for _ in 0..n {
        f.write_all(&[b'x'; 100]).unwrap();
        f.sync_data().unwrap();
    }
    let per = ms(start.elapsed()) / n as f64;
    std::fs::remove_file(path).unwrap();
    per
}

// ---------------------------------------------------------------- (1)

fn at(step: &str) -> AttemptRef {
    AttemptRef {
        round: 1,
        step: step.into(),
        element: None,
        attempt: 1,
    }
}

/// The batches of a run of `steps` steps with `lines` output lines each,
/// as the engine emits them: `steps * (6 + lines) + 2` events.
fn synthetic_run(run_id: &str, steps: usize, lines: usize) -> Vec<EventBatch> {
    let mut seq = 0u64;
    let mut batch = |kinds: Vec<EventKind>| -> EventBatch {
        kinds
            .into_iter()
            .map(|kind| {
                seq += 1;
                Event {
                    seq: seq - 1,
                    at_ms: 1_700_000_000_000 + seq,
                    kind,
                }
            })
            .collect()
    };
    let mut out = vec![batch(vec![EventKind::RunStarted {
        run_id: run_id.into(),
        workflow_id: "bench".into(),
        inputs: JsonMap::new(),
        time_scale: 1.0,
        concurrency: 4,
    }])];
    for i in 0..steps {
        let step = format!("s{i}");
        out.push(batch(vec![
            EventKind::StepQueued { at: at(&step) },
            EventKind::StepStarted { at: at(&step) },
        ]));
        out.push(batch(vec![EventKind::ProcessSpawned {
            at: at(&step),
            pid: 1,
            pgid: 1,
        }]));
        for l in 0..lines {
            out.push(batch(vec![EventKind::OutputLine {
                at: at(&step),
                stream: Stream::Stdout,
                line: format!("{step}: processed item {l} of {lines} in 12 ms"),
            }]));
        }
        let mut outputs = JsonMap::new();
        outputs.insert(format!("out_{i}"), json!({ "ok": true, "n": i }));
        out.push(batch(vec![
            EventKind::AttemptEnded {
                at: at(&step),
                exit_code: Some(0),
                stdout_tail: "done\n".into(),
                stderr_tail: String::new(),
                duration_ms: 12,
            },
            EventKind::StepSucceeded {
                recommendations: Vec::new(),
                errors: Vec::new(),
                at: at(&step),
                outputs,
                score: Some(88.0),
                approved: Some(true),
            },
            EventKind::ContextWrite {
                round: 1,
                writer: step.clone(),
                key: format!("out_{i}"),
                old: None,
                new: json!({ "ok": true, "n": i }),
            },
        ]));
    }
    out.push(batch(vec![EventKind::RunFinished {
        status: RunStatus::Succeeded,
        error: None,
    }]));
    out
}

fn ingestion(dir: &Path) {
    println!("(1) event ingestion, durable (timed until the last event is committed)");
    let (runs, steps, lines) = if quick() { (20, 100, 6) } else { (100, 100, 6) };
    let workload: Vec<(String, Vec<EventBatch>)> = (0..runs)
        .map(|_| {
            let id = ulid::Ulid::new().to_string();
            let batches = synthetic_run(&id, steps, lines);
            (id, batches)
        })
        .collect();
    let events: usize = workload
        .iter()
        .map(|(_, b)| b.iter().map(|b| b.len()).sum::<usize>())
        .sum();
    let batches: usize = workload.iter().map(|(_, b)| b.len()).sum();

    for (label, sync) in [
        ("writer, synchronous=FULL", Synchronous::Full),
        ("writer, synchronous=NORMAL", Synchronous::Normal),
    ] {
        let path = dir.join(format!("ingest-{sync:?}.db"));
        let store = Store::open(&path).unwrap();
        let writer = store
            .writer_with(WriterOptions { synchronous: sync })
            .unwrap();
        let start = Instant::now();
        for (run_id, run) in &workload {
            for b in run {
                writer.ingest(run_id, b.clone());
            }
        }
        let stats = writer.close().unwrap();
        let took = start.elapsed();
        assert_eq!(stats.events as usize, events);
        println!(
            "  {label}: {events} events ({batches} batches, {runs} runs) in {:.0} ms = {:.0} events/s, {} transactions",
            ms(took),
            events as f64 / took.as_secs_f64(),
            stats.transactions
        );
        if sync == Synchronous::Full {
            let writer_rate = events as f64 / took.as_secs_f64();
            let baseline = one_commit_per_event(dir, &workload);
            let raw = raw_single_transaction(dir, &workload);
            println!(
                "  baseline, one commit per event (FULL): {baseline:.0} events/s → writer is {:.0}× faster",
                writer_rate / baseline
            );
            println!(
                "  ceiling, raw INSERTs into `events` only, one transaction: {raw:.0} rows/s → writer at {:.0} % of it (it also fills attempts, context, metrics)",
                100.0 * writer_rate / raw
            );
        }
        drop(store);
    }
}

/// Events/s when every event is its own `BEGIN IMMEDIATE … COMMIT` with
/// `synchronous=FULL` (what a naive subscriber would do).
fn one_commit_per_event(dir: &Path, workload: &[(String, Vec<EventBatch>)]) -> f64 {
    let path = dir.join("baseline-per-event.db");
    drop(Store::open(&path).unwrap());
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    let (run_id, batches) = &workload[0];
    conn.execute(
        "INSERT INTO runs (run_id, workflow_id, status, started_at_ms) VALUES (?1, 'bench', 'running', 0)",
        [run_id],
    )
    .unwrap();
    let n = if quick() { 100 } else { 400 };
    let events: Vec<&Event> = batches.iter().flat_map(|b| b.iter()).take(n).collect();
    let start = Instant::now();
    for e in &events {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        let payload = serde_json::to_string(&e.kind).unwrap();
        tx.prepare_cached(
            "INSERT INTO events (run_id, seq, at_ms, type, payload) VALUES (?1, ?2, ?3, 'x', ?4)",
        )
        .unwrap()
        .execute(rusqlite::params![
            run_id,
            e.seq as i64,
            e.at_ms as i64,
            payload
        ])
        .unwrap();
        tx.commit().unwrap();
    }
    events.len() as f64 / start.elapsed().as_secs_f64()
}

/// Rows/s of bare `INSERT INTO events` (payload serialized) for the whole
/// workload in one transaction.
fn raw_single_transaction(dir: &Path, workload: &[(String, Vec<EventBatch>)]) -> f64 {
    let path = dir.join("baseline-raw.db");
    drop(Store::open(&path).unwrap());
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    let start = Instant::now();
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let mut rows = 0usize;
    {
        let mut run_stmt = tx
            .prepare("INSERT INTO runs (run_id, workflow_id, status, started_at_ms) VALUES (?1, 'bench', 'running', 0)")
            .unwrap();
        let mut stmt = tx
            .prepare("INSERT INTO events (run_id, seq, at_ms, type, payload) VALUES (?1, ?2, ?3, 'x', ?4)")
            .unwrap();
        for (run_id, batches) in workload {
            run_stmt.execute([run_id]).unwrap();
            for e in batches.iter().flat_map(|b| b.iter()) {
                let payload = serde_json::to_string(&e.kind).unwrap();
                stmt.execute(rusqlite::params![
                    run_id,
                    e.seq as i64,
                    e.at_ms as i64,
                    payload
                ])
                .unwrap();
                rows += 1;
            }
        }
    }
    tx.commit().unwrap();
    rows as f64 / start.elapsed().as_secs_f64()
}

// ---------------------------------------------------------------- (2)

fn workflow(doc: &Value) -> (Arc<braid_model::ValidWorkflow>, Vec<u8>) {
    let bytes = serde_json::to_vec(doc).unwrap();
    match load(&bytes) {
        Validation::Valid(v) => (Arc::new(*v), bytes),
        Validation::Invalid(d) => panic!("{d:#?}"),
    }
}

fn chain_doc(n: usize) -> Value {
    let steps: Vec<Value> = (0..n)
        .map(|i| json!({ "id": format!("s{i}"), "agent": { "kind": "sim", "duration_ms": 0 } }))
        .collect();
    let edges: Vec<Value> = (1..n)
        .map(|i| json!({ "from": format!("s{}", i - 1), "to": format!("s{i}") }))
        .collect();
    json!({ "format": "braid/1", "id": "chain", "limits": { "concurrency": 8 }, "steps": steps, "edges": edges })
}

fn fan_doc(n: usize) -> Value {
    let steps: Vec<Value> = (0..n)
        .map(|i| json!({ "id": format!("s{i}"), "agent": { "kind": "sim", "duration_ms": 0 } }))
        .collect();
    json!({ "format": "braid/1", "id": "fan", "limits": { "concurrency": n }, "steps": steps })
}

fn request(valid: &Arc<braid_model::ValidWorkflow>, run_id: String) -> RunRequest {
    let mut request = RunRequest::new(valid.clone(), run_id, PathBuf::from("."), JsonMap::new());
    request.time_scale = 1.0;
    request
}

/// A run with one subscriber draining events (as the CLI's progress has).
async fn without_store(valid: Arc<braid_model::ValidWorkflow>) {
    let bus = EventBus::new();
    let mut rx = bus.subscribe();
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let outcome = run(
        request(&valid, "bench".into()),
        bus.clone(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.status, RunStatus::Succeeded);
    drop(bus);
    drain.await.unwrap();
}

/// The same with the store: the writer subscribed to the bus and used as
/// `Durability`; timed until the run's last event is committed.
async fn with_store(
    valid: Arc<braid_model::ValidWorkflow>,
    writer: Arc<Writer>,
    run_id: String,
    run_times: Arc<std::sync::Mutex<Vec<Duration>>>,
    durable: bool,
) {
    let started = Instant::now();
    let bus = EventBus::new();
    let mut rx = bus.subscribe();
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    writer.subscribe_to(&run_id, &bus);
    let mut req = request(&valid, run_id.clone());
    if durable {
        req.durability = Some(writer.durability(&run_id));
    }
    let outcome = run(req, bus.clone(), CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(outcome.status, RunStatus::Succeeded);
    run_times.lock().unwrap().push(started.elapsed());
    drop(bus);
    writer.flush().await.unwrap();
    drain.await.unwrap();
}

fn engine(dir: &Path) {
    println!(
        "(2) engine runs with the store as subscriber + Durability (timed to the last commit)"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let iterations = if quick() { 5 } else { 15 };
    for (name, doc) in [
        ("200-step chain", chain_doc(200)),
        ("500-way fan-out", fan_doc(500)),
    ] {
        let (valid, bytes) = workflow(&doc);
        let steps = if name.starts_with("200") {
            200.0
        } else {
            500.0
        };
        let bare = median_async(&runtime, iterations * 2, || without_store(valid.clone()));
        let mut line = format!("  {name}: without store {:.2} ms", ms(bare));
        // The third variant stores everything but is not the run's
        // Durability: the driver never waits (what the run would cost if
        // it only waited before work with side effects, which sim steps
        // have none of).
        for (sync, durable) in [
            (Synchronous::Full, true),
            (Synchronous::Normal, true),
            (Synchronous::Full, false),
        ] {
            let path = dir.join(format!("engine-{}-{sync:?}-{durable}.db", &name[..3]));
            let store = Store::open(&path).unwrap();
            let writer = Arc::new(
                store
                    .writer_with(WriterOptions { synchronous: sync })
                    .unwrap(),
            );
            let run_times = Arc::new(std::sync::Mutex::new(Vec::new()));
            let with = median_async(&runtime, iterations, || {
                let run_id = ulid::Ulid::new().to_string();
                // Outside the timing: `braid run` does this before starting.
                store
                    .create_run(&NewRun {
                        run_id: &run_id,
                        workflow_id: &valid.workflow().id,
                        workflow_name: None,
                        workflow_source: &bytes,
                        workflow_path: None,
                        inputs: &JsonMap::new(),
                        time_scale: 1.0,
                        parent_run_id: None,
                    })
                    .unwrap();
                with_store(
                    valid.clone(),
                    writer.clone(),
                    run_id,
                    run_times.clone(),
                    durable,
                )
            });
            let run_only = {
                let mut t = run_times.lock().unwrap().clone();
                t.sort();
                t[t.len() / 2]
            };
            let stats = Arc::try_unwrap(writer)
                .ok()
                .expect("one writer handle")
                .close()
                .unwrap();
            let label = match (sync, durable) {
                (Synchronous::Full, true) => "FULL",
                (Synchronous::Normal, true) => "NORMAL",
                _ => "FULL, subscriber only, no Durability",
            };
            line += &format!(
                "\n    with store ({label}): run returns {:.2} ms, all committed {:.2} ms \
                 ({:.1}× without, +{:.1} µs/step); {:.0} µs per transaction in the writer, \
                 {:.1} transactions per run",
                ms(run_only),
                ms(with),
                ms(with) / ms(bare).max(1e-6),
                (ms(with) - ms(bare)).max(0.0) * 1000.0 / steps,
                stats.commit_time.as_secs_f64() * 1e6 / stats.transactions.max(1) as f64,
                stats.transactions as f64 / (iterations + 1) as f64,
            );
        }
        println!("{line}");
    }
}

// ---------------------------------------------------------------- (3)

fn reading(dir: &Path) {
    println!("(3) reading over 10,000 stored runs");
    let path = dir.join("reading.db");
    let store = Store::open(&path).unwrap();
    let writer = store.writer().unwrap();
    let runs = 10_000;
    let mut ids = Vec::with_capacity(runs);
    let start = Instant::now();
    for i in 0..runs {
        let run_id = ulid::Ulid::new().to_string();
        let source = format!(
            "{{\"format\":\"braid/1\",\"id\":\"wf{}\",\"steps\":[]}}",
            i % 20
        );
        if i % 100 == 0 {
            // Some runs with their workflow file, as `braid run` stores them.
            store
                .create_run(&NewRun {
                    run_id: &run_id,
                    workflow_id: &format!("wf{}", i % 20),
                    workflow_name: None,
                    workflow_source: source.as_bytes(),
                    workflow_path: None,
                    inputs: &JsonMap::new(),
                    time_scale: 1.0,
                    parent_run_id: None,
                })
                .unwrap();
        }
        // 10 steps, 2 lines each: 82 events a run.
        for batch in synthetic_run(&run_id, 10, 2) {
            let shifted: EventBatch = batch
                .iter()
                .map(|e| Event {
                    seq: e.seq,
                    at_ms: e.at_ms + i as u64 * 1000,
                    kind: match &e.kind {
                        EventKind::RunStarted {
                            run_id,
                            inputs,
                            time_scale,
                            ..
                        } => EventKind::RunStarted {
                            run_id: run_id.clone(),
                            workflow_id: format!("wf{}", i % 20),
                            inputs: inputs.clone(),
                            time_scale: *time_scale,
                            concurrency: 4,
                        },
                        k => k.clone(),
                    },
                })
                .collect();
            writer.ingest(&run_id, shifted);
        }
        ids.push(run_id);
    }
    let stats = writer.close().unwrap();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "  filled: {runs} runs, {} events in {:.0} ms, {} transactions, file {:.1} MB",
        stats.events,
        ms(start.elapsed()),
        stats.transactions,
        size as f64 / 1e6
    );
    let iterations = if quick() { 50 } else { 300 };
    let time = |f: &mut dyn FnMut()| {
        let mut times: Vec<Duration> = (0..iterations)
            .map(|_| {
                let s = Instant::now();
                f();
                s.elapsed()
            })
            .collect();
        times.sort();
        times[times.len() / 2]
    };
    let list = time(&mut || {
        assert_eq!(store.list_runs(None, None, 50).unwrap().len(), 50);
    });
    let list_wf = time(&mut || {
        assert_eq!(store.list_runs(Some("wf7"), None, 50).unwrap().len(), 50);
    });
    let list_status = time(&mut || {
        assert_eq!(
            store.list_runs(None, Some("succeeded"), 50).unwrap().len(),
            50
        );
    });
    let one = &ids[runs / 2];
    let events = time(&mut || {
        assert_eq!(store.run_events(one).unwrap().len(), 82);
    });
    let attempts = time(&mut || {
        assert_eq!(store.attempts(one).unwrap().len(), 10);
    });
    let history = time(&mut || {
        let _ = store.median_duration_ms("wf7", "s3", 20, false).unwrap();
    });
    // Baseline: the cheapest possible query on the same connection setup.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let pk = time(&mut || {
        let _: i64 = conn
            .query_row(
                "SELECT cancel_requested FROM runs WHERE run_id = ?1",
                [one],
                |r| r.get(0),
            )
            .unwrap();
    });
    println!(
        "  list_runs(50): {:.3} ms | by workflow: {:.3} ms | by status: {:.3} ms",
        ms(list),
        ms(list_wf),
        ms(list_status)
    );
    println!(
        "  run_events (82 events): {:.3} ms | attempts (10): {:.3} ms | history median (20): {:.3} ms",
        ms(events),
        ms(attempts),
        ms(history)
    );
    println!(
        "  baseline, one primary-key lookup: {:.3} ms → list_runs(50) = {:.0}× it, run_events = {:.0}× it",
        ms(pk),
        ms(list) / ms(pk),
        ms(events) / ms(pk)
    );
    let start = Instant::now();
    let pruned = store.prune(Some(1000), None).unwrap();
    println!(
        "  prune to the newest 1,000: {pruned} runs deleted in {:.0} ms",
        ms(start.elapsed())
    );
}

// ---------------------------------------------------------------- (4)

/// `braid report --workflow ID --last 10000`: the digests of 10,000 stored
/// runs of one workflow, the trend analysis and its HTML page. The first
/// pass computes and caches every digest (what a run does once when it
/// ends); the second is what a report costs afterwards.
fn trend_report(dir: &Path) {
    println!("(4) trend report over 10,000 stored runs of one workflow");
    let path = dir.join("trend.db");
    let store = Store::open(&path).unwrap();
    // synthetic_run records its runs under workflow id `bench`.
    let steps: Vec<String> = (0..10)
        .map(|i| format!("{{\"id\":\"s{i}\",\"agent\":{{\"kind\":\"sim\"}}}}"))
        .collect();
    let edges: Vec<String> = (1..10)
        .map(|i| format!("{{\"from\":\"s{}\",\"to\":\"s{i}\"}}", i - 1))
        .collect();
    let source = format!(
        "{{\"format\":\"braid/1\",\"id\":\"bench\",\"steps\":[{}],\"edges\":[{}]}}",
        steps.join(","),
        edges.join(",")
    );
    let writer = store.writer().unwrap();
    let runs = 10_000;
    for i in 0..runs {
        let run_id = ulid::Ulid::new().to_string();
        store
            .create_run(&NewRun {
                run_id: &run_id,
                workflow_id: "bench",
                workflow_name: None,
                workflow_source: source.as_bytes(),
                workflow_path: None,
                inputs: &JsonMap::new(),
                time_scale: 1.0,
                parent_run_id: None,
            })
            .unwrap();
        for batch in synthetic_run(&run_id, 10, 0) {
            let shifted: EventBatch = batch
                .iter()
                .map(|e| Event {
                    seq: e.seq,
                    at_ms: e.at_ms + i as u64 * 1000,
                    kind: e.kind.clone(),
                })
                .collect();
            writer.ingest(&run_id, shifted);
        }
    }
    writer.close().unwrap();
    let start = Instant::now();
    let digests = store.workflow_digests("bench", runs).unwrap();
    let first = start.elapsed();
    assert_eq!(digests.len(), runs);
    let start = Instant::now();
    let digests = store.workflow_digests("bench", runs).unwrap();
    let read = start.elapsed();
    let start = Instant::now();
    let report = braid_analytics::analyze_workflow(&digests);
    let html = braid_analytics::render::html(&report);
    let analyse = start.elapsed();
    assert!(html.len() > 1000);
    println!(
        "  first report (computes and caches 10,000 digests): {:.0} ms | later reports: read digests {:.0} ms + analyse and render HTML {:.0} ms = {:.0} ms (goal < 1,000 ms)",
        ms(first),
        ms(read),
        ms(analyse),
        ms(read + analyse)
    );
}
