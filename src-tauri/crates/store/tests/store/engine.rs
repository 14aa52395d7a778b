//! Real engine runs (sim agents, shell steps with real processes) stored
//! through the writer, which is also the run's `Durability`.

use std::collections::HashMap;

use braid_engine::events::{Event, EventKind, RunStatus};
use braid_engine::run::summary::summarize;
use braid_store::{AttemptStatus, Store};
use serde_json::{Value, json};

use crate::support::*;

/// Checks that what the store holds for a run is what its events say.
fn check_stored_matches_events(store: &Store, run_id: &str, live: &[Event], bytes: &[u8]) {
    // The raw stream, verbatim.
    let stored = store.run_events(run_id).unwrap();
    assert_eq!(stored, live, "stored events equal the live ones");

    // The summary folded from stored events equals the live one.
    let workflow = braid_model::parse::parse_workflow(bytes).unwrap();
    let live_summary = summarize(&workflow, live);
    assert_eq!(store.summary(run_id).unwrap(), live_summary);

    // Attempts: one row per started attempt, with its times and outcome.
    let attempts = store.attempts(run_id).unwrap();
    let by_key: HashMap<(String, Option<u32>, u32), &braid_store::AttemptRecord> = attempts
        .iter()
        .map(|a| ((a.step.clone(), a.element, a.attempt), a))
        .collect();
    let mut started = 0;
    for e in live {
        match &e.kind {
            EventKind::StepStarted { at } => {
                started += 1;
                let a = by_key[&(at.step.clone(), at.element, at.attempt)];
                assert_eq!(a.started_at_ms, Some(e.at_ms), "{at:?}");
            }
            EventKind::StepSucceeded {
                at,
                outputs,
                score,
                approved,
                ..
            } => {
                let a = by_key[&(at.step.clone(), at.element, at.attempt)];
                assert_eq!(a.status, AttemptStatus::Succeeded, "{at:?}");
                assert!(a.is_final);
                assert_eq!(a.outputs.as_ref(), Some(outputs));
                assert_eq!((a.score, a.approved), (*score, *approved));
                assert_eq!(a.finished_at_ms, Some(e.at_ms));
            }
            EventKind::StepFailed { at, error } => {
                let a = by_key[&(at.step.clone(), at.element, at.attempt)];
                assert_eq!(a.status, AttemptStatus::Failed);
                assert_eq!(a.error.as_ref(), Some(error));
            }
            EventKind::AttemptEnded {
                at,
                exit_code,
                stdout_tail,
                duration_ms,
                ..
            } => {
                let a = by_key[&(at.step.clone(), at.element, at.attempt)];
                assert_eq!(a.exit_code, *exit_code);
                assert_eq!(a.stdout_tail.as_ref(), Some(stdout_tail));
                assert_eq!(a.duration_ms, Some(*duration_ms));
            }
            EventKind::ProcessSpawned { at, pid, pgid } => {
                let a = by_key[&(at.step.clone(), at.element, at.attempt)];
                assert_eq!((a.pid, a.pgid), (Some(*pid), Some(*pgid)));
            }
            _ => {}
        }
    }
    assert_eq!(
        attempts
            .iter()
            .filter(|a| a.started_at_ms.is_some())
            .count(),
        started,
        "one attempt row per start"
    );

    // Context writes, in order, with old and new values.
    let writes: Vec<(u64, String, String, Option<Value>, Value)> = live
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ContextWrite {
                writer,
                key,
                old,
                new,
                ..
            } => Some((e.seq, writer.clone(), key.clone(), old.clone(), new.clone())),
            _ => None,
        })
        .collect();
    let stored_writes: Vec<(u64, String, String, Option<Value>, Value)> = store
        .context_writes(run_id)
        .unwrap()
        .into_iter()
        .map(|w| (w.seq, w.writer, w.key, w.old, w.new))
        .collect();
    assert_eq!(stored_writes, writes);

    // Group aggregations.
    let groups: Vec<(String, String)> = live
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::GroupAggregated { group, outcome, .. } => {
                Some((group.clone(), outcome.as_str().to_string()))
            }
            _ => None,
        })
        .collect();
    let stored_groups: Vec<(String, String)> = store
        .group_aggregations(run_id)
        .unwrap()
        .into_iter()
        .map(|g| (g.group, g.outcome.as_str().to_string()))
        .collect();
    assert_eq!(stored_groups, groups);

    // Step metrics agree with the summary on status.
    for m in store.step_metrics(run_id).unwrap() {
        assert_eq!(
            m.status,
            live_summary.steps[&m.step].status.as_str(),
            "{}",
            m.step
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_workflows_are_stored_exactly_as_they_ran() {
    let db = temp_db();
    let store = open(&db);
    let writer = store.writer().unwrap();
    let dir = workflows_dir();
    let cases = [
        ("blog-publishing.json", json!({ "page_id": "post-1234" })),
        ("page-audit-map.json", json!({})),
        ("code-review-swarm.json", json!({ "pr_number": 42 })),
        ("release-pipeline.json", json!({ "version": "2.4.0" })),
    ];
    let mut runs = Vec::new();
    for (file, inputs) in cases {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let (run_id, outcome, live) =
            run_with_store(&store, &writer, &bytes, &dir, inputs, 0.01).await;
        assert_eq!(
            outcome.status,
            RunStatus::Succeeded,
            "{file}: {:?}",
            outcome.error
        );
        runs.push((file, run_id, live, bytes));
    }
    writer.flush().await.unwrap();
    for (file, run_id, live, bytes) in &runs {
        eprintln!("checking {file}");
        check_stored_matches_events(&store, run_id, live, bytes);
        let run = store.run(run_id).unwrap();
        assert_eq!(run.status, RunStatus::Succeeded);
    }
    let listed = store.list_runs(None, None, 10).unwrap();
    assert_eq!(listed.len(), 4);
    assert_eq!(listed[0].run_id, runs[3].1, "newest first");
    tokio::task::spawn_blocking(move || writer.close().unwrap())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_failures_and_shell_output_are_stored() {
    let db = temp_db();
    let store = open(&db);
    let writer = store.writer().unwrap();
    let dir = db.dir.path().to_path_buf();
    let doc = json!({
        "format": "braid/1", "id": "flaky",
        "steps": [
            {
                "id": "flaky",
                "agent": { "kind": "shell", "script": "echo try; n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; [ $n -ge 2 ] && echo '{\"outputs\": {\"tries\": 2}}' || exit 3" },
                "produces": ["tries"],
                "retry": { "max_attempts": 3, "backoff_ms": 10 }
            },
            { "id": "after", "agent": { "kind": "sim", "duration_ms": 1, "outputs": { "done": true } }, "requires": ["tries"], "produces": ["done"] },
            { "id": "broken", "agent": { "kind": "shell", "script": "echo oops >&2; exit 2" } }
        ],
        "edges": [{ "from": "flaky", "to": "after" }, { "from": "after", "to": "broken" }]
    });
    let bytes = serde_json::to_vec(&doc).unwrap();
    let (run_id, outcome, live) =
        run_with_store(&store, &writer, &bytes, &dir, json!({}), 1.0).await;
    assert_eq!(outcome.status, RunStatus::Failed);
    writer.flush().await.unwrap();
    check_stored_matches_events(&store, &run_id, &live, &bytes);
    let attempts = store.attempts(&run_id).unwrap();
    let flaky: Vec<_> = attempts.iter().filter(|a| a.step == "flaky").collect();
    assert_eq!(flaky.len(), 2);
    assert_eq!(flaky[0].exit_code, Some(3));
    assert_eq!(flaky[0].status, AttemptStatus::Failed);
    assert!(!flaky[0].is_final);
    assert_eq!(flaky[0].retry_delay_ms, Some(10));
    assert!(flaky[0].stdout_tail.as_deref().unwrap().contains("try"));
    assert_eq!(flaky[1].status, AttemptStatus::Succeeded);
    assert_eq!(flaky[1].outputs.as_ref().unwrap()["tries"], json!(2));
    let broken = attempts.iter().find(|a| a.step == "broken").unwrap();
    assert_eq!(broken.status, AttemptStatus::Failed);
    assert!(broken.is_final);
    assert_eq!(broken.stderr_tail.as_deref(), Some("oops\n"));
    let run = store.run(&run_id).unwrap();
    assert_eq!(run.status, RunStatus::Failed);
    let metrics = store.step_metrics(&run_id).unwrap();
    let m = metrics.iter().find(|m| m.step == "flaky").unwrap();
    assert_eq!((m.attempts, m.retry_ms), (2, 10));
    // History sees the successful attempt only.
    assert_eq!(
        store
            .recent_durations("flaky", "flaky", 20, false)
            .unwrap()
            .len(),
        1
    );
    tokio::task::spawn_blocking(move || writer.close().unwrap())
        .await
        .unwrap();
}
