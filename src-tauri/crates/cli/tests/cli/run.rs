use serde_json::Value;

use super::approval::{spawn_braid, waiting_run};
use super::braid_db;
use super::validate::tempdir;
use super::{braid, stderr, stdout};

/// Runs blog-publishing at 1/100 time, approving its editor step from
/// another process when the run waits for it.
fn run_blog(db: &std::path::Path) -> std::process::Output {
    // blog-publishing has a shell step: it runs once approved (--trust).
    let run = spawn_braid(
        db,
        &[
            "run",
            "--json",
            "--trust",
            "--time-scale",
            "0.01",
            "workflows/blog-publishing.json",
            "--input",
            "page_id=post-1",
        ],
    );
    let run_id = waiting_run(db);
    let approved = braid_db(db, &["approve", &run_id, "editor-ok", "--note", "Ship it"]);
    assert_eq!(approved.status.code(), Some(0), "{}", stderr(&approved));
    run.wait_with_output().unwrap()
}

#[test]
fn run_json_has_the_contract_shape_and_exit_0() {
    let out = run_blog(&tempdir().join("runs.db"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run: Value = serde_json::from_str(&stdout(&out)).expect("stdout is only the JSON result");
    assert_eq!(run["workflow_id"], "blog-publishing");
    assert_eq!(run["status"], "succeeded");
    assert!(run["run_id"].as_str().is_some_and(|id| id.len() == 26));
    assert!(run["started_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(run["duration_ms"].as_u64().is_some());
    let legal = &run["steps"]["legal"];
    assert_eq!(legal["status"], "succeeded");
    assert_eq!(legal["attempts"], 1);
    assert!(legal["score"].as_f64().is_some());
    assert!(legal["error"].is_null());
    assert_eq!(run["steps"]["return-to-author"]["status"], "skipped");
    assert_eq!(run["groups"]["quality-gates"]["outcome"], "approved");
    assert_eq!(run["context"]["page_id"], "post-1");
    assert_eq!(run["context"]["editor_note"], "Ship it");
    assert_eq!(run["steps"]["editor-ok"]["status"], "succeeded");
    assert_eq!(
        run["steps"]["legal"]["recommendations"][0],
        "Add the risk disclaimer under the rate table."
    );
    assert_eq!(
        run["context"]["quality-gates.recommendations"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "one per reviewer, in branch order"
    );
}

#[test]
fn every_example_runs_from_the_cli() {
    // Not workflows/llm-review.json: it needs a model server (Ollama at
    // 127.0.0.1:11434) that cannot run here; `services.rs` runs the llm agent
    // against a stand-in, and validate.rs checks every example file.
    for (file, input) in [
        ("workflows/release-pipeline.json", "version=2.4.0"),
        ("workflows/code-review-swarm.json", "pr_number=42"),
        ("workflows/page-audit-map.json", ""),
        ("workflows/agent-with-critic.json", ""),
    ] {
        // --trust: release-pipeline runs a shell step (the others are sim-only
        // and would run without it).
        let mut args = vec!["run", "--trust", "--time-scale", "0.01", file];
        if !input.is_empty() {
            args.extend(["--input", input]);
        }
        let out = braid(&args);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("succeeded"),
            "{file}: summary table on stdout"
        );
    }
}

#[test]
fn a_missing_required_input_is_bad_usage() {
    let out = braid(&[
        "run",
        "--time-scale",
        "0.01",
        "workflows/blog-publishing.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("error: missing required input: page_id"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_failed_run_exits_1_and_says_why() {
    let dir = tempdir();
    let file = dir.join("fails.json");
    std::fs::write(
        &file,
        r#"{ "format": "braid/1", "id": "fails", "steps": [{ "id": "boom", "agent": { "kind": "shell", "script": "echo nope >&2; exit 3" } }] }"#,
    )
    .unwrap();
    let out = braid(&["run", "--json", "--trust", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let run: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(run["status"], "failed");
    assert_eq!(run["steps"]["boom"]["status"], "failed");
    assert!(
        run["steps"]["boom"]["error"]
            .as_str()
            .unwrap()
            .contains("nope"),
        "{run}"
    );
    assert!(stderr(&out).contains("ended failed"), "{}", stderr(&out));
}

#[test]
fn an_invalid_workflow_runs_nothing_and_exits_1() {
    let out = braid(&["run", "workflows/invalid/cycle.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nothing was run"));
}

#[test]
fn ctrl_c_cancels_the_run_and_kills_its_processes() {
    use std::process::{Command, Stdio};
    let dir = tempdir();
    let marker = dir.join("grandchild.pid");
    let file = dir.join("long.json");
    let script = format!("sleep 300 & echo $! > {}; wait", marker.display());
    let doc = serde_json::json!({
        "format": "braid/1", "id": "long",
        "steps": [{ "id": "sleeper", "agent": { "kind": "shell", "script": script } }]
    });
    std::fs::write(&file, doc.to_string()).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["run", "--json", "--trust", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !marker.exists() || std::fs::read_to_string(&marker).unwrap().trim().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the step never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let grandchild = std::fs::read_to_string(&marker).unwrap().trim().to_string();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    // Revision 2 of the CLI contract: 130 after Ctrl-C, as shells report it
    // (it was 1 before; SIGTERM and SIGHUP are in signals.rs).
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let run: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(run["status"], "cancelled");
    assert_eq!(run["steps"]["sleeper"]["status"], "cancelled");
    // A killed process may linger a moment as a zombie until init reaps it.
    let gone = (0..100).any(|_| {
        let stat = std::fs::read_to_string(format!("/proc/{grandchild}/stat")).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or("");
        let dead = stat.is_empty() || state == "Z" || state == "X";
        if !dead {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        dead
    });
    assert!(gone, "the step's grandchild {grandchild} survived Ctrl-C");
}
