//! The one duration formatter against the table the UI's is tested with too.

use braid_model::human::duration;

#[test]
fn durations_match_the_shared_table() {
    let text = include_str!("fixtures/durations.json");
    let table: serde_json::Value = serde_json::from_str(text).expect("the table is JSON");
    let cases = table["cases"].as_array().expect("cases");
    assert!(cases.len() > 10);
    for case in cases {
        let ms = case[0].as_f64().expect("milliseconds");
        let want = case[1].as_str().expect("text");
        assert_eq!(duration(ms), want, "{ms} ms");
    }
}

#[test]
fn carries_never_show() {
    // The values the issue pinned: each rounds up into the next unit.
    assert_eq!(duration(999.6), "1.00 s");
    assert_eq!(duration(59_999.0), "1 min 00 s");
    assert_eq!(duration(119_600.0), "2 min 00 s");
    assert_eq!(duration(3_599_999.0), "1 h 00 min");
}
