//! Services, secrets and trust through the real `braid` binary.
//!
//! HTTP services are small axum apps on 127.0.0.1 started inside the test
//! (a review service and an OpenAI-compatible chat endpoint): stand-ins for
//! services that cannot run here. Every test uses its own database, and
//! `BRAID_KEYCHAIN=off`, so secrets come from the environment (this machine
//! has no Secret Service) and nothing touches a real keychain.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};

use super::validate::tempdir;
use super::{repo_root, stderr, stdout};

fn braid_env(db: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_braid"));
    cmd.arg("--db")
        .arg(db)
        .args(args)
        .current_dir(repo_root())
        .env("BRAID_KEYCHAIN", "off")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("braid runs")
}

fn braid(db: &Path, args: &[&str]) -> Output {
    braid_env(db, args, &[])
}

fn write(dir: &Path, name: &str, doc: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(doc).unwrap()).unwrap();
    path
}

fn shell_workflow() -> Value {
    json!({
        "format": "braid/1", "id": "greet",
        "steps": [{ "id": "hello", "agent": { "kind": "shell", "command": ["echo", "hello"] },
                    "produces": ["greeting"] }]
    })
}

// --- trust -------------------------------------------------------------------

#[test]
fn an_unapproved_workflow_is_refused_with_its_review_and_nothing_runs() {
    let dir = tempdir();
    let db = dir.join("t.db");
    let mut doc = shell_workflow();
    doc["steps"].as_array_mut().unwrap().push(json!({
        "id": "call", "agent": { "kind": "http", "url": "http://127.0.0.1:9/review/{{greeting}}",
          "headers": { "Authorization": "Bearer {{secret:REVIEW_TOKEN}}" } },
        "requires": ["greeting"]
    }));
    doc["edges"] = json!([{ "from": "hello", "to": "call" }]);
    let file = write(&dir, "greet.json", &doc);
    let out = braid(&db, &["run", "--json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    for needle in [
        "would run:",
        "commands:",
        "[\"echo\",\"hello\"]",
        "hosts:",
        "http://127.0.0.1:9",
        "secrets:",
        "REVIEW_TOKEN",
        "has not been approved",
        "--trust",
    ] {
        assert!(err.contains(needle), "`{needle}` missing from:\n{err}");
    }
    assert!(
        stdout(&out).is_empty(),
        "nothing on stdout: {}",
        stdout(&out)
    );
    let runs: Value = serde_json::from_str(&stdout(&braid(&db, &["runs", "--json"]))).unwrap();
    assert_eq!(runs["runs"], json!([]), "no run was recorded");

    // Validation and planning never need approval (they execute nothing).
    assert_eq!(
        braid(&db, &["validate", file.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        braid(&db, &["plan", file.to_str().unwrap()]).status.code(),
        Some(0)
    );
}

#[test]
fn trust_approves_that_exact_content_once() {
    let dir = tempdir();
    let db = dir.join("t.db");
    let file = write(&dir, "greet.json", &shell_workflow());
    let path = file.to_str().unwrap();
    let out = braid(&db, &["run", "--json", "--trust", path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("approved"), "{}", stderr(&out));
    let run: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(run["context"]["greeting"], "hello");
    // Approved: runs without --trust now.
    let out = braid(&db, &["run", "--json", path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Any change to the bytes needs a new approval.
    let mut edited = shell_workflow();
    edited["steps"][0]["agent"]["command"] = json!(["echo", "hello, world"]);
    write(&dir, "greet.json", &edited);
    let out = braid(&db, &["run", "--json", path]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("hello, world"));
    // Another database, another set of approvals.
    let out = braid(&dir.join("other.db"), &["run", path]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sim_only_workflows_need_no_approval() {
    let dir = tempdir();
    let db = dir.join("t.db");
    let out = braid(
        &db,
        &[
            "run",
            "--time-scale",
            "0.01",
            "workflows/planted-bottleneck.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("sha256"), "{}", stderr(&out));
}

#[test]
fn rerun_with_an_edited_file_needs_approval() {
    let dir = tempdir();
    let db = dir.join("t.db");
    let file = write(&dir, "greet.json", &shell_workflow());
    let out = braid(&db, &["run", "--json", "--trust", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let id = run["run_id"].as_str().unwrap();
    // The stored content was approved when it ran: rerun from it freely.
    let out = braid(&db, &["rerun", id, "--from", "hello"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut edited = shell_workflow();
    edited["steps"][0]["agent"]["command"] = json!(["echo", "bye"]);
    let other = write(&dir, "edited.json", &edited);
    let args = [
        "rerun",
        id,
        "--from",
        "hello",
        "--file",
        other.to_str().unwrap(),
    ];
    let out = braid(&db, &args);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--trust"));
    let mut trusted = args.to_vec();
    trusted.push("--trust");
    let out = braid(&db, &trusted);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

// --- secrets -------------------------------------------------------------------

#[test]
fn secret_values_never_come_from_the_command_line() {
    let dir = tempdir();
    let db = dir.join("t.db");
    // A value as an argument is a usage error.
    let out = braid(&db, &["secret", "set", "MY_TOKEN", "hunter2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("hunter2") || stderr(&out).contains("unexpected"));
    // With the keychain off (or absent), `set` says where secrets come from instead.
    let mut child = Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["secret", "set", "MY_TOKEN"])
        .env("BRAID_KEYCHAIN", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"hunter2\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("environment variable MY_TOKEN"), "{err}");
    assert!(!err.contains("hunter2"));
    let out = braid(&db, &["secret", "set", "not a name"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a secret name"));
    let out = braid(&db, &["secret", "ls"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("environment variables"),
        "{}",
        stderr(&out)
    );
}

/// A stand-in service on its own thread: `/echo` answers with the
/// Authorization header it got (as a result), `/fail` fails quoting it, and
/// `/v1/chat/completions` is a chat endpoint whose reply repeats it.
fn echo_server() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = seen.clone();
    let auth = move |headers: &HeaderMap| {
        let value = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        record.lock().unwrap().push(value.clone());
        value
    };
    let (a, b, c) = (auth.clone(), auth.clone(), auth);
    let app = Router::new()
        .route(
            "/echo",
            post(move |headers: HeaderMap| async move {
                let value = a(&headers);
                axum::Json(
                    json!({ "outputs": { "echo": value.clone() }, "recommendations": [value] }),
                )
            }),
        )
        .route(
            "/fail",
            post(move |headers: HeaderMap| async move {
                let value = b(&headers);
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("bad token {value}"),
                )
                    .into_response()
            }),
        )
        .route(
            "/v1/chat/completions",
            post(move |headers: HeaderMap| async move {
                let value = c(&headers);
                let content = json!({ "approved": true, "outputs": { "said": value } }).to_string();
                axum::Json(json!({
                    "choices": [{ "message": { "role": "assistant", "content": content } }],
                    "usage": { "prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12 }
                }))
            }),
        );
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (rx.recv().unwrap(), seen)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn a_canary_secret_never_reaches_the_database_logs_events_or_reports() {
    const CANARY: &str = "cAnArY-93f1c7d2e5";
    let (addr, seen) = echo_server();
    let dir = tempdir();
    let db = dir.join("canary.db");
    let doc = json!({
        "format": "braid/1", "id": "canary",
        "limits": { "concurrency": 2 },
        "steps": [
            { "id": "call", "agent": { "kind": "http", "method": "POST", "url": format!("http://{addr}/echo"),
              "headers": { "Authorization": "Bearer {{secret:BRAID_TEST_CANARY}}" } },
              "produces": ["echo"] },
            { "id": "fails", "agent": { "kind": "http", "method": "POST", "url": format!("http://{addr}/fail"),
              "headers": { "Authorization": "{{secret:BRAID_TEST_CANARY}}" } },
              "required": false },
            { "id": "ask", "agent": { "kind": "llm", "base_url": format!("http://{addr}/v1"), "model": "stand-in",
              "api_key": "{{secret:BRAID_TEST_CANARY}}", "prompt": "Say the magic word." },
              "produces": ["said"] },
            { "id": "dump-env", "agent": { "kind": "shell",
              "script": "env; echo \"direct: $BRAID_TEST_CANARY\" >&2; printf '{\"outputs\": {\"leak\": \"%s\"}}\\n' \"$BRAID_TEST_CANARY\"" },
              "produces": ["leak"] }
        ],
        "edges": [{ "from": "call", "to": "dump-env" }]
    });
    let file = write(&dir, "canary.json", &doc);
    // Keep a connection open so the WAL file survives the run for inspection
    // (the last connection to close would checkpoint and delete it).
    let out = braid(&db, &["runs"]);
    assert_eq!(out.status.code(), Some(0));
    let keep_wal_open = rusqlite::Connection::open(&db).unwrap();
    let _: i64 = keep_wal_open
        .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
        .unwrap();
    let env = [("BRAID_TEST_CANARY", CANARY), ("BRAID_LOG", "debug")];
    let out = braid_env(
        &db,
        &["run", "--json", "--trust", file.to_str().unwrap()],
        &env,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The secret was really used.
    let auths = seen.lock().unwrap().clone();
    assert!(auths.contains(&format!("Bearer {CANARY}")), "{auths:?}");
    assert!(auths.contains(&CANARY.to_string()));
    let run: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let id = run["run_id"].as_str().unwrap().to_string();
    assert_eq!(run["context"]["echo"], "Bearer [secret:BRAID_TEST_CANARY]");
    assert_eq!(run["context"]["leak"], "[secret:BRAID_TEST_CANARY]");
    assert_eq!(run["steps"]["fails"]["status"], "failed");

    let mut outputs: Vec<(String, Vec<u8>)> = vec![
        ("run stdout".into(), out.stdout.clone()),
        (
            "run stderr (progress and debug logs)".into(),
            out.stderr.clone(),
        ),
    ];
    let show = braid(&db, &["show", "--json", &id]);
    assert_eq!(show.status.code(), Some(0), "{}", stderr(&show));
    assert!(
        contains(&show.stdout, "[secret:BRAID_TEST_CANARY]"),
        "show has the masked echo"
    );
    outputs.push(("show --json".into(), show.stdout));
    outputs.push(("show".into(), braid(&db, &["show", &id]).stdout));
    for format in ["html", "md", "text", "json"] {
        let report = dir.join(format!("report.{format}"));
        let out = braid(
            &db,
            &[
                "report",
                &id,
                "--format",
                format,
                "-o",
                report.to_str().unwrap(),
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        outputs.push((
            format!("report --format {format}"),
            std::fs::read(&report).unwrap(),
        ));
    }
    // Token usage of the llm step shows in the reports.
    let md = String::from_utf8(std::fs::read(dir.join("report.md")).unwrap()).unwrap();
    assert!(
        md.contains("tokens") && md.contains("Tokens: 12 (prompt 5, completion 7)"),
        "{md}"
    );
    let html = String::from_utf8(std::fs::read(dir.join("report.html")).unwrap()).unwrap();
    assert!(html.contains("<th class=\"n\">tokens</th>"));
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["steps"]["ask"]["metrics"]["total_tokens"], 12);
    assert_eq!(report["metrics"]["prompt_tokens"], 5);
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    let shm = PathBuf::from(format!("{}-shm", db.display()));
    assert!(wal.is_file(), "the WAL is there to inspect");
    for file in [&db, &wal, &shm] {
        outputs.push((file.display().to_string(), std::fs::read(file).unwrap()));
    }
    for (what, bytes) in &outputs {
        assert!(!contains(bytes, CANARY), "the canary leaked into {what}");
    }
    // The WAL really holds the run (so its check means something).
    assert!(contains(&std::fs::read(&wal).unwrap(), "dump-env"));
    drop(keep_wal_open);
}

// --- sub-workflows ---------------------------------------------------------------

fn parent_and_child(dir: &Path) -> (PathBuf, PathBuf) {
    let child = write(
        dir,
        "child.json",
        &json!({
            "format": "braid/1", "id": "child",
            "inputs": { "who": { "required": true } },
            "steps": [{ "id": "say", "agent": { "kind": "shell", "command": ["echo", "hi {{who}}"] },
                        "requires": ["who"], "produces": ["said"] }]
        }),
    );
    let parent = write(
        dir,
        "parent.json",
        &json!({
            "format": "braid/1", "id": "parent",
            "steps": [{ "id": "delegate", "agent": { "kind": "workflow", "path": "child.json",
                        "inputs": { "who": "world" } }, "produces": ["said"] }]
        }),
    );
    (parent, child)
}

#[test]
fn a_sub_workflow_run_is_stored_linked_to_its_parent() {
    let dir = tempdir();
    let db = dir.join("t.db");
    let (parent, child) = parent_and_child(&dir);
    // Both files are reviewed: the child's command is listed too.
    let out = braid(&db, &["run", parent.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("child.json") && err.contains("hi {{who}}"),
        "{err}"
    );
    assert!(err.contains("sub-workflows:"), "{err}");

    let out = braid(&db, &["run", "--json", "--trust", parent.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(run["context"]["said"], "hi world");
    let parent_id = run["run_id"].as_str().unwrap();

    let runs: Value = serde_json::from_str(&stdout(&braid(&db, &["runs", "--json"]))).unwrap();
    let child_run = runs["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["workflow_id"] == "child")
        .expect("the sub-run is listed");
    assert_eq!(child_run["parent_run_id"], parent_id);
    assert_eq!(child_run["status"], "succeeded");
    let child_id = child_run["run_id"].as_str().unwrap();
    let shown: Value =
        serde_json::from_str(&stdout(&braid(&db, &["show", "--json", parent_id]))).unwrap();
    assert_eq!(shown["sub_runs"][0]["run_id"], child_id);
    let shown: Value =
        serde_json::from_str(&stdout(&braid(&db, &["show", "--json", child_id]))).unwrap();
    assert_eq!(shown["context"]["said"], "hi world");
    assert_eq!(shown["parent_run_id"], parent_id);

    // Editing the sub-workflow after approval needs a new approval.
    let mut edited: Value = serde_json::from_slice(&std::fs::read(&child).unwrap()).unwrap();
    edited["steps"][0]["agent"]["command"] = json!(["echo", "bye {{who}}"]);
    write(&dir, "child.json", &edited);
    let out = braid(&db, &["run", parent.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("bye {{who}}"));
}

#[test]
fn recursive_sub_workflows_are_invalid_and_never_run() {
    let dir = tempdir();
    let db = dir.join("t.db");
    let call = |id: &str, path: &str| {
        json!({ "format": "braid/1", "id": id,
                "steps": [{ "id": "call", "agent": { "kind": "workflow", "path": path } }] })
    };
    let a = write(&dir, "a.json", &call("a", "b.json"));
    write(&dir, "b.json", &call("b", "a.json"));
    let out = braid(&db, &["validate", "--json", a.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let d = &report["files"][0]["diagnostics"][0];
    assert_eq!(d["code"], "workflow_cycle");
    assert_eq!(d["path"], "$.steps[0].agent.path");
    let out = braid(&db, &["run", "--trust", a.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("workflow_cycle"), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing was run"));
}
