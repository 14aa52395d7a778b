//! The committed workflows in `workflows/`: every example is valid without a
//! single diagnostic and plans; every fixture in `workflows/invalid/` and
//! `workflows/warnings/` reports exactly the set of diagnostic codes its
//! `NAME.expected.json` (`{"codes": [...]}`) lists.
//!
//! The fixtures double as documentation of each code (one small, realistic
//! mistake per file), so this module also checks that the invalid set covers
//! every error code the validator can report.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use braid_engine::plan::{PlanOptions, plan};
use braid_model::model::Agent;
use braid_model::{Code, Diagnostic, Severity, Validation, load};

/// `workflows/` at the repository root.
pub(crate) fn workflows_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../workflows"))
}

/// Workflow files directly in `dir` (`*.json`, but not `*.layout.json`
/// sidecars or `*.expected.json` expectations), sorted by name.
pub(crate) fn workflow_files(dir: &Path) -> Vec<PathBuf> {
    json_files(dir, |name| {
        !name.ends_with(".layout.json") && !name.ends_with(".expected.json")
    })
}

/// `*.layout.json` sidecars directly in `dir`, sorted by name.
pub(crate) fn layout_files(dir: &Path) -> Vec<PathBuf> {
    json_files(dir, |name| name.ends_with(".layout.json"))
}

fn json_files(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_file())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".json") && keep(n))
        })
        .collect();
    files.sort();
    files
}

pub(crate) fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("UTF-8 file name")
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn codes(diagnostics: &[Diagnostic]) -> BTreeSet<String> {
    diagnostics
        .iter()
        .map(|d| d.code.as_str().to_string())
        .collect()
}

/// The codes listed in `NAME.expected.json` next to `NAME.json`. A fixture
/// without its expectation fails the test rather than passing vacuously.
fn expected_codes(fixture: &Path) -> BTreeSet<String> {
    let expected = fixture.with_extension("expected.json");
    let bytes = std::fs::read(&expected).unwrap_or_else(|e| {
        panic!(
            "{} has no expectation file {}: {e}",
            fixture.display(),
            file_name(&expected)
        )
    });
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", expected.display()));
    let list = value
        .get("codes")
        .and_then(serde_json::Value::as_array)
        .unwrap_or_else(|| panic!("{} needs {{\"codes\": [...]}}", expected.display()));
    let codes: BTreeSet<String> = list
        .iter()
        .map(|c| {
            c.as_str()
                .unwrap_or_else(|| panic!("{}: codes are strings", expected.display()))
                .to_string()
        })
        .collect();
    assert!(!codes.is_empty(), "{} lists no codes", expected.display());
    codes
}

/// Every `*.expected.json` in `dir` belongs to a fixture (no stale expectations).
fn assert_no_orphan_expectations(dir: &Path) {
    for expected in json_files(dir, |name| name.ends_with(".expected.json")) {
        let name = file_name(&expected);
        let fixture = dir.join(name.replace(".expected.json", ".json"));
        assert!(
            fixture.is_file(),
            "{} has no fixture {}",
            expected.display(),
            file_name(&fixture)
        );
    }
}

fn describe(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("  {:?} {} at {}: {}", d.severity, d.code, d.path, d.message))
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_paths_rooted(file: &str, diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        assert!(
            d.path.starts_with('$'),
            "{file}: diagnostic {} has path {:?}, not a JSON path",
            d.code,
            d.path
        );
    }
}

/// Every error code the loader and validator can report. `too_large` is the
/// one without a committed fixture (it needs a 5 MB file); the parser's own
/// tests cover it. `workflow_cycle` comes from the separate cross-file pass
/// (`validate::references`, tested there and through the CLI), not from
/// `load`; `unsupported_agent` is no longer reported (every agent kind runs).
const ERROR_CODES: [Code; 24] = [
    Code::Parse,
    Code::UnknownField,
    Code::FormatVersion,
    Code::DuplicateId,
    Code::BadId,
    Code::DanglingEdge,
    Code::Cycle,
    Code::MissingInput,
    Code::WriteConflict,
    Code::GroupEdge,
    Code::UnknownGroup,
    Code::BadAggregate,
    Code::BadLimit,
    Code::UnknownResource,
    Code::PlaceholderInScript,
    Code::TooLarge,
    Code::DuplicateKey,
    Code::BadValue,
    Code::BadAgent,
    Code::BadCondition,
    Code::BadGroup,
    Code::UnknownPlaceholder,
    Code::BadUrl,
    Code::BadLoop,
];
const WARNING_CODES: [Code; 4] = [
    Code::Unreachable,
    Code::UnusedOutput,
    Code::UnknownRead,
    Code::RacyRead,
];

