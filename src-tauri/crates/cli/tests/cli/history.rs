//! The store through the CLI: history, show, cancel from another process,
//! rerun with reuse, reports and plans from history. Every test uses its
//! own database file.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::validate::tempdir;
use super::{repo_root, stderr, stdout};

fn braid(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_braid"))
        .arg("--db")
        .arg(db)
        .args(args)
        .current_dir(repo_root())
        .output()
        .unwrap()
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(out), stderr(out)))
}

fn planted(db: &Path) -> Value {
    let out = braid(
        db,
        &[
            "run",
            "--json",
            "--time-scale",
            "0.01",
            "workflows/planted-bottleneck.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json_of(&out)
}

#[test]
fn runs_and_show_read_back_what_was_run() {
    let db = tempdir().join("h.db");
    let run = planted(&db);
    let id = run["run_id"].as_str().unwrap();
    let runs = json_of(&braid(&db, &["runs", "--json"]));
    assert_eq!(runs["runs"][0]["run_id"], id);
    assert_eq!(runs["runs"][0]["status"], "succeeded");
    for key in [
        "run_id",
        "workflow_id",
        "status",
        "started_at",
        "duration_ms",
    ] {
        assert!(
            runs["runs"][0].get(key).is_some(),
            "runs --json lacks {key}"
        );
    }
    let shown = json_of(&braid(&db, &["show", "--json", id]));
    assert_eq!(
        shown["steps"], run["steps"],
        "show --json agrees with run --json"
    );
    assert_eq!(shown["context"], run["context"]);
    assert!(shown["attempts"].as_array().is_some_and(|a| !a.is_empty()));
    assert!(
        shown["context_writes"]
            .as_array()
            .is_some_and(|w| !w.is_empty())
    );
    let events = shown["events"].as_array().unwrap();
    assert_eq!(events.first().unwrap()["type"], "run_started");
    assert_eq!(events.last().unwrap()["type"], "run_finished");
    let text = braid(&db, &["show", id]);
    assert!(
        stdout(&text).contains("context writes"),
        "{}",
        stdout(&text)
    );
}

#[test]
fn cancel_from_another_process_stops_the_run_within_a_second() {
    let dir = tempdir();
    let db = dir.join("c.db");
    let file = dir.join("slow.json");
    let doc = json!({
        "format": "braid/1", "id": "slow",
        "steps": [
            { "id": "long", "agent": { "kind": "sim", "duration_ms": 60000 } },
            { "id": "after", "agent": { "kind": "sim", "duration_ms": 1 } }
        ],
        "edges": [{ "from": "long", "to": "after" }]
    });
    std::fs::write(&file, doc.to_string()).unwrap();
    let mut runner = Command::new(env!("CARGO_BIN_EXE_braid"))
        .arg("--db")
        .arg(&db)
        .args(["run", "--json", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let run_id = loop {
        assert!(
            Instant::now() < deadline,
            "the run never showed up as running"
        );
        if db.exists() {
            let runs = json_of(&braid(&db, &["runs", "--json", "--status", "running"]));
            if let Some(id) = runs["runs"][0]["run_id"].as_str() {
                break id.to_string();
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let asked = Instant::now();
    let out = braid(&db, &["cancel", "--json", &run_id]);
    let took = asked.elapsed();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a cancelled run is not a success: {}",
        stderr(&out)
    );
    let cancelled = json_of(&out);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["steps"]["long"]["status"], "cancelled");
    assert!(took < Duration::from_secs(3), "cancel took {took:?}");
    let status = runner.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let again = braid(&db, &["cancel", &run_id]);
    assert_ne!(
        again.status.code(),
        Some(0),
        "cancelling a finished run is refused"
    );
}

fn edited_copy(dir: &Path) -> PathBuf {
    let mut doc: Value = serde_json::from_slice(
        &std::fs::read(repo_root().join("workflows/planted-bottleneck.json")).unwrap(),
    )
    .unwrap();
    for step in doc["steps"].as_array_mut().unwrap() {
        if step["id"] == "render" {
            step["agent"]["duration_ms"] = json!(5000);
        }
    }
    let file = dir.join("planted-edited.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    file
}

#[test]
fn rerun_reuses_upstream_results_and_only_unchanged_ones_from_an_edited_file() {
    let dir = tempdir();
    let db = dir.join("r.db");
    let first = planted(&db);
    let id = first["run_id"].as_str().unwrap();

    let out = braid(
        &db,
        &[
            "rerun",
            "--json",
            id,
            "--from",
            "thumbnails",
            "--time-scale",
            "0.01",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rerun = json_of(&out);
    assert_ne!(rerun["run_id"], first["run_id"]);
    let reused: Vec<&str> = rerun["reused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        reused.contains(&"fetch") && reused.contains(&"reviews") && reused.contains(&"render"),
        "{reused:?}"
    );
    assert!(
        !reused.contains(&"thumbnails") && !reused.contains(&"publish"),
        "{reused:?}"
    );
    assert_eq!(
        rerun["context"], first["context"],
        "the same result, rebuilt from reused outputs"
    );
    assert!(stderr(&out).contains("reused from"), "{}", stderr(&out));

    // Against an edited file: `render` changed, so it (and what follows) runs again.
    let edited = edited_copy(&dir);
    let out = braid(
        &db,
        &[
            "rerun",
            "--json",
            id,
            "--from",
            "publish",
            "--file",
            edited.to_str().unwrap(),
            "--time-scale",
            "0.01",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let reused: Vec<String> = json_of(&out)["reused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert!(
        reused.contains(&"fetch".to_string()) && reused.contains(&"reviews".to_string()),
        "{reused:?}"
    );
    assert!(
        !reused.contains(&"render".to_string()),
        "an edited step is never reused: {reused:?}"
    );
    assert!(
        !reused.contains(&"thumbnails".to_string()),
        "downstream of an edit: {reused:?}"
    );
}

#[test]
fn reports_name_the_planted_bottleneck_and_plans_use_history() {
    let dir = tempdir();
    let db = dir.join("p.db");
    let run = planted(&db);
    let id = run["run_id"].as_str().unwrap();
    planted(&db);

    let out = braid(&db, &["report", id, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json_of(&out);
    for key in [
        "run_id",
        "workflow_id",
        "wall_ms",
        "critical_path",
        "sequential_ms",
        "speedup",
        "parallel_efficiency",
        "coordination_overhead_ms",
        "steps",
        "bottlenecks",
        "recommendations",
    ] {
        assert!(report.get(key).is_some(), "report lacks {key}");
    }
    assert_eq!(report["bottlenecks"][0]["node"], "seo");

    let html = dir.join("report.html");
    let out = braid(
        &db,
        &[
            "report",
            id,
            "--format",
            "html",
            "-o",
            html.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("<svg") && !page.contains("http://") && !page.contains("https://"),
        "self-contained"
    );

    let trend = braid(
        &db,
        &[
            "report",
            "--workflow",
            "planted-bottleneck",
            "--format",
            "md",
        ],
    );
    assert_eq!(trend.status.code(), Some(0), "{}", stderr(&trend));
    assert!(stdout(&trend).contains("planted-bottleneck"));

    let plan = json_of(&braid(
        &db,
        &["plan", "--json", "workflows/planted-bottleneck.json"],
    ));
    assert_eq!(plan["steps"]["render"]["source"], "history");
}
