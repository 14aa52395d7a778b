//! Every query of `Store`, on a temporary database file.

use std::sync::Arc;
use std::time::Duration;

use braid_engine::events::{AttemptRef, EventKind, RunStatus};
use braid_engine::plan::History;
use braid_engine::run::aggregate::Outcome;
use braid_engine::run::summary::summarize;
use braid_model::model::JsonMap;
use braid_store::{AttemptStatus, NewRun, StoreError, sha256_hex};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::support::*;

/// A store with one synthetic run of `steps` steps written and committed.
fn stored_run(
    steps: usize,
) -> (
    TempDb,
    braid_store::Store,
    String,
    Vec<braid_engine::events::Event>,
) {
    let db = temp_db();
    let store = open(&db);
    let run_id = new_run_id();
    create_run(&store, &run_id, "synthetic", steps);
    let batches = synthetic_run(&run_id, "synthetic", steps, 2);
    let writer = store.writer().unwrap();
    for b in &batches {
        writer.ingest(&run_id, b.clone());
    }
    writer.close().unwrap();
    (db, store, run_id, events_of(&batches))
}

#[test]
fn create_run_records_the_workflow_once_per_content_hash() {
    let db = temp_db();
    let store = open(&db);
    let (a, b) = (new_run_id(), new_run_id());
    let ha = create_run(&store, &a, "wf", 3);
    let hb = create_run(&store, &b, "wf", 3);
    assert_eq!(ha, hb, "same bytes, same hash");
    assert_eq!(ha, sha256_hex(&workflow_source("wf", 3)));
    let record = store.run_record(&a).unwrap();
    assert_eq!(
        record.workflow_source.as_deref().map(str::as_bytes),
        Some(workflow_source("wf", 3).as_slice()),
        "the file as run, byte for byte"
    );
    assert_eq!(record.workflow().unwrap().steps.len(), 3);
    assert_eq!(record.run.status, RunStatus::Running);
    assert_eq!(record.run.workflow_name.as_deref(), Some("Synthetic"));
    assert_eq!(record.run.owner_pid, Some(std::process::id()));
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    let workflows: i64 = conn
        .query_row("SELECT COUNT(*) FROM workflows", [], |r| r.get(0))
        .unwrap();
    assert_eq!(workflows, 1);
    // A different file is a different workflow row.
    create_run(&store, &new_run_id(), "wf", 4);
    let workflows: i64 = conn
        .query_row("SELECT COUNT(*) FROM workflows", [], |r| r.get(0))
        .unwrap();
    assert_eq!(workflows, 2);
}

#[test]
fn run_and_run_record_of_an_unknown_run_say_so() {
    let db = temp_db();
    let store = open(&db);
    assert!(matches!(store.run("nope"), Err(StoreError::RunNotFound(_))));
    assert!(matches!(
        store.run_record("nope"),
        Err(StoreError::RunNotFound(_))
    ));
    assert!(store.run_events("nope").unwrap().is_empty());
    assert_eq!(store.last_seq("nope").unwrap(), None);
}

#[test]
fn run_events_come_back_exactly_as_emitted_in_seq_order() {
    let (_db, store, run_id, events) = stored_run(5);
    let stored = store.run_events(&run_id).unwrap();
    assert_eq!(stored, events);
    assert_eq!(
        store.last_seq(&run_id).unwrap(),
        Some(events.last().unwrap().seq)
    );
}

#[test]
fn the_run_row_follows_run_started_and_run_finished() {
    let (_db, store, run_id, events) = stored_run(2);
    let run = store.run(&run_id).unwrap();
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.started_at_ms, events[0].at_ms);
    assert_eq!(run.finished_at_ms, Some(events.last().unwrap().at_ms));
    assert_eq!(
        run.duration_ms,
        events.last().unwrap().at_ms - events[0].at_ms
    );
    assert_eq!(run.started_at, "2023-11-14T22:13:20Z");
}

#[test]
fn summary_from_the_store_equals_the_summary_of_the_events() {
    let (_db, store, run_id, events) = stored_run(4);
    let record = store.run_record(&run_id).unwrap();
    let live = summarize(&record.workflow().unwrap(), &events);
    assert_eq!(store.summary(&run_id).unwrap(), live);
    assert_eq!(live.status, RunStatus::Succeeded);
}