#[test]
fn examples_are_valid_without_diagnostics_and_plan() {
    let dir = workflows_dir();
    let files = workflow_files(&dir);
    let names: BTreeSet<&str> = files.iter().map(|p| file_name(p)).collect();
    for required in [
        "blog-publishing.json",
        "release-pipeline.json",
        "code-review-swarm.json",
        "page-audit-map.json",
    ] {
        assert!(names.contains(required), "workflows/{required} is missing");
    }
    for path in &files {
        let file = file_name(path);
        let valid = match load(&read(path)) {
            Validation::Valid(valid) => valid,
            Validation::Invalid(diagnostics) => {
                panic!("{file} is invalid:\n{}", describe(&diagnostics))
            }
        };
        assert!(
            valid.warnings().is_empty(),
            "{file} has warnings:\n{}",
            describe(valid.warnings())
        );
        let workflow = valid.workflow();
        assert!(
            workflow.limits.contains_key("concurrency"),
            "{file}: set limits.concurrency so the plan does not depend on the machine's CPU count"
        );

        let plan = plan(&valid, &PlanOptions::default());
        assert!(plan.predicted_ms > 0, "{file}: predicted_ms is 0");
        assert!(
            !plan.critical_path.nodes.is_empty(),
            "{file}: empty critical path"
        );
        assert!(
            plan.critical_path.duration_ms > 0,
            "{file}: critical path takes no time"
        );
        assert_eq!(plan.workflow_id, workflow.id, "{file}");
        assert_eq!(
            file,
            format!("{}.json", workflow.id),
            "{file}: the file name should be its id"
        );
    }
}

/// Shell steps of the examples point at scripts shipped in `workflows/agents/`.
#[test]
fn example_shell_agents_exist_and_are_executable() {
    let dir = workflows_dir();
    let mut seen = 0;
    for path in workflow_files(&dir) {
        let workflow = braid_model::parse::parse_workflow(&read(&path)).expect("examples parse");
        for step in &workflow.steps {
            let Agent::Shell(shell) = &step.agent else {
                continue;
            };
            assert!(
                step.estimate_s.is_some(),
                "{}: shell step `{}` has no estimate_s",
                file_name(&path),
                step.id
            );
            let Some(program) = shell.command.as_ref().and_then(|argv| argv.first()) else {
                continue;
            };
            if !program.contains('/') {
                continue; // a program on PATH, such as `python3`
            }
            let script = dir.join(program);
            assert!(
                script.is_file(),
                "{}: step `{}` runs {program}, which is not there",
                file_name(&path),
                step.id
            );
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&script)
                    .expect("metadata")
                    .permissions()
                    .mode();
                assert!(mode & 0o111 != 0, "{} is not executable", script.display());
            }
            seen += 1;
        }
    }
    assert!(seen > 0, "no example uses a shipped shell agent");
}

#[test]
fn invalid_fixtures_report_exactly_their_codes() {
    let dir = workflows_dir().join("invalid");
    assert_no_orphan_expectations(&dir);
    let files = workflow_files(&dir);
    let mut covered = BTreeSet::new();
    for path in &files {
        let file = file_name(path);
        let expected = expected_codes(path);
        let diagnostics = match load(&read(path)) {
            Validation::Invalid(diagnostics) => diagnostics,
            Validation::Valid(valid) => panic!(
                "{file} is valid (warnings:\n{})",
                describe(valid.warnings())
            ),
        };
        assert_eq!(
            codes(&diagnostics),
            expected,
            "{file} reports:\n{}",
            describe(&diagnostics)
        );
        assert_paths_rooted(file, &diagnostics);
        // One fixture per code, named after it.
        assert_eq!(
            expected.len(),
            1,
            "{file}: an invalid fixture pins one code"
        );
        assert_eq!(
            file.strip_suffix(".json"),
            expected.first().map(String::as_str),
            "{file}: name it after its code"
        );
        covered.extend(expected);
    }
    let wanted: BTreeSet<String> = ERROR_CODES
        .iter()
        .filter(|&&c| c != Code::TooLarge)
        .map(|c| c.as_str().to_string())
        .collect();
    let missing: Vec<&String> = wanted.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "error codes without a fixture in workflows/invalid: {missing:?}"
    );
}

#[test]
fn invalid_fixtures_locate_their_problem() {
    let dir = workflows_dir().join("invalid");
    let diagnostics = |name: &str| load(&read(&dir.join(name))).diagnostics().to_vec();

    let unknown = diagnostics("unknown_field.json");
    assert_eq!(unknown.len(), 1, "{}", describe(&unknown));
    assert!(
        unknown[0].path.ends_with(".max_atempts"),
        "unknown_field should name the misspelt key, got {}",
        unknown[0].path
    );
    assert_eq!(unknown[0].path, "$.steps[0].retry.max_atempts");

    let parse = diagnostics("parse.json");
    assert_eq!(parse.len(), 1, "{}", describe(&parse));
    let (line, column) = (parse[0].line, parse[0].column);
    assert!(
        line.is_some() && column.is_some(),
        "parse diagnostics carry line and column: {:?}",
        parse[0]
    );
    // The stray comma after the last step, before `]`.
    assert_eq!(line, Some(8), "{:?}", parse[0]);

    let conflict = diagnostics("write_conflict.json");
    let mut nodes = conflict[0].nodes.clone();
    nodes.sort();
    assert_eq!(nodes, ["build-api-reference", "build-guides"]);

    let cycle = diagnostics("cycle.json");
    assert_eq!(cycle[0].nodes, ["transform", "publish"]);
}

