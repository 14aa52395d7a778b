//! load → save is byte-identical for every committed workflow and layout
//! sidecar, so opening and saving a file in the editor never shows up as a
//! diff; and a hand-written file is normalised to a fixed point.

use std::path::Path;

use braid_model::canonical::{layout_to_string, workflow_to_string};
use braid_model::parse::{parse_layout, parse_workflow};

use super::fixtures::{file_name, layout_files, workflow_files, workflows_dir};

/// Panics with the first line where `actual` leaves `expected`, which says
/// more than two multi-kilobyte strings side by side.
fn assert_same_text(path: &Path, expected: &str, actual: &str) {
    if expected == actual {
        return;
    }
    let mut expected_lines = expected.lines();
    let mut actual_lines = actual.lines();
    for line in 1.. {
        match (expected_lines.next(), actual_lines.next()) {
            (Some(e), Some(a)) if e == a => continue,
            (None, None) => break,
            (e, a) => panic!(
                "{} is not in canonical form; first difference at line {line}:\n  file:      {e:?}\n  canonical: {a:?}",
                path.display()
            ),
        }
    }
    panic!(
        "{} differs from its canonical form only in its line endings or final newline",
        path.display()
    );
}

fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn workflows_round_trip_byte_identical() {
    let root = workflows_dir();
    let mut count = 0;
    for dir in [root.clone(), root.join("warnings")] {
        for path in workflow_files(&dir) {
            let text = read_text(&path);
            let workflow = parse_workflow(text.as_bytes())
                .unwrap_or_else(|d| panic!("{} does not parse: {d:?}", file_name(&path)));
            assert_same_text(&path, &text, &workflow_to_string(&workflow));
            count += 1;
        }
    }
    assert!(
        count >= 6,
        "expected the examples and warning fixtures, found {count} files"
    );
}

#[test]
fn layouts_round_trip_byte_identical() {
    let root = workflows_dir();
    let mut count = 0;
    for dir in [root.clone(), root.join("warnings")] {
        for path in layout_files(&dir) {
            let text = read_text(&path);
            let layout = parse_layout(text.as_bytes())
                .unwrap_or_else(|d| panic!("{} does not parse: {d:?}", file_name(&path)));
            assert_same_text(&path, &text, &layout_to_string(&layout));
            // A sidecar only places nodes of the workflow beside it.
            let name = file_name(&path).replace(".layout.json", ".json");
            let workflow = parse_workflow(read_text(&dir.join(&name)).as_bytes())
                .expect("its workflow parses");
            for id in layout.nodes.keys() {
                let known = workflow.steps.iter().any(|s| &s.id == id)
                    || workflow.groups.iter().any(|g| &g.id == id);
                assert!(
                    known,
                    "{}: `{id}` is not a node of {name}",
                    file_name(&path)
                );
            }
            count += 1;
        }
    }
    assert!(
        count >= 1,
        "expected at least one layout sidecar in workflows/"
    );
}

/// Keys out of order, odd spacing, `80.0` floats, CRLF line ends, explicit
/// defaults: the writer puts keys in model order, prints integral floats as
/// integers, keeps what the author wrote explicitly, and its output is a
/// fixed point of load → save.
#[test]
fn non_canonical_document_is_normalised_to_a_fixed_point() {
    let messy = "{ \"edges\" : [ {\"when\":\"approved\", \"to\" :\"publish\",\"from\":\"gates\"},\r\n\
        {\"to\":\"gates\",\"from\":\"draft\"} ],\r\n\
        \"steps\":[{\"agent\":{\"seed\":7,\"duration_ms\":45000,\"kind\":\"sim\",\"score\":91.0},\r\n\
        \"produces\":[\"draft_text\"],\"id\":\"draft\",\"required\":true},\r\n\
        {\"weight\":0.5,\"group\":\"gates\",\"id\":\"legal\",\"agent\":{\"kind\":\"sim\",\"approved\":true},\r\n\
        \"requires\":[\"draft_text\"]},\r\n\
        {\"id\":\"publish\",\"agent\":{\"kind\":\"shell\",\"command\":[\"./agents/publish.sh\"]},\"estimate_s\":12.0,\r\n\
        \"retry\":{\"factor\":2.0,\"max_attempts\":3}}],\r\n\
        \"groups\":[{\"max_concurrency\":2,\"aggregate\":{\"needs_work_at\":60.0,\"strategy\":\"weighted\",\"approve_at\":80.0},\"id\":\"gates\"}],\r\n\
        \"limits\":{\"concurrency\":8},   \"id\":\"messy\",\t\"format\":\"braid/1\",\r\n\
        \"inputs\":{\"mode\":{\"description\":\"draft or live\",\"default\":\"draft\"}}}";
    let expected = r#"{
  "format": "braid/1",
  "id": "messy",
  "inputs": {
    "mode": { "default": "draft", "description": "draft or live" }
  },
  "limits": { "concurrency": 8 },
  "steps": [
    {
      "id": "draft",
      "agent": { "kind": "sim", "duration_ms": 45000, "score": 91, "seed": 7 },
      "produces": ["draft_text"],
      "required": true
    },
    {
      "id": "legal",
      "group": "gates",
      "agent": { "kind": "sim", "approved": true },
      "requires": ["draft_text"],
      "weight": 0.5
    },
    {
      "id": "publish",
      "agent": {
        "kind": "shell",
        "command": ["./agents/publish.sh"]
      },
      "retry": { "max_attempts": 3, "factor": 2 },
      "estimate_s": 12
    }
  ],
  "groups": [
    {
      "id": "gates",
      "aggregate": { "strategy": "weighted", "approve_at": 80, "needs_work_at": 60 },
      "max_concurrency": 2
    }
  ],
  "edges": [
    { "from": "gates", "to": "publish", "when": "approved" },
    { "from": "draft", "to": "gates" }
  ]
}
"#;
    let workflow = parse_workflow(messy.as_bytes()).expect("the messy document parses");
    let once = workflow_to_string(&workflow);
    assert_eq!(once, expected);

    let reparsed = parse_workflow(once.as_bytes()).expect("canonical output parses");
    assert_eq!(
        reparsed, workflow,
        "normalising must not change the workflow"
    );
    assert_eq!(
        workflow_to_string(&reparsed),
        once,
        "canonical form is a fixed point"
    );
    assert!(
        matches!(
            braid_model::load(once.as_bytes()),
            braid_model::Validation::Valid(_)
        ),
        "the normalised document is still a valid workflow"
    );
}

#[test]
fn non_canonical_layout_is_normalised_to_a_fixed_point() {
    let messy =
        r#"{"nodes":{"b":{"y":80.0,"x":240.5,"height":120.0,"width":200},"a":{"x":0,"y":0.0}}}"#;
    let expected = r#"{
  "nodes": {
    "b": { "x": 240.5, "y": 80, "width": 200, "height": 120 },
    "a": { "x": 0, "y": 0 }
  }
}
"#;
    let layout = parse_layout(messy.as_bytes()).expect("layout parses");
    let once = layout_to_string(&layout);
    assert_eq!(once, expected);
    let reparsed = parse_layout(once.as_bytes()).expect("canonical layout parses");
    assert_eq!(reparsed, layout);
    assert_eq!(layout_to_string(&reparsed), once);
}