#[test]
fn attempts_hold_times_exit_codes_outputs_and_tails() {
    let (_db, store, run_id, events) = stored_run(3);
    let attempts = store.attempts(&run_id).unwrap();
    assert_eq!(attempts.len(), 3);
    for (i, a) in attempts.iter().enumerate() {
        assert_eq!(a.step, format!("s{i}"));
        assert_eq!((a.element, a.attempt), (None, 1));
        assert_eq!(a.status, AttemptStatus::Succeeded);
        assert!(a.is_final);
        assert_eq!(a.exit_code, Some(0));
        assert_eq!(a.stdout_tail.as_deref(), Some("done\n"));
        assert_eq!(a.score, Some(90.0));
        assert_eq!(a.approved, Some(true));
        assert_eq!(a.outputs.as_ref().unwrap()[&format!("k{i}")], json!(i));
        assert_eq!((a.pid, a.pgid), (Some(1), Some(1)));
        assert!(a.queued_at_ms.is_some() && a.started_at_ms.is_some());
        assert!(a.finished_at_ms >= a.started_at_ms);
        assert_eq!(a.duration_ms, Some(10 + i as u64 % 7));
    }
    let started: Vec<u64> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::StepStarted { .. }))
        .map(|e| e.at_ms)
        .collect();
    assert_eq!(
        attempts
            .iter()
            .map(|a| a.started_at_ms.unwrap())
            .collect::<Vec<_>>(),
        started
    );
    assert_eq!(store.completed_attempts(&run_id).unwrap(), attempts);
    assert!(store.in_flight_attempts(&run_id).unwrap().is_empty());
}

#[test]
fn context_writes_keep_writer_key_old_and_new() {
    let db = temp_db();
    let store = open(&db);
    let run_id = new_run_id();
    create_run(&store, &run_id, "wf", 1);
    let mut s = Stamper::new(1_000);
    let writer = store.writer().unwrap();
    writer.ingest(
        &run_id,
        s.batch(vec![
            EventKind::ContextWrite {
                round: 1,
                writer: "a".into(),
                key: "k".into(),
                old: None,
                new: json!({"x": [1, 2.5, "three"]}),
            },
            EventKind::ContextWrite {
                round: 1,
                writer: "b".into(),
                key: "k".into(),
                old: Some(json!({"x": [1, 2.5, "three"]})),
                new: json!(null),
            },
        ]),
    );
    writer.close().unwrap();
    let writes = store.context_writes(&run_id).unwrap();
    assert_eq!(writes.len(), 2);
    assert_eq!((writes[0].seq, writes[0].writer.as_str()), (0, "a"));
    assert_eq!(writes[0].old, None);
    assert_eq!(writes[0].new, json!({"x": [1, 2.5, "three"]}));
    assert_eq!(writes[1].old, Some(json!({"x": [1, 2.5, "three"]})));
    assert_eq!(writes[1].new, json!(null));
}

