//! The one step-status rule against the table the canvas is tested with.

use braid_engine::events::StepStatus;

#[test]
fn step_status_from_parts_matches_the_shared_table() {
    let table: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/step_status.json")).expect("JSON");
    for case in table["cases"].as_array().expect("cases") {
        let parts: Vec<StepStatus> = serde_json::from_value(case[0].clone()).expect("statuses");
        let want: StepStatus = serde_json::from_value(case[1].clone()).expect("status");
        assert_eq!(StepStatus::of_parts(parts.clone()), want, "{parts:?}");
    }
}
