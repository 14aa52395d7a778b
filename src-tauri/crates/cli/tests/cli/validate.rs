use serde_json::Value;

use super::{braid, examples, repo_root, stderr, stdout};

#[test]
fn every_example_is_valid() {
    let files = examples();
    assert!(
        files.len() >= 4,
        "expected the example workflows, found {files:?}"
    );
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    let out = braid(&args);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(
        stdout(&out)
            .lines()
            .filter(|l| l.contains(": valid"))
            .count(),
        files.len()
    );
}

/// The README's first example, `braid validate workflows/*.json`: the glob
/// also matches the editor's layout sidecars, which are passed over with a
/// note rather than failing as workflows without `format`.
#[test]
fn validating_a_glob_passes_over_layout_sidecars() {
    let mut files: Vec<String> = std::fs::read_dir(repo_root().join("workflows"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| format!("workflows/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    assert!(
        files.iter().any(|f| f.ends_with(".layout.json")),
        "{files:?}"
    );
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    let out = braid(&args);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("skipped (the editor's layout of"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn every_invalid_fixture_exits_1_with_its_code() {
    let dir = repo_root().join("workflows/invalid");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name.ends_with(".expected.json") {
            continue;
        }
        let expected: Value = serde_json::from_slice(
            &std::fs::read(dir.join(name.replace(".json", ".expected.json"))).unwrap(),
        )
        .unwrap();
        let rel = format!("workflows/invalid/{name}");
        let out = braid(&["validate", "--json", &rel]);
        assert_eq!(out.status.code(), Some(1), "{rel}: {}", stderr(&out));
        assert!(
            stderr(&out).starts_with("error: "),
            "{rel}: stderr starts with `error: `"
        );
        let report: Value = serde_json::from_str(&stdout(&out)).expect("--json prints JSON");
        let codes: Vec<&str> = report["files"][0]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        for code in expected["codes"].as_array().unwrap() {
            assert!(
                codes.contains(&code.as_str().unwrap()),
                "{rel}: expected {code}, got {codes:?}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} invalid fixtures");
}

#[test]
fn a_typo_is_reported_with_its_json_path() {
    let out = braid(&["validate", "workflows/invalid/unknown_field.json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("error[unknown_field]"), "{err}");
    assert!(err.contains("retry.max_atempts"), "{err}");
}

#[test]
fn malformed_json_names_line_and_column() {
    let dir = tempdir();
    let file = dir.join("broken.json");
    std::fs::write(
        &file,
        "{\n  \"format\": \"braid/1\",\n  \"id\": \"x\",\n  \"steps\": [,]\n}\n",
    )
    .unwrap();
    let out = braid(&["validate", "--json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let d = &report["files"][0]["diagnostics"][0];
    assert_eq!(d["code"], "parse");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(4), Some(13))
    );
    let text = braid(&["validate", file.to_str().unwrap()]);
    assert!(
        stderr(&text).contains("broken.json:4:13"),
        "{}",
        stderr(&text)
    );
}

#[test]
fn an_unreadable_file_exits_2() {
    let out = braid(&["validate", "workflows/does-not-exist.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: cannot read"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_usage_exits_2() {
    let out = braid(&["validate"]);
    assert_eq!(out.status.code(), Some(2));
    let out = braid(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn fmt_check_accepts_the_examples() {
    let mut args = vec!["fmt", "--check"];
    let files = examples();
    args.extend(files.iter().map(String::as_str));
    let out = braid(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn fmt_rewrites_a_file_canonically_and_is_idempotent() {
    let dir = tempdir();
    let file = dir.join("wf.json");
    std::fs::write(
        &file,
        r#"{"id":"x","format":"braid/1","steps":[{"agent":{"kind":"sim","duration_ms":5},"id":"a"}]}"#,
    )
    .unwrap();
    let out = braid(&["fmt", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("{\n  \"format\": \"braid/1\",\n  \"id\": \"x\""),
        "{text}"
    );
    let out = braid(&["fmt", "--check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
}

/// A fresh directory under the target dir (no tempfile crate needed for two files).
pub fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "braid-cli-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
