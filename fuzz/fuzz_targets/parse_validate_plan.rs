//! Arbitrary bytes → `braid_model::load` → (if valid) `plan`, plus the
//! canonical writer: a valid workflow, written canonically, must parse back,
//! validate again, mean the same thing (equal model, up to the writer's
//! documented `80.0` → `80` for integral floats), and be a fixpoint of the
//! writer.
//!
//! Floats must survive exactly: the workspace builds serde_json with
//! `float_roundtrip` (this target found the drift without it; pinned by
//! `hostile::floats_survive_load_save`). [`TOLERATE_FLOAT_DRIFT`] stays as a
//! switch for bisecting old revisions.
#![no_main]

use braid_model::canonical::workflow_to_string;
use braid_model::parse::parse_workflow;
use braid_engine::plan::{PlanOptions, plan};
use braid_model::{Validation, load};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const TOLERATE_FLOAT_DRIFT: bool = false;

fuzz_target!(|data: &[u8]| {
    let Validation::Valid(valid) = load(data) else {
        return;
    };
    let options = PlanOptions {
        default_concurrency: 4,
        ..PlanOptions::default()
    };
    let planned = plan(&valid, &options);
    assert!(
        planned.predicted_ms >= planned.critical_path.duration_ms,
        "predicted {} < critical path {}",
        planned.predicted_ms,
        planned.critical_path.duration_ms
    );

    let text = workflow_to_string(valid.workflow());
    let reparsed = match parse_workflow(text.as_bytes()) {
        Ok(w) => w,
        Err(d) => panic!("canonical output does not parse: {d:?}\n{text}"),
    };
    let before = serde_json::to_value(valid.workflow()).expect("model serialises");
    let after = serde_json::to_value(&reparsed).expect("model serialises");
    assert!(
        same(&before, &after, TOLERATE_FLOAT_DRIFT),
        "canonical round trip changed the model\n{text}"
    );
    if same(&before, &after, false) {
        assert_eq!(
            workflow_to_string(&reparsed),
            text,
            "canonical writer is not a fixpoint"
        );
    }
    assert!(
        matches!(braid_model::validate(reparsed), Validation::Valid(_)),
        "a valid workflow became invalid after a canonical round trip\n{text}"
    );
});

/// Structural equality where numbers compare by value (`1.0` == `1`) and,
/// with `loose`, floats within a few ulps.
fn same(a: &Value, b: &Value, loose: bool) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x == y {
                return true;
            }
            if !(x.is_f64() || y.is_f64()) {
                return false;
            }
            let (Some(x), Some(y)) = (x.as_f64(), y.as_f64()) else {
                return false;
            };
            x == y || loose && (x - y).abs() <= x.abs().max(y.abs()) * 1e-15
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y, loose))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && same(vx, vy, loose))
        }
        _ => a == b,
    }
}