#[test]
fn group_aggregations_and_step_metrics_are_derived() {
    let db = temp_db();
    let store = open(&db);
    let run_id = new_run_id();
    create_run(&store, &run_id, "wf", 1);
    let writer = store.writer().unwrap();
    let mut s = Stamper::new(10_000);
    let a = |n| AttemptRef {
        round: 1,
        step: "flaky".into(),
        element: None,
        attempt: n,
    };
    writer.ingest(
        &run_id,
        s.batch(vec![
            EventKind::StepQueued { at: a(1) },
            EventKind::StepSkipped {
                round: 1,
                step: "never".into(),
                reason: "condition".into(),
            },
        ]),
    );
    s.tick(5);
    writer.ingest(&run_id, s.batch(vec![EventKind::StepStarted { at: a(1) }]));
    s.tick(100);
    writer.ingest(
        &run_id,
        s.batch(vec![
            EventKind::AttemptEnded {
                at: a(1),
                exit_code: Some(1),
                stdout_tail: String::new(),
                stderr_tail: "boom\n".into(),
                duration_ms: 100,
            },
            EventKind::AttemptFailed {
                at: a(1),
                error: "exit 1".into(),
                timed_out: false,
            },
            EventKind::StepRetrying {
                at: a(1),
                next_attempt: 2,
                delay_ms: 250,
            },
        ]),
    );
    s.tick(250);
    writer.ingest(
        &run_id,
        s.batch(vec![
            EventKind::StepQueued { at: a(2) },
            EventKind::StepStarted { at: a(2) },
        ]),
    );
    s.tick(40);
    writer.ingest(
        &run_id,
        s.batch(vec![
            EventKind::AttemptEnded {
                at: a(2),
                exit_code: Some(0),
                stdout_tail: String::new(),
                stderr_tail: String::new(),
                duration_ms: 40,
            },
            EventKind::StepSucceeded {
                recommendations: Vec::new(),
                errors: Vec::new(),
                at: a(2),
                outputs: JsonMap::new(),
                score: None,
                approved: None,
            },
            EventKind::GroupAggregated {
                round: 1,
                group: "g".into(),
                outcome: Outcome::NeedsWork,
                score: Some(72.5),
                approved: false,
            },
        ]),
    );
    writer.close().unwrap();

    let groups = store.group_aggregations(&run_id).unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].group, "g");
    assert_eq!(groups[0].outcome, Outcome::NeedsWork);
    assert_eq!((groups[0].score, groups[0].approved), (Some(72.5), false));

    let attempts = store.attempts(&run_id).unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0].status, AttemptStatus::Failed);
    assert!(!attempts[0].is_final, "a retry followed");
    assert_eq!(attempts[0].retry_delay_ms, Some(250));
    assert_eq!(attempts[0].error.as_deref(), Some("exit 1"));
    assert_eq!(attempts[0].stderr_tail.as_deref(), Some("boom\n"));
    assert_eq!(attempts[1].status, AttemptStatus::Succeeded);
    assert!(attempts[1].is_final);
    let completed = store.completed_attempts(&run_id).unwrap();
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0].attempt, 2);

    let metrics = store.step_metrics(&run_id).unwrap();
    let flaky = metrics.iter().find(|m| m.step == "flaky").unwrap();
    assert_eq!(flaky.status, "succeeded");
    assert_eq!(flaky.attempts, 2);
    assert_eq!(flaky.elements, 0);
    assert_eq!(flaky.queued_ms, 5, "first attempt waited 5 ms, second none");
    assert_eq!(flaky.run_ms, 140);
    assert_eq!(flaky.retry_ms, 250);
    assert_eq!(flaky.duration_ms, 100 + 250 + 40);
    let never = metrics.iter().find(|m| m.step == "never").unwrap();
    assert_eq!((never.status.as_str(), never.attempts), ("skipped", 0));
}

#[test]
fn map_elements_are_separate_attempts_and_the_worst_element_wins() {
    let db = temp_db();
    let store = open(&db);
    let run_id = new_run_id();
    create_run(&store, &run_id, "wf", 1);
    let writer = store.writer().unwrap();
    let mut s = Stamper::new(0);
    let el = |e| AttemptRef {
        round: 1,
        step: "audit".into(),
        element: Some(e),
        attempt: 1,
    };
    let mut kinds = Vec::new();
    for e in 0..3 {
        kinds.push(EventKind::StepStarted { at: el(e) });
    }
    writer.ingest(&run_id, s.batch(kinds));
    s.tick(7);
    writer.ingest(
        &run_id,
        s.batch(vec![
            EventKind::StepSucceeded {
                recommendations: Vec::new(),
                errors: Vec::new(),
                at: el(0),
                outputs: JsonMap::new(),
                score: None,
                approved: None,
            },
            EventKind::StepFailed {
                at: el(1),
                error: "bad element".into(),
            },
            EventKind::StepSucceeded {
                recommendations: Vec::new(),
                errors: Vec::new(),
                at: el(2),
                outputs: JsonMap::new(),
                score: None,
                approved: None,
            },
        ]),
    );
    writer.close().unwrap();
    let attempts = store.attempts(&run_id).unwrap();
    assert_eq!(
        attempts.iter().map(|a| a.element).collect::<Vec<_>>(),
        [Some(0), Some(1), Some(2)]
    );
    let m = &store.step_metrics(&run_id).unwrap()[0];
    assert_eq!(
        (m.status.as_str(), m.elements, m.attempts),
        ("failed", 3, 3)
    );
}

