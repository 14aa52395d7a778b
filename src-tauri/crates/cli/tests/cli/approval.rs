//! `approval` steps and `braid approve` (format revision 2): a run waits
//! for a person, the decision is made from another process, and the run
//! goes on where it is followed — the waiting `braid run`, or `braid
//! resume` after the process left. Bad input never records anything.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::braid_db;
use super::validate::tempdir;

fn spawn_run(db: &Path, file: &Path) -> Child {
    spawn_braid(db, &["run", "--json", file.to_str().unwrap()])
}

/// `braid --db DB ARGS…` started in the repository root, output captured.
pub fn spawn_braid(db: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_braid"))
        .arg("--db")
        .arg(db)
        .args(args)
        .current_dir(super::repo_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// draft → editor-ok (approval) → publish, with `timeout_s` as the deadline.
fn editor_workflow(dir: &Path, timeout_s: f64) -> PathBuf {
    let doc = json!({
        "format": "braid/1",
        "id": "editor",
        "inputs": { "title": { "default": "Rates are up" } },
        "steps": [
            { "id": "draft", "agent": { "kind": "sim", "duration_ms": 20, "outputs": { "body": "text" } },
              "produces": ["body"] },
            { "id": "editor-ok",
              "agent": { "kind": "approval", "prompt": "Publish {{title}}?", "show": ["title", "body"] },
              "requires": ["title", "body"], "produces": ["editor_note"], "timeout_s": timeout_s },
            { "id": "publish", "agent": { "kind": "sim", "duration_ms": 20 }, "reads": ["editor_note"] }
        ],
        "edges": [{ "from": "draft", "to": "editor-ok" }, { "from": "editor-ok", "to": "publish" }]
    });
    let file = dir.join("editor.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    file
}

/// Polls `runs --status waiting` until one run waits; returns its id.
pub fn waiting_run(db: &Path) -> String {
    let started = Instant::now();
    loop {
        let out = braid_db(db, &["runs", "--status", "waiting", "--json"]);
        let runs: Value = serde_json::from_slice(&out.stdout).unwrap();
        if let Some(id) = runs["runs"][0]["run_id"].as_str() {
            return id.to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no run started waiting"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn show(db: &Path, run_id: &str) -> Value {
    let out = braid_db(db, &["show", "--json", run_id]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn context_write<'a>(shown: &'a Value, key: &str) -> &'a Value {
    shown["context_writes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["key"] == key)
        .unwrap_or_else(|| panic!("no write of {key}"))
}

#[test]
fn a_waiting_run_continues_when_another_process_approves() {
    let dir = tempdir();
    let db = dir.join("runs.db");
    let file = editor_workflow(&dir, 600.0);
    let run = spawn_run(&db, &file);
    let run_id = waiting_run(&db);
    let shown = show(&db, &run_id);
    assert_eq!(shown["status"], "waiting");
    assert_eq!(shown["steps"]["editor-ok"]["status"], "waiting");

    let approved = braid_db(
        &db,
        &[
            "approve",
            &run_id,
            "editor-ok",
            "--score",
            "90",
            "--note",
            "Ship it",
            "--json",
        ],
    );
    assert_eq!(
        approved.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    let decision: Value = serde_json::from_slice(&approved.stdout).unwrap();
    assert_eq!(decision["approved"], true);
    assert_eq!(decision["score"], 90.0);
    assert!(!decision["by"].as_str().unwrap().is_empty());

    let out = run.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["status"], "succeeded");
    assert_eq!(summary["context"]["editor_note"], "Ship it");
    let shown = show(&db, &run_id);
    let audit = context_write(&shown, "editor-ok.decision");
    assert_eq!(audit["writer"], "editor-ok");
    assert_eq!(audit["new"]["by"], decision["by"]);
    assert_eq!(audit["new"]["approved"], true);
}

#[test]
fn approve_refuses_what_is_not_waiting_and_bad_input_and_records_nothing() {
    let dir = tempdir();
    let db = dir.join("runs.db");
    let file = editor_workflow(&dir, 600.0);
    let mut run = spawn_run(&db, &file);
    let run_id = waiting_run(&db);
    let refused = |args: &[&str], says: &str| {
        let out = braid_db(&db, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    };
    refused(&["approve", "01NOSUCHRUN", "editor-ok"], "no run");
    refused(
        &["approve", &run_id, "publish"],
        "the run waits for: editor-ok",
    );
    refused(
        &["approve", &run_id, "editor-ok", "--score", "101"],
        "0 to 100",
    );
    refused(
        &["approve", &run_id, "editor-ok", "--note", "ok\u{1b}[2J"],
        "control character",
    );
    refused(&["approve", &run_id, "editor-ok#x"], "STEP#INDEX");
    // Nothing was recorded: the run still waits.
    assert_eq!(show(&db, &run_id)["status"], "waiting");
    let ok = braid_db(
        &db,
        &[
            "approve",
            &run_id,
            "editor-ok",
            "--note",
            "line one\nline two",
        ],
    );
    assert_eq!(ok.status.code(), Some(0), "newlines are fine in a note");
    assert_eq!(run.wait().unwrap().code(), Some(0));
    refused(&["approve", &run_id, "editor-ok"], "waits for no approval");
}

#[test]
fn ctrl_c_leaves_a_waiting_run_waiting_and_resume_continues_after_a_rejection() {
    let dir = tempdir();
    let db = dir.join("runs.db");
    let file = editor_workflow(&dir, 600.0);
    let run = spawn_run(&db, &file);
    let run_id = waiting_run(&db);
    let status = Command::new("kill")
        .args(["-INT", &run.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("braid approve {run_id} editor-ok")),
        "{err}"
    );
    assert_eq!(
        show(&db, &run_id)["status"],
        "waiting",
        "detached, not cancelled"
    );

    let rejected = braid_db(
        &db,
        &[
            "approve",
            &run_id,
            "editor-ok",
            "--reject",
            "--note",
            "Not yet",
        ],
    );
    assert_eq!(rejected.status.code(), Some(0));
    let resumed = braid_db(&db, &["resume", "--json", &run_id]);
    assert_eq!(
        resumed.status.code(),
        Some(1),
        "a rejected phase approval fails its step"
    );
    let summary: Value = serde_json::from_slice(&resumed.stdout).unwrap();
    assert_eq!(summary["status"], "failed");
    assert_eq!(summary["steps"]["editor-ok"]["status"], "failed");
    assert_eq!(summary["steps"]["publish"]["status"], "skipped");
    assert_eq!(
        summary["context"]["editor_note"], "Not yet",
        "the note is kept either way"
    );
}

#[test]
fn the_deadline_times_the_step_out_and_a_late_decision_is_refused() {
    let dir = tempdir();
    let db = dir.join("runs.db");
    let file = editor_workflow(&dir, 0.6);
    let out = braid_db(&db, &["run", "--json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["steps"]["editor-ok"]["status"], "timed_out");
    assert_eq!(summary["steps"]["editor-ok"]["error_code"], "timed_out");
    let run_id = summary["run_id"].as_str().unwrap();
    let late = braid_db(&db, &["approve", run_id, "editor-ok"]);
    assert_eq!(late.status.code(), Some(2));
}

#[test]
fn a_person_beside_agent_reviewers_is_one_verdict_of_the_group() {
    let dir = tempdir();
    let db = dir.join("runs.db");
    let doc = json!({
        "format": "braid/1",
        "id": "panel",
        "steps": [
            { "id": "bot-a", "group": "panel", "agent": { "kind": "sim", "approved": true, "score": 90 } },
            { "id": "bot-b", "group": "panel", "agent": { "kind": "sim", "approved": true, "score": 85 } },
            { "id": "human", "group": "panel", "agent": { "kind": "approval", "prompt": "Agree?" } }
        ],
        "groups": [{ "id": "panel", "aggregate": { "strategy": "majority" } }]
    });
    let file = dir.join("panel.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let run = spawn_run(&db, &file);
    let run_id = waiting_run(&db);
    let out = braid_db(&db, &["approve", &run_id, "human", "--reject"]);
    assert_eq!(out.status.code(), Some(0));
    let out = run.wait_with_output().unwrap();
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        summary["steps"]["human"]["status"], "succeeded",
        "a branch succeeds either way"
    );
    assert_eq!(summary["steps"]["human"]["approved"], false);
    assert_eq!(
        summary["groups"]["panel"]["outcome"], "approved",
        "2 of 3 approve"
    );
    assert!((summary["groups"]["panel"]["score"].as_f64().unwrap() - 66.67).abs() < 0.01);
}

#[test]
fn cancel_ends_a_run_that_waits_with_no_process_following_it() {
    let dir = tempdir();
    let db = dir.join("runs.db");
    let file = editor_workflow(&dir, 600.0);
    let run = spawn_run(&db, &file);
    let run_id = waiting_run(&db);
    Command::new("kill")
        .args(["-TERM", &run.id().to_string()])
        .status()
        .unwrap();
    let _ = run.wait_with_output().unwrap();
    let out = braid_db(&db, &["cancel", "--json", &run_id]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(show(&db, &run_id)["status"], "cancelled");
    let late = braid_db(&db, &["approve", &run_id, "editor-ok"]);
    assert_eq!(late.status.code(), Some(2));
}
