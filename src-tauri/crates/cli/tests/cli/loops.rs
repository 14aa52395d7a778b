//! Loops and feedback from the command line (format revision 2): rounds in
//! `run --json` and `show --json`, recommendations where people look,
//! `bad_loop` naming the JSON path, resume inside a round, rerun from a
//! node inside a loop.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

use super::braid;
use super::braid_db;
use super::validate::tempdir;

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn the_critic_example_revises_until_approved_and_reports_its_rounds() {
    let db = tempdir().join("runs.db");
    let out = braid_db(
        &db,
        &[
            "run",
            "--trust",
            "--json",
            "workflows/agent-with-critic.json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = json_of(&out);
    assert_eq!(
        summary["loops"]["generate"],
        json!({ "rounds": 3, "exhausted": false })
    );
    assert_eq!(summary["steps"]["generate"]["rounds"], 3);
    assert_eq!(summary["steps"]["critic"]["attempts"], 3);
    assert_eq!(summary["context"]["generate.round"], 3);
    assert_eq!(
        summary["context"]["review.recommendations"],
        json!([{ "from": "critic", "text": "Ship it; consider a shorter title." }])
    );
    let draft = summary["context"]["draft"].as_str().unwrap();
    assert!(
        draft.starts_with("For platform teams:") && draft.contains("Example:"),
        "{draft}"
    );

    let run_id = summary["run_id"].as_str().unwrap();
    let shown = json_of(&braid_db(&db, &["show", "--json", run_id]));
    let rounds: Vec<(u64, u64)> = shown["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["step"] == "critic")
        .map(|a| (a["attempt"].as_u64().unwrap(), a["round"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        rounds,
        [(1, 1), (2, 2), (3, 3)],
        "every round's attempt is kept"
    );
    let first = shown["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["step"] == "critic")
        .unwrap();
    assert_eq!(first["recommendations"].as_array().unwrap().len(), 2);

    // The text views say it too.
    let text = braid_db(&db, &["show", run_id]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("3 rounds"), "{text}");
    assert!(
        text.contains("critic: Ship it; consider a shorter title."),
        "{text}"
    );
    for format in ["text", "md", "html", "json"] {
        let report = braid_db(&db, &["report", run_id, "--format", format]);
        assert_eq!(report.status.code(), Some(0));
        let body = String::from_utf8_lossy(&report.stdout);
        assert!(
            body.contains("Ship it; consider a shorter title."),
            "{format}: no recommendations"
        );
    }
}

#[test]
fn max_rounds_stops_a_loop_and_the_run_says_so() {
    let dir = tempdir();
    let file = dir.join("stubborn.json");
    let doc = json!({
        "format": "braid/1", "id": "stubborn",
        "steps": [
            { "id": "draft", "agent": { "kind": "sim", "duration_ms": 5 } },
            { "id": "critic", "group": "review", "agent": { "kind": "sim", "duration_ms": 5, "score": 60 } }
        ],
        "groups": [{ "id": "review", "aggregate": { "strategy": "threshold", "approve_at": 80, "needs_work_at": 50 } }],
        "edges": [
            { "from": "draft", "to": "review" },
            { "from": "review", "to": "draft", "when": "needs_work", "loop": { "max_rounds": 2 } }
        ]
    });
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = braid_db(
        &dir.join("runs.db"),
        &["run", "--json", file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let summary = json_of(&out);
    assert_eq!(summary["status"], "needs_work");
    assert_eq!(
        summary["loops"]["draft"],
        json!({ "rounds": 2, "exhausted": true })
    );
}

#[test]
fn bad_loops_are_refused_with_their_json_path() {
    let dir = tempdir();
    let cases = [
        (
            json!({ "from": "critic", "to": "draft", "when": "failed", "loop": { "max_rounds": 3 } }),
            "$.edges[1].from",
        ),
        (
            json!({ "from": "draft", "to": "publish", "when": "failed", "loop": { "max_rounds": 3 } }),
            "$.edges[1]",
        ),
        (
            json!({ "from": "review", "to": "draft", "when": "needs_work", "loop": { "max_rounds": 1 } }),
            "$.edges[1].loop.max_rounds",
        ),
        (
            json!({ "from": "review", "to": "draft", "when": "needs_work", "loop": { "max_rounds": 101 } }),
            "$.edges[1].loop.max_rounds",
        ),
        (
            json!({ "from": "review", "to": "draft", "loop": { "max_rounds": 3 } }),
            "$.edges[1].when",
        ),
    ];
    for (i, (loop_edge, path)) in cases.into_iter().enumerate() {
        let doc = json!({
            "format": "braid/1", "id": "bad",
            "steps": [
                { "id": "draft", "agent": { "kind": "sim" } },
                { "id": "critic", "group": "review", "agent": { "kind": "sim" } },
                { "id": "publish", "agent": { "kind": "sim" } }
            ],
            "groups": [{ "id": "review", "aggregate": { "strategy": "all" } }],
            "edges": [{ "from": "draft", "to": "review" }, loop_edge, { "from": "review", "to": "publish" }]
        });
        let file = dir.join(format!("bad{i}.json"));
        std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
        let out = braid(&["validate", "--json", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "case {i}");
        let report = json_of(&out);
        let diagnostics = report["files"][0]["diagnostics"].as_array().unwrap();
        assert!(
            diagnostics
                .iter()
                .any(|d| d["code"] == "bad_loop" && d["path"] == path),
            "case {i}: {diagnostics:#?}"
        );
    }
}

/// gen → check, loop check → gen on failure. `check` fails in round 1;
/// `gen` hangs once in round 2 (the test kills braid there).
fn resumable(dir: &Path) -> std::path::PathBuf {
    let marker = dir.join("hung-once");
    let doc = json!({
        "format": "braid/1", "id": "resumable",
        "steps": [
            { "id": "gen", "idempotent": true, "agent": { "kind": "shell", "script": format!(
                "if [ \"$BRAID_ROUND\" = 2 ] && [ ! -e '{m}' ]; then touch '{m}'; sleep 30; fi; echo '{{\"outputs\": {{}}}}'",
                m = marker.display()) } },
            { "id": "check", "agent": { "kind": "shell", "script":
                "if [ \"$BRAID_ROUND\" = 1 ]; then exit 1; fi; echo '{\"outputs\": {}}'" } }
        ],
        "edges": [
            { "from": "gen", "to": "check" },
            { "from": "check", "to": "gen", "when": "failed", "loop": { "max_rounds": 3 } }
        ]
    });
    let file = dir.join("resumable.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    file
}

#[test]
fn resume_inside_a_round_continues_that_round() {
    let dir = tempdir();
    let db = dir.join("runs.db");
    let file = resumable(&dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_braid"))
        .arg("--db")
        .arg(&db)
        .args(["run", "--trust", file.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !dir.join("hung-once").exists() {
        assert!(started.elapsed().as_secs() < 20, "round 2 never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    child.kill().unwrap(); // SIGKILL: the process dies mid-round.
    child.wait().unwrap();
    let out = braid_db(&db, &["runs", "--json"]);
    let run_id = json_of(&out)["runs"][0]["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    let resumed = braid_db(&db, &["resume", "--json", &run_id]);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let summary = json_of(&resumed);
    assert_eq!(
        summary["loops"]["gen"]["rounds"], 2,
        "round 2 continued, not restarted"
    );
    let shown = json_of(&braid_db(&db, &["show", "--json", &run_id]));
    let generated: Vec<(u64, u64)> = shown["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["step"] == "gen")
        .map(|a| (a["attempt"].as_u64().unwrap(), a["round"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        generated,
        [(1, 1), (2, 2), (3, 2)],
        "round 1 kept; round 2 tried again after the crash"
    );
    let check_rounds: Vec<u64> = shown["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["step"] == "check")
        .map(|a| a["round"].as_u64().unwrap())
        .collect();
    assert_eq!(check_rounds, [1, 2]);
}

#[test]
fn rerun_from_a_node_inside_a_loop_starts_the_loop_at_round_1() {
    let db = tempdir().join("runs.db");
    let out = braid_db(
        &db,
        &[
            "run",
            "--trust",
            "--json",
            "workflows/agent-with-critic.json",
        ],
    );
    let run_id = json_of(&out)["run_id"].as_str().unwrap().to_string();
    let rerun = braid_db(&db, &["rerun", "--json", &run_id, "--from", "critic"]);
    assert_eq!(
        rerun.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    let summary = json_of(&rerun);
    assert_eq!(
        summary["loops"]["generate"]["rounds"], 3,
        "all three rounds ran again"
    );
    assert_eq!(
        summary["steps"]["generate"]["attempts"], 3,
        "generate was not reused"
    );
}

#[test]
fn plan_predicts_rounds_from_history_and_says_which() {
    let db = tempdir().join("runs.db");
    let plan = |db: &Path| {
        json_of(&braid_db(
            db,
            &["plan", "--json", "workflows/agent-with-critic.json"],
        ))
    };
    assert_eq!(
        plan(&db)["loops"]["generate"],
        json!({ "rounds": 1, "source": "default" })
    );
    let first = plan(&db)["predicted_ms"].as_u64().unwrap();
    let out = braid_db(&db, &["run", "--trust", "workflows/agent-with-critic.json"]);
    assert_eq!(out.status.code(), Some(0));
    let after = plan(&db);
    assert_eq!(
        after["loops"]["generate"],
        json!({ "rounds": 3, "source": "history" })
    );
    let text = braid_db(&db, &["plan", "workflows/agent-with-critic.json"]);
    assert!(
        String::from_utf8_lossy(&text.stdout)
            .contains("loop at generate: 3 rounds planned (the median of earlier runs)")
    );
    assert!(first > 0);
}