#[test]
fn list_runs_is_newest_first_with_filters_and_limit() {
    let db = temp_db();
    let store = open(&db);
    let writer = store.writer().unwrap();
    let mut ids = Vec::new();
    for i in 0..6u64 {
        let run_id = new_run_id();
        let wf = if i % 2 == 0 { "even" } else { "odd" };
        create_run(&store, &run_id, wf, 1);
        let mut s = Stamper::new(1_000_000 + i * 1000);
        let mut kinds = vec![EventKind::RunStarted {
            run_id: run_id.clone(),
            workflow_id: wf.into(),
            inputs: JsonMap::new(),
            time_scale: 1.0,
            concurrency: 4,
        }];
        if i < 4 {
            kinds.push(EventKind::RunFinished {
                status: if i == 1 {
                    RunStatus::Failed
                } else {
                    RunStatus::Succeeded
                },
                error: None,
            });
        }
        writer.ingest(&run_id, s.batch(kinds));
        ids.push(run_id);
    }
    writer.close().unwrap();
    let all = store.list_runs(None, None, 100).unwrap();
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(
        all.iter().map(|r| r.run_id.clone()).collect::<Vec<_>>(),
        newest_first
    );
    assert_eq!(store.list_runs(None, None, 2).unwrap().len(), 2);
    let even = store.list_runs(Some("even"), None, 100).unwrap();
    assert_eq!(even.len(), 3);
    assert!(even.iter().all(|r| r.workflow_id == "even"));
    let running = store.list_runs(None, Some("running"), 100).unwrap();
    assert_eq!(
        running
            .iter()
            .map(|r| r.run_id.as_str())
            .collect::<Vec<_>>(),
        [ids[5].as_str(), ids[4].as_str()]
    );
    let failed_odd = store.list_runs(Some("odd"), Some("failed"), 100).unwrap();
    assert_eq!(failed_odd.len(), 1);
    assert_eq!(failed_odd[0].run_id, ids[1]);
    assert!(store.list_runs(Some("none"), None, 10).unwrap().is_empty());
    // The `runs --json` shape: these keys, these types.
    let value = serde_json::to_value(&all[2]).unwrap();
    for key in [
        "run_id",
        "workflow_id",
        "status",
        "started_at",
        "duration_ms",
    ] {
        assert!(value.get(key).is_some(), "{key} in {value}");
    }
    assert_eq!(value["status"], "succeeded");
    assert_eq!(value["duration_ms"], 0);
}

#[test]
fn cancel_is_requested_through_the_database_and_only_for_running_runs() {
    let (_db, store, finished, _) = stored_run(1);
    let run_id = new_run_id();
    create_run(&store, &run_id, "wf", 1);
    assert!(!store.cancel_requested(&run_id).unwrap());
    // From another connection, as another process would.
    let other = braid_store::Store::open(store.path()).unwrap();
    other.request_cancel(&run_id).unwrap();
    assert!(store.cancel_requested(&run_id).unwrap());
    assert!(store.run(&run_id).unwrap().cancel_requested);
    match other.request_cancel(&finished) {
        Err(StoreError::NotRunning { status, .. }) => assert_eq!(status, "succeeded"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        other.request_cancel("missing"),
        Err(StoreError::RunNotFound(_))
    ));
    assert!(matches!(
        store.cancel_requested("missing"),
        Err(StoreError::RunNotFound(_))
    ));
}

