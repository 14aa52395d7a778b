//! Crash safety with a real `kill -9`: a mixed workflow is killed at many
//! points across its run, then resumed. After every crash the database is
//! intact, no run is left `running`, every step whose completion was
//! committed ran exactly once across crash and resume, and a non-idempotent
//! step that was mid-attempt is never re-run silently.
//!
//! Each step appends its id to a ledger file when it runs, so "ran" is
//! counted by the step itself, not taken from the store's word.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use super::braid_db;
use super::validate::tempdir;

/// How many kill points the test tries (spread over the run's ~1.3 s).
const KILL_POINTS: usize = 24;
/// Steps that leave no mark in the ledger (`sim` agents).
const SIMULATED: [&str; 2] = ["check-a", "wait"];
/// Steps marked idempotent: re-running them after a crash is allowed.
const IDEMPOTENT: [&str; 2] = ["check-c", "notify"];

fn workflow(dir: &Path) -> std::path::PathBuf {
    let shell = |id: &str, ms: u32, idempotent: bool| {
        json!({
            "id": id,
            "agent": { "kind": "shell", "script": format!(
                "echo {id} >> \"$BRAID_LEDGER\"; sleep 0.{ms:03}; echo '{{\"outputs\": {{}}}}'"
            ) },
            "requires": ["ledger"],
            "idempotent": idempotent
        })
    };
    let mut branch_b = shell("check-b", 150, false);
    branch_b["group"] = json!("checks");
    let mut branch_c = shell("check-c", 120, true);
    branch_c["group"] = json!("checks");
    let doc = json!({
        "format": "braid/1",
        "id": "crashy",
        "inputs": { "ledger": { "required": true } },
        "limits": { "concurrency": 4 },
        "steps": [
            shell("prepare", 150, false),
            { "id": "check-a", "group": "checks", "agent": { "kind": "sim", "duration_ms": 200 } },
            branch_b,
            branch_c,
            shell("build", 200, false),
            { "id": "wait", "agent": { "kind": "sim", "duration_ms": 150 } },
            shell("publish", 150, false),
            shell("notify", 100, true)
        ],
        "groups": [{ "id": "checks", "aggregate": { "strategy": "all" } }],
        "edges": [
            { "from": "prepare", "to": "checks" },
            { "from": "checks", "to": "build" },
            { "from": "build", "to": "wait" },
            { "from": "wait", "to": "publish" },
            { "from": "publish", "to": "notify" }
        ]
    });
    let file = dir.join("crashy.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    file
}

fn ledger_counts(ledger: &Path) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for line in std::fs::read_to_string(ledger).unwrap_or_default().lines() {
        *counts.entry(line.trim().to_string()).or_insert(0) += 1;
    }
    counts
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

#[test]
fn kill_9_at_many_points_then_resume_runs_every_committed_step_exactly_once() {
    let dir = tempdir();
    let file = workflow(&dir);
    // A fixed pseudo-random sequence of kill times (ms), spread over the run.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // `BRAID_CRASH_POINTS=200` for a longer soak than CI's default.
    let points: usize = std::env::var("BRAID_CRASH_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(KILL_POINTS);
    let mut refused = 0;
    let mut killed_mid_run = 0;
    for point in 0..points {
        let db = dir.join(format!("p{point}.db"));
        let ledger = dir.join(format!("p{point}.ledger"));
        let kill_after = Duration::from_millis(30 + next() % 1_300);
        let mut child = Command::new(env!("CARGO_BIN_EXE_braid"))
            .arg("--db")
            .arg(&db)
            .args([
                "run",
                "--json",
                "--trust",
                file.to_str().unwrap(),
                "--input",
            ])
            .arg(format!("ledger={}", ledger.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(kill_after);
        let finished_first = child.try_wait().unwrap().is_some();
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        // Let any orphaned step process of the killed run finish (or be
        // killed by recovery) before counting.
        std::thread::sleep(Duration::from_millis(300));

        let runs = braid_db(&db, &["runs", "--json"]);
        let runs: Value = serde_json::from_slice(&runs.stdout).unwrap();
        let Some(run) = runs["runs"].as_array().and_then(|r| r.first()).cloned() else {
            continue; // killed before the run row existed: nothing to check
        };
        let run_id = run["run_id"].as_str().unwrap().to_string();
        assert_ne!(
            run["status"], "running",
            "point {point}: a run was left running"
        );
        let before = show(&db, &run_id);
        let committed: Vec<String> = before["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["status"] == "succeeded")
            .map(|a| a["step"].as_str().unwrap().to_string())
            .filter(|s| !SIMULATED.contains(&s.as_str()))
            .collect();
        let in_flight_non_idempotent: Vec<String> = before["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["status"] == "interrupted")
            .map(|a| a["step"].as_str().unwrap().to_string())
            .filter(|s| !IDEMPOTENT.contains(&s.as_str()) && !SIMULATED.contains(&s.as_str()))
            .collect();
        let ledger_before = ledger_counts(&ledger);

        if run["status"] == "interrupted" {
            killed_mid_run += 1;
            let mut args = vec!["resume", "--json", run_id.as_str()];
            if !in_flight_non_idempotent.is_empty() {
                // Without a decision, resume refuses and runs nothing.
                let out = braid_db(&db, &args);
                assert_eq!(
                    out.status.code(),
                    Some(2),
                    "point {point}: resume should refuse ({in_flight_non_idempotent:?}): {} {}",
                    String::from_utf8_lossy(&out.stderr),
                    String::from_utf8_lossy(&out.stdout)
                );
                assert_eq!(
                    ledger_counts(&ledger),
                    ledger_before,
                    "point {point}: refusing ran something"
                );
                refused += 1;
                args.push("--skip-interrupted");
            }
            let out = braid_db(&db, &args);
            let resumed: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
                panic!("point {point}: {}", String::from_utf8_lossy(&out.stderr))
            });
            assert_ne!(resumed["status"], "running");
        } else {
            assert!(
                finished_first || run["status"] == "succeeded",
                "point {point}: {run}"
            );
        }

        let after = ledger_counts(&ledger);
        for step in &committed {
            assert_eq!(
                after.get(step),
                Some(&1),
                "point {point}: committed `{step}` ran {:?} times",
                after.get(step)
            );
        }
        for step in &in_flight_non_idempotent {
            assert_eq!(
                after.get(step),
                ledger_before.get(step),
                "point {point}: `{step}` was re-run silently"
            );
        }
        for (step, n) in &after {
            assert!(
                *n <= 1 || IDEMPOTENT.contains(&step.as_str()),
                "point {point}: `{step}` ran {n} times"
            );
        }
        let conn = rusqlite::Connection::open(&db).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "point {point}");
        let running: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM runs WHERE status = 'running'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(running, 0, "point {point}");
    }
    eprintln!(
        "crash test: {points} kill points, {killed_mid_run} mid-run, {refused} resumes refused until told what to do"
    );
    assert!(
        killed_mid_run >= points / 2,
        "most kill points should land mid-run ({killed_mid_run})"
    );
}

/// The three defects a user found after `kill -9` and `resume`: `show` said
/// `running` while `runs` said `interrupted`; a step reused from before the
/// crash reported a duration that included the downtime; the audit trail
/// listed the replayed context writes a second time.
#[test]
fn after_kill_9_show_agrees_with_runs_and_resume_neither_stretches_nor_repeats() {
    let dir = tempdir();
    let db = dir.join("k.db");
    let file = dir.join("k.json");
    let doc = json!({
        "format": "braid/1", "id": "kill-resume", "context": { "topic": "x" },
        "steps": [
            { "id": "a", "agent": { "kind": "sim", "duration_ms": 300, "outputs": { "draft": "d1" } },
              "produces": ["draft"] },
            { "id": "b", "agent": { "kind": "sim", "duration_ms": 3000, "outputs": { "final": "f" } },
              "requires": ["draft"], "produces": ["final"] }
        ],
        "edges": [{ "from": "a", "to": "b" }]
    });
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_braid"))
        .arg("--db")
        .arg(&db)
        .args(["run", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1_000)); // a done, b running
    child.kill().unwrap();
    child.wait().unwrap();

    let runs: Value = serde_json::from_slice(&braid_db(&db, &["runs", "--json"]).stdout).unwrap();
    let run_id = runs["runs"][0]["run_id"].as_str().unwrap().to_string();
    assert_eq!(runs["runs"][0]["status"], "interrupted");
    let shown = show(&db, &run_id);
    assert_eq!(shown["status"], "interrupted", "show agrees with runs");
    assert_eq!(shown["steps"]["a"]["status"], "succeeded");
    assert_eq!(shown["steps"]["b"]["status"], "interrupted");

    std::thread::sleep(Duration::from_millis(1_500)); // downtime
    let resumed = braid_db(&db, &["resume", &run_id]);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let shown = show(&db, &run_id);
    assert_eq!(shown["status"], "succeeded");
    let a_ms = shown["steps"]["a"]["duration_ms"].as_u64().unwrap();
    assert!(
        (300..1_000).contains(&a_ms),
        "a took {a_ms} ms, downtime included?"
    );
    let writes: Vec<(String, String)> = shown["context_writes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["writer"].as_str().unwrap().into(),
                w["key"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("$context", "topic"),
        ("a", "draft"),
        ("a", "a.recommendations"),
        ("b", "final"),
        ("b", "b.recommendations"),
    ]
    .iter()
    .map(|(w, k)| (w.to_string(), k.to_string()))
    .collect();
    assert_eq!(writes, expected, "each write once in the audit trail");
}
