use serde_json::Value;

use super::{braid, stderr, stdout};

#[test]
fn plan_json_has_the_contract_shape() {
    let out = braid(&["plan", "--json", "workflows/blog-publishing.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(plan["workflow_id"], "blog-publishing");
    assert!(plan["levels"].as_array().is_some_and(|l| !l.is_empty()));
    let predicted = plan["predicted_ms"].as_u64().unwrap();
    let critical = &plan["critical_path"];
    assert!(critical["nodes"].as_array().is_some_and(|n| n.len() >= 3));
    assert!(critical["duration_ms"].as_u64().unwrap() <= predicted);
    let legal = &plan["steps"]["legal"];
    assert!(legal["predicted_ms"].as_u64().is_some());
    assert!(["history", "estimate", "sim", "unknown"].contains(&legal["source"].as_str().unwrap()));
}

#[test]
fn plan_text_is_a_table_with_the_critical_path() {
    let out = braid(&["plan", "workflows/blog-publishing.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("critical path"), "{text}");
    assert!(text.contains("quality-gates"), "{text}");
}

#[test]
fn planning_an_invalid_workflow_exits_1() {
    let out = braid(&["plan", "workflows/invalid/cycle.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("error[cycle]"), "{}", stderr(&out));
}