#[tokio::test]
async fn watch_cancel_cancels_the_token_when_the_flag_is_set() {
    let db = temp_db();
    let store = Arc::new(open(&db));
    let run_id = new_run_id();
    create_run(&store, &run_id, "wf", 1);
    let token = CancellationToken::new();
    let watcher = tokio::spawn(store.clone().watch_cancel(
        run_id.clone(),
        token.clone(),
        Duration::from_millis(10),
    ));
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(!token.is_cancelled());
    braid_store::Store::open(&db.path)
        .unwrap()
        .request_cancel(&run_id)
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), watcher)
        .await
        .expect("watcher noticed")
        .unwrap();
    assert!(token.is_cancelled());
}

#[test]
fn claim_run_takes_over_an_interrupted_run_but_not_a_live_one() {
    let db = temp_db();
    let store = open(&db);
    let run_id = new_run_id();
    create_run(&store, &run_id, "wf", 1);
    // Owned by this (live) process: refused.
    assert!(matches!(
        store.claim_run(&run_id),
        Err(StoreError::StillRunning { .. })
    ));
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    conn.execute(
        "UPDATE runs SET status = 'interrupted', finished_at_ms = 5, error = 'x', cancel_requested = 1 WHERE run_id = ?1",
        [&run_id],
    )
    .unwrap();
    let run = store.claim_run(&run_id).unwrap();
    assert_eq!(run.status, RunStatus::Running);
    assert_eq!((run.finished_at_ms, run.error), (None, None));
    assert!(!run.cancel_requested);
    assert!(matches!(
        store.claim_run("missing"),
        Err(StoreError::RunNotFound(_))
    ));
}

#[test]
fn mark_interrupted_attempts_and_in_flight_attempts() {
    let db = temp_db();
    let store = open(&db);
    let run_id = new_run_id();
    create_run(&store, &run_id, "wf", 3);
    let writer = store.writer().unwrap();
    let mut s = Stamper::new(100);
    writer.ingest(
        &run_id,
        s.batch(vec![
            EventKind::StepStarted { at: at("a", 1) },
            EventKind::StepStarted { at: at("b", 1) },
            EventKind::StepQueued { at: at("c", 1) },
            EventKind::StepSucceeded {
                recommendations: Vec::new(),
                errors: Vec::new(),
                at: at("a", 1),
                outputs: JsonMap::new(),
                score: None,
                approved: None,
            },
        ]),
    );
    writer.close().unwrap();
    let in_flight = store.in_flight_attempts(&run_id).unwrap();
    assert_eq!(in_flight.len(), 1);
    assert_eq!(
        (in_flight[0].step.as_str(), in_flight[0].status),
        ("b", AttemptStatus::Running)
    );
    assert_eq!(store.mark_interrupted_attempts(&run_id).unwrap(), 1);
    let attempts = store.attempts(&run_id).unwrap();
    let status = |step: &str| attempts.iter().find(|a| a.step == step).unwrap().status;
    assert_eq!(status("a"), AttemptStatus::Succeeded);
    assert_eq!(status("b"), AttemptStatus::Interrupted);
    assert_eq!(status("c"), AttemptStatus::Cancelled, "never started");
    let in_flight = store.in_flight_attempts(&run_id).unwrap();
    assert_eq!(in_flight.len(), 1);
    assert_eq!(in_flight[0].status, AttemptStatus::Interrupted);
    assert_eq!(store.completed_attempts(&run_id).unwrap().len(), 1);
}

