//! Signals that stop a run: Ctrl-C (SIGINT), SIGTERM (`timeout`, CI
//! cancellation, systemd) and SIGHUP (the terminal closed) each cancel it —
//! the step's whole process group killed, the run recorded `cancelled` —
//! and `braid` exits 128 + the signal's number (130 after Ctrl-C: run.rs).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::validate::tempdir;

/// Runs a workflow whose step (and its child) sleep for a minute, sends
/// `signal` once the step's process is up, and returns the exit status,
/// the recorded run and the pids the step started.
fn stopped_by(signal: &str) -> (Option<i32>, Value, Vec<u32>) {
    let dir = tempdir();
    let pids = dir.join("pids");
    let file = dir.join("long.json");
    let script = format!(
        "sleep 60 & echo $! >> '{p}'; echo $$ >> '{p}'; wait",
        p = pids.display()
    );
    let doc = json!({
        "format": "braid/1", "id": "long",
        "steps": [{ "id": "work", "agent": { "kind": "shell", "script": script } }]
    });
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let db = dir.join("runs.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_braid"))
        .arg("--db")
        .arg(&db)
        .args(["run", "--trust", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while read_pids(&pids).len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the step never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    let out = Command::new(env!("CARGO_BIN_EXE_braid"))
        .arg("--db")
        .arg(&db)
        .args(["runs", "--json"])
        .output()
        .unwrap();
    let runs: Value = serde_json::from_slice(&out.stdout).unwrap();
    (code, runs["runs"][0].clone(), read_pids(&pids))
}

fn read_pids(path: &Path) -> Vec<u32> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

fn alive(pid: u32) -> bool {
    // A zombie has been killed; it only waits for its parent to reap it.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

fn assert_cancelled(signal: &str, want_code: i32) {
    let (code, run, pids) = stopped_by(signal);
    assert_eq!(code, Some(want_code), "exit status after {signal}");
    assert_eq!(run["status"], "cancelled", "{signal}: {run}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while pids.iter().any(|&p| alive(p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<u32> = pids.into_iter().filter(|&p| alive(p)).collect();
    assert!(left.is_empty(), "{signal} left processes running: {left:?}");
}

#[test]
fn sigterm_cancels_the_run_and_kills_its_processes() {
    assert_cancelled("-TERM", 143);
}

#[test]
fn sighup_cancels_the_run_and_kills_its_processes() {
    assert_cancelled("-HUP", 129);
}