#[test]
fn warning_fixtures_are_valid_with_exactly_their_warnings() {
    let dir = workflows_dir().join("warnings");
    assert_no_orphan_expectations(&dir);
    let files = workflow_files(&dir);
    let mut covered = BTreeSet::new();
    for path in &files {
        let file = file_name(path);
        let expected = expected_codes(path);
        let valid = match load(&read(path)) {
            Validation::Valid(valid) => valid,
            Validation::Invalid(diagnostics) => {
                panic!("{file} is invalid:\n{}", describe(&diagnostics))
            }
        };
        let warnings = valid.warnings();
        assert!(warnings.iter().all(|d| d.severity == Severity::Warning));
        assert_eq!(
            codes(warnings),
            expected,
            "{file} reports:\n{}",
            describe(warnings)
        );
        assert_paths_rooted(file, warnings);
        covered.extend(expected);
    }
    let wanted: BTreeSet<String> = WARNING_CODES
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    assert_eq!(
        covered, wanted,
        "every warning code has a fixture in workflows/warnings"
    );
}

/// Regression: the validator treated an optional branch's outputs as
/// guaranteed once its group was approved, but a failed optional branch is
/// left out of the aggregation and writes nothing.
#[test]
fn optional_branch_outputs_are_not_guaranteed() {
    let workflow = |required: bool| {
        format!(
            r#"{{
  "format": "braid/1",
  "id": "reviews",
  "limits": {{ "concurrency": 4 }},
  "steps": [
    {{ "id": "legal", "group": "gates", "agent": {{ "kind": "sim", "duration_ms": 1000 }}, "produces": ["legal_ok"] }},
    {{ "id": "tech", "group": "gates", "agent": {{ "kind": "sim", "duration_ms": 1000 }}, "produces": ["tech_score"],
      "required": {required} }},
    {{ "id": "publish", "agent": {{ "kind": "sim", "duration_ms": 1000 }}, "requires": ["legal_ok", "tech_score"] }}
  ],
  "groups": [{{ "id": "gates", "aggregate": {{ "strategy": "all" }} }}],
  "edges": [{{ "from": "gates", "to": "publish" }}]
}}"#
        )
    };
    assert!(load(workflow(true).as_bytes()).diagnostics().is_empty());
    let diagnostics = load(workflow(false).as_bytes()).diagnostics().to_vec();
    assert_eq!(
        codes(&diagnostics),
        BTreeSet::from(["missing_input".to_string()]),
        "{}",
        describe(&diagnostics)
    );
    assert_eq!(diagnostics[0].path, "$.steps[2].requires[1]");
}

/// The plan carries each node's slack, by the same rule analytics uses for
/// a recorded run (`plan::latest_ends`); the app's critical-path marks read
/// it rather than recomputing it.
#[test]
fn a_plan_carries_slack_by_the_analytics_rule() {
    let text = r#"{"format":"braid/1","id":"slack","steps":[
        {"id":"a","agent":{"kind":"sim","duration_ms":10}},
        {"id":"b","agent":{"kind":"sim","duration_ms":5}},
        {"id":"c","agent":{"kind":"sim","duration_ms":30}},
        {"id":"d","agent":{"kind":"sim","duration_ms":1}}],
      "edges":[{"from":"a","to":"c"},{"from":"b","to":"c"}]}"#;
    let valid = match braid_model::load(text.as_bytes()) {
        braid_model::Validation::Valid(v) => *v,
        braid_model::Validation::Invalid(d) => panic!("{d:#?}"),
    };
    let options = braid_engine::plan::PlanOptions {
        default_concurrency: 4,
        ..Default::default()
    };
    let plan = braid_engine::plan::plan(&valid, &options);
    assert_eq!(plan.predicted_ms, 40);
    let slack: Vec<(&str, u64)> = plan.slack.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(slack, [("a", 0), ("b", 5), ("c", 0), ("d", 39)]);
}

/// Format revision 2: `concurrency` defaults to 64 (it was the CPU count,
/// which queued a three-reviewer gate on a 2-core machine).
#[test]
fn without_limits_64_steps_run_at_once() {
    let steps: Vec<String> = (0..70)
        .map(|i| format!(r#"{{"id":"s{i}","agent":{{"kind":"sim","duration_ms":10}}}}"#))
        .collect();
    let text = format!(
        r#"{{"format":"braid/1","id":"wide","steps":[{}]}}"#,
        steps.join(",")
    );
    let valid = match braid_model::load(text.as_bytes()) {
        braid_model::Validation::Valid(v) => *v,
        braid_model::Validation::Invalid(d) => panic!("{d:#?}"),
    };
    let plan = braid_engine::plan::plan(&valid, &braid_engine::plan::PlanOptions::default());
    assert_eq!(plan.predicted_ms, 20, "64 at once, then the other 6");
}