#[test]
fn history_is_the_median_of_recent_successful_attempts() {
    let db = temp_db();
    let store = open(&db);
    let writer = store.writer().unwrap();
    // 25 runs of "wf": step "build" takes 100, 110, …, 340 ms; older first.
    for i in 0..25u64 {
        let run_id = new_run_id();
        create_run(&store, &run_id, "wf", 1);
        let mut s = Stamper::new(1_000_000 + i * 10_000);
        let kinds = vec![
            EventKind::RunStarted {
                run_id: run_id.clone(),
                workflow_id: "wf".into(),
                inputs: JsonMap::new(),
                time_scale: 1.0,
                concurrency: 4,
            },
            EventKind::StepStarted { at: at("build", 1) },
        ];
        writer.ingest(&run_id, s.batch(kinds));
        s.tick(100 + i * 10);
        writer.ingest(
            &run_id,
            s.batch(vec![
                EventKind::AttemptEnded {
                    at: at("build", 1),
                    exit_code: Some(0),
                    stdout_tail: String::new(),
                    stderr_tail: String::new(),
                    duration_ms: 100 + i * 10,
                },
                EventKind::StepSucceeded {
                    recommendations: Vec::new(),
                    errors: Vec::new(),
                    at: at("build", 1),
                    outputs: JsonMap::new(),
                    score: None,
                    approved: None,
                },
                // A failed step never counts.
                EventKind::StepFailed {
                    at: at("deploy", 1),
                    error: "no".into(),
                },
            ]),
        );
    }
    writer.close().unwrap();
    let recent = store.recent_durations("wf", "build", 20, false).unwrap();
    assert_eq!(recent.len(), 20);
    assert_eq!(recent[0], 340, "newest first");
    // Last 20: 150..=340 step 10 → median of an even count: (240+250)/2.
    assert_eq!(
        store.median_duration_ms("wf", "build", 20, false).unwrap(),
        Some(245)
    );
    assert_eq!(
        store.median_duration_ms("wf", "build", 3, false).unwrap(),
        Some(330)
    );
    assert_eq!(
        History::duration_ms(&store, "wf", "build", false),
        Some(245)
    );
    assert_eq!(History::duration_ms(&store, "wf", "deploy", false), None);
    assert_eq!(History::duration_ms(&store, "other", "build", false), None);
    // The planner uses it.
    let doc = json!({ "format": "braid/1", "id": "wf", "steps": [
        { "id": "build", "agent": { "kind": "sim", "duration_ms": 5 } } ] });
    let valid = valid(&serde_json::to_vec(&doc).unwrap());
    let plan = braid_engine::plan::plan(
        &valid,
        &braid_engine::plan::PlanOptions {
            default_concurrency: 2,
            history: &store,
        },
    );
    assert_eq!(plan.steps["build"].predicted_ms, 245);
    assert_eq!(
        plan.steps["build"].source,
        braid_engine::plan::Source::History
    );
}

#[test]
fn sim_history_is_read_in_file_time_whatever_scale_it_ran_at() {
    let db = temp_db();
    let store = open(&db);
    let writer = store.writer().unwrap();
    // "build" is a 200 ms sim step, run at scales 1, 0.5 and 0.1 (and 0,
    // where it takes no time and says nothing about its length).
    for (i, (scale, took)) in [(1.0, 200u64), (0.5, 100), (0.1, 20), (0.0, 0)]
        .into_iter()
        .enumerate()
    {
        let run_id = new_run_id();
        let source = workflow_source("wf", 1);
        store
            .create_run(&NewRun {
                run_id: &run_id,
                workflow_id: "wf",
                workflow_name: None,
                workflow_source: &source,
                workflow_path: None,
                inputs: &JsonMap::new(),
                time_scale: scale,
                parent_run_id: None,
            })
            .unwrap();
        let mut s = Stamper::new(1_000_000 + i as u64 * 10_000);
        writer.ingest(
            &run_id,
            s.batch(vec![EventKind::StepStarted { at: at("build", 1) }]),
        );
        s.tick(took);
        writer.ingest(
            &run_id,
            s.batch(vec![
                EventKind::AttemptEnded {
                    at: at("build", 1),
                    exit_code: Some(0),
                    stdout_tail: String::new(),
                    stderr_tail: String::new(),
                    duration_ms: took,
                },
                EventKind::StepSucceeded {
                    recommendations: Vec::new(),
                    errors: Vec::new(),
                    at: at("build", 1),
                    outputs: JsonMap::new(),
                    score: None,
                    approved: None,
                },
            ]),
        );
    }
    writer.close().unwrap();
    // As measured (what a shell step's history is), newest first…
    assert_eq!(
        store.recent_durations("wf", "build", 20, false).unwrap(),
        [0, 20, 100, 200]
    );
    // …and in file time for a sim step: every scaled run agrees.
    assert_eq!(
        store.recent_durations("wf", "build", 20, true).unwrap(),
        [200, 200, 200]
    );
    assert_eq!(History::duration_ms(&store, "wf", "build", true), Some(200));
}

