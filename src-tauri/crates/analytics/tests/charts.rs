//! The report's chart geometry against the table the app's is tested with.

use braid_analytics::chart::{nice_axis, spark_points, tick_label};
use serde_json::Value;

fn table() -> Value {
    serde_json::from_str(include_str!("fixtures/charts.json")).expect("the table is JSON")
}

#[test]
fn axes_match_the_shared_table() {
    let table = table();
    let cases = table["axes"].as_array().expect("axes");
    assert!(cases.len() >= 8);
    for case in cases {
        let span = case["span_ms"].as_u64().expect("span");
        let axis = nice_axis(span, case["max_ticks"].as_u64().expect("max"));
        assert_eq!(
            axis.step_ms,
            case["step_ms"].as_u64().unwrap(),
            "step for {span} ms"
        );
        assert_eq!(
            axis.domain_ms,
            case["domain_ms"].as_u64().unwrap(),
            "domain for {span} ms"
        );
        let labels: Vec<String> = axis
            .ticks
            .iter()
            .map(|&t| tick_label(t, axis.step_ms))
            .collect();
        let want: Vec<&str> = case["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        assert_eq!(labels, want, "labels for {span} ms");
    }
}

#[test]
fn sparklines_match_the_shared_table() {
    let table = table();
    for case in table["sparklines"].as_array().expect("sparklines") {
        let series: Vec<f64> = case["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let points = spark_points(
            &series,
            case["width"].as_f64().unwrap(),
            case["height"].as_f64().unwrap(),
            case["pad"].as_f64().unwrap(),
            case["ceiling"].as_f64(),
        );
        let want = case["points"].as_array().unwrap();
        assert_eq!(points.len(), want.len());
        for ((x, y), w) in points.iter().zip(want) {
            assert!((x - w[0].as_f64().unwrap()).abs() < 1e-3, "x of {series:?}");
            assert!((y - w[1].as_f64().unwrap()).abs() < 1e-3, "y of {series:?}");
        }
    }
}
