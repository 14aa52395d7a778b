//! Schema versions: a fresh file, re-opening, and refusing a newer schema.

use braid_store::{SCHEMA_VERSION, Store, StoreError};

use crate::support::*;

fn user_version(db: &TempDb) -> i64 {
    rusqlite::Connection::open(&db.path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_fresh_file_gets_every_table_at_the_current_version() {
    let db = temp_db();
    assert!(!db.path.exists());
    let _store = open(&db);
    assert!(db.path.exists());
    assert_eq!(user_version(&db), SCHEMA_VERSION);
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        tables,
        [
            "approval_requests",
            "approvals",
            "attempts",
            "context_writes",
            "digests",
            "events",
            "group_aggregations",
            "runs",
            "step_metrics",
            "workflows"
        ]
    );
}

#[test]
fn reopening_keeps_the_data_and_the_version() {
    let db = temp_db();
    let run_id = new_run_id();
    {
        let store = open(&db);
        create_run(&store, &run_id, "wf", 1);
    }
    let store = open(&db);
    assert_eq!(store.run(&run_id).unwrap().workflow_id, "wf");
    assert_eq!(user_version(&db), SCHEMA_VERSION);
}

#[test]
fn a_database_from_a_newer_schema_is_refused() {
    let db = temp_db();
    drop(open(&db));
    rusqlite::Connection::open(&db.path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    match Store::open(&db.path) {
        Err(StoreError::NewerSchema {
            found, supported, ..
        }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("{other:?}"),
    }
    let message = Store::open(&db.path).unwrap_err().to_string();
    assert!(message.contains("newer"), "{message}");
    // Nothing was changed.
    assert_eq!(user_version(&db), SCHEMA_VERSION + 1);
}

#[test]
fn an_empty_existing_file_is_migrated() {
    let db = temp_db();
    std::fs::write(&db.path, b"").unwrap();
    let store = open(&db);
    assert_eq!(user_version(&db), SCHEMA_VERSION);
    assert!(store.list_runs(None, None, 1).unwrap().is_empty());
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_not_a_panic() {
    let db = temp_db();
    std::fs::write(
        &db.path,
        b"definitely not sqlite, just some text that is long enough to be a header ......",
    )
    .unwrap();
    let err = Store::open(&db.path).unwrap_err();
    assert!(matches!(err, StoreError::Sqlite(_)), "{err:?}");
}

#[test]
fn a_version_1_database_is_migrated_with_its_runs() {
    let db = temp_db();
    {
        let conn = rusqlite::Connection::open(&db.path).unwrap();
        conn.execute_batch(include_str!("../../src/migrations/0001_initial.sql"))
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO runs (run_id, workflow_id, status, started_at_ms) VALUES ('old', 'wf', 'succeeded', 1000)",
            [],
        )
        .unwrap();
    }
    let store = open(&db);
    assert_eq!(user_version(&db), SCHEMA_VERSION);
    const { assert!(SCHEMA_VERSION >= 2) };
    let run = store.run("old").unwrap();
    assert_eq!((run.workflow_id.as_str(), run.workflow_path), ("wf", None));
}

#[test]
fn approvals_are_kept_by_content_hash() {
    let db = temp_db();
    let store = open(&db);
    let hash = braid_store::sha256_hex(b"{\"format\": \"braid/1\"}");
    assert!(!store.is_approved(&hash).unwrap());
    store
        .approve(&hash, Some(std::path::Path::new("workflows/x.json")))
        .unwrap();
    store.approve(&hash, None).unwrap();
    assert!(store.is_approved(&hash).unwrap());
    let approvals = store.approvals().unwrap();
    assert_eq!(approvals.len(), 1);
    assert!(
        approvals[0]
            .path
            .as_deref()
            .unwrap()
            .ends_with("workflows/x.json")
    );
    // Another process sees it.
    drop(store);
    let store = open(&db);
    assert!(store.is_approved(&hash).unwrap());
    assert!(store.revoke(&hash).unwrap());
    assert!(!store.is_approved(&hash).unwrap());
    assert!(!store.revoke(&hash).unwrap());
}

#[test]
fn a_version_3_database_gains_the_approvals_table() {
    let db = temp_db();
    {
        let conn = rusqlite::Connection::open(&db.path).unwrap();
        for sql in [
            include_str!("../../src/migrations/0001_initial.sql"),
            include_str!("../../src/migrations/0002_workflow_path.sql"),
            include_str!("../../src/migrations/0003_digests.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
    }
    let store = open(&db);
    assert_eq!(user_version(&db), SCHEMA_VERSION);
    assert!(store.approvals().unwrap().is_empty());
}

#[test]
fn a_version_4_database_keeps_its_runs_and_attempts_in_round_1() {
    let db = temp_db();
    {
        let conn = rusqlite::Connection::open(&db.path).unwrap();
        for sql in [
            include_str!("../../src/migrations/0001_initial.sql"),
            include_str!("../../src/migrations/0002_workflow_path.sql"),
            include_str!("../../src/migrations/0003_digests.sql"),
            include_str!("../../src/migrations/0004_approvals.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 4).unwrap();
        conn.execute_batch(
            "INSERT INTO runs (run_id, workflow_id, status, started_at_ms) VALUES ('old', 'wf', 'succeeded', 1000);
             INSERT INTO attempts (run_id, step, attempt, workflow_id, status, is_final, outputs)
               VALUES ('old', 'a', 1, 'wf', 'succeeded', 1, '{\"x\":1}');",
        )
        .unwrap();
    }
    let store = open(&db);
    assert_eq!(user_version(&db), SCHEMA_VERSION);
    assert_eq!(store.run("old").unwrap().workflow_id, "wf");
    let attempts = store.attempts("old").unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].round, 1, "rows from before loops are round 1");
    assert!(attempts[0].recommendations.is_empty());
}