#[test]
fn the_history_query_uses_its_index() {
    let db = temp_db();
    let _store = open(&db);
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    let plan: Vec<String> = conn
        .prepare(
            "EXPLAIN QUERY PLAN SELECT COALESCE(a.duration_ms, a.finished_at_ms - a.started_at_ms), r.time_scale
             FROM attempts a JOIN runs r ON r.run_id = a.run_id
             WHERE a.workflow_id = ?1 AND a.step = ?2 AND a.status = 'succeeded'
               AND a.reused_from IS NULL AND (?4 = 0 OR r.time_scale > 0)
             ORDER BY a.finished_at_ms DESC LIMIT ?3",
        )
        .unwrap()
        .query_map(["wf", "s", "20", "1"], |r| r.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let text = plan.join(" | ");
    assert!(text.contains("attempts_history"), "{text}");
    assert!(!text.contains("TEMP B-TREE"), "no sort: {text}");
    for (sql, index) in [
        (
            "SELECT run_id FROM runs ORDER BY started_at_ms DESC, run_id DESC LIMIT 5",
            "runs_by_started",
        ),
        (
            "SELECT run_id FROM runs WHERE workflow_id = 'x' ORDER BY started_at_ms DESC, run_id DESC LIMIT 5",
            "runs_by_workflow",
        ),
        (
            "SELECT run_id FROM runs WHERE status = 'running' ORDER BY started_at_ms DESC, run_id DESC LIMIT 5",
            "runs_by_status",
        ),
    ] {
        let detail: String = conn
            .query_row(&format!("EXPLAIN QUERY PLAN {sql}"), [], |r| r.get(3))
            .unwrap();
        assert!(detail.contains(index), "{sql}: {detail}");
    }
}

#[test]
fn prune_keeps_the_newest_and_never_a_running_run() {
    let db = temp_db();
    let store = open(&db);
    let writer = store.writer().unwrap();
    let mut ids = Vec::new();
    for i in 0..5u64 {
        let run_id = new_run_id();
        create_run(&store, &run_id, &format!("wf{i}"), 1);
        let batches = synthetic_run(&run_id, &format!("wf{i}"), 1, 1);
        for b in batches {
            // Shift each run's clock so they sort by index.
            let shifted: braid_engine::bus::EventBatch = b
                .iter()
                .map(|e| braid_engine::events::Event {
                    at_ms: e.at_ms + i * 1000,
                    ..e.clone()
                })
                .collect();
            writer.ingest(&run_id, shifted);
        }
        ids.push(run_id);
    }
    // The oldest run is still going: never pruned.
    let running = new_run_id();
    create_run(&store, &running, "live", 1);
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    writer.close().unwrap();
    conn.execute(
        "UPDATE runs SET started_at_ms = 1 WHERE run_id = ?1",
        [&running],
    )
    .unwrap();
    assert_eq!(store.prune(None, None).unwrap(), 0);
    assert_eq!(
        store.prune(Some(2), None).unwrap(),
        3,
        "keeps the newest two"
    );
    let left: Vec<String> = store
        .list_runs(None, None, 10)
        .unwrap()
        .into_iter()
        .map(|r| r.run_id)
        .collect();
    assert_eq!(left, [ids[4].clone(), ids[3].clone(), running.clone()]);
    for table in ["events", "attempts", "context_writes", "step_metrics"] {
        let orphans: i64 = conn
            .query_row(
                &format!(
                    "SELECT COUNT(*) FROM {table} WHERE run_id NOT IN (SELECT run_id FROM runs)"
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(orphans, 0, "{table} rows went with their runs");
    }
    let workflows: i64 = conn
        .query_row("SELECT COUNT(*) FROM workflows", [], |r| r.get(0))
        .unwrap();
    assert_eq!(workflows, 3, "unreferenced workflows are gone");
    // Runs from 2023 are older than a day; the running one stays.
    assert_eq!(store.prune(None, Some(1)).unwrap(), 2);
    assert_eq!(store.list_runs(None, None, 10).unwrap().len(), 1);
    assert_eq!(store.prune(None, Some(1)).unwrap(), 0);
}

#[test]
fn run_rows_are_made_from_events_when_create_run_was_not_called() {
    let db = temp_db();
    let store = open(&db);
    let run_id = new_run_id();
    let writer = store.writer().unwrap();
    for b in synthetic_run(&run_id, "adhoc", 1, 0) {
        writer.ingest(&run_id, b);
    }
    writer.close().unwrap();
    let record = store.run_record(&run_id).unwrap();
    assert_eq!(record.run.workflow_id, "adhoc");
    assert_eq!(record.run.status, RunStatus::Succeeded);
    assert_eq!(record.workflow_source, None);
    assert!(matches!(
        store.summary(&run_id),
        Err(StoreError::NoWorkflow(_))
    ));
    assert_eq!(store.attempts(&run_id).unwrap().len(), 1);
}

#[test]
fn create_run_stores_inputs_time_scale_and_parent() {
    let db = temp_db();
    let store = open(&db);
    let parent = new_run_id();
    create_run(&store, &parent, "wf", 1);
    let child = new_run_id();
    let mut inputs = JsonMap::new();
    inputs.insert("page_id".into(), json!("p-1"));
    let source = workflow_source("sub", 1);
    store
        .create_run(&NewRun {
            run_id: &child,
            workflow_id: "sub",
            workflow_name: None,
            workflow_source: &source,
            workflow_path: Some(std::path::Path::new("workflows/sub.json")),
            inputs: &inputs,
            time_scale: 0.25,
            parent_run_id: Some(&parent),
        })
        .unwrap();
    let run = store.run(&child).unwrap();
    assert_eq!(run.inputs, inputs);
    assert_eq!(run.time_scale, 0.25);
    assert_eq!(run.parent_run_id.as_deref(), Some(parent.as_str()));
    assert_eq!(run.workflow_name, None);
    let stored = std::path::PathBuf::from(run.workflow_path.unwrap());
    assert!(stored.is_absolute(), "{stored:?}");
    assert_eq!(
        stored,
        std::env::current_dir().unwrap().join("workflows/sub.json")
    );
    // Recorded without a path: none.
    assert_eq!(store.run(&parent).unwrap().workflow_path, None);
    // The parent lists its sub-runs.
    let subs = store.sub_runs(&parent).unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].run_id, child);
    assert!(store.sub_runs(&child).unwrap().is_empty());
}

#[test]
fn digests_are_computed_once_cached_and_listed_per_workflow() {
    let db = crate::support::temp_db();
    let store = crate::support::open(&db);
    // A workflow with steps s0..s2 in a chain, as `synthetic_run` records them.
    let source = br#"{"format":"braid/1","id":"wf","steps":[
        {"id":"s0","agent":{"kind":"sim"}},{"id":"s1","agent":{"kind":"sim"}},{"id":"s2","agent":{"kind":"sim"}}],
        "edges":[{"from":"s0","to":"s1"},{"from":"s1","to":"s2"}]}"#;
    let run_id = "01JD0000000000000000000001";
    store
        .create_run(&braid_store::NewRun {
            run_id,
            workflow_id: "wf",
            workflow_name: None,
            workflow_source: source,
            inputs: &braid_model::model::JsonMap::new(),
            time_scale: 1.0,
            parent_run_id: None,
            workflow_path: None,
        })
        .unwrap();
    assert_eq!(
        store.digest(run_id).unwrap(),
        None,
        "no digest while running"
    );
    let writer = store.writer().unwrap();
    for batch in crate::support::synthetic_run(run_id, "wf", 3, 0) {
        writer.ingest(run_id, batch);
    }
    writer.close().unwrap();
    let first = store
        .digest(run_id)
        .unwrap()
        .expect("a finished run has a digest");
    assert_eq!(
        (first.run_id.as_str(), first.workflow_id.as_str()),
        (run_id, "wf")
    );
    assert_eq!(first.steps.len(), 3);
    assert_eq!(store.digest(run_id).unwrap(), Some(first.clone()), "cached");
    assert_eq!(store.workflow_digests("wf", 10).unwrap(), vec![first]);
}
