//! Words for people: how Braid writes a duration, everywhere — the CLI's
//! tables and progress, every report format, and (through the shared table
//! `tests/fixtures/durations.json`, which the UI's formatter is tested
//! against too) the app.
//!
//! The unit is chosen *after* rounding to the precision shown, so a value
//! never reads as a carry the next unit should have taken ("1000 ms",
//! "1 min 60 s", "59m 60.0s"):
//!
//! `412 ms` · `2.41 s` · `24.1 s` · `4 min 05 s` · `1 h 02 min`

/// A duration in milliseconds (fractions allowed) for people.
pub fn duration(ms: f64) -> String {
    if !ms.is_finite() {
        return "–".to_string();
    }
    let text = magnitude(ms.abs());
    if ms < 0.0 && text != "0 ms" {
        format!("−{text}")
    } else {
        text
    }
}

/// [`duration`] of a whole number of milliseconds.
pub fn duration_ms(ms: u64) -> String {
    duration(ms as f64)
}

fn magnitude(ms: f64) -> String {
    let whole_ms = ms.round();
    if whole_ms < 1_000.0 {
        return format!("{whole_ms} ms");
    }
    let centiseconds = (ms / 10.0).round();
    if centiseconds < 1_000.0 {
        return format!("{:.2} s", centiseconds / 100.0);
    }
    let deciseconds = (ms / 100.0).round();
    if deciseconds < 600.0 {
        return format!("{:.1} s", deciseconds / 10.0);
    }
    let seconds = (ms / 1_000.0).round() as u64;
    if seconds < 3_600 {
        return format!("{} min {:02} s", seconds / 60, seconds % 60);
    }
    let minutes = (ms / 60_000.0).round() as u64;
    format!("{} h {:02} min", minutes / 60, minutes % 60)
}
