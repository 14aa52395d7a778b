//! What the CLI prints for people: colour only on a terminal and never with
//! `NO_COLOR`; bad filter values refused with the valid ones named.

use std::process::Command;

use super::validate::tempdir;
use super::{braid, stderr};

/// Runs `braid ARGS` on a pseudo-terminal (util-linux `script`), with
/// `NO_COLOR` set or not; returns what it printed.
fn on_a_terminal(args: &str, no_color: bool) -> String {
    let mut command = Command::new("script");
    command
        .args([
            "-qec",
            &format!("{} {args}", env!("CARGO_BIN_EXE_braid")),
            "/dev/null",
        ])
        .env_remove("NO_COLOR");
    if no_color {
        command.env("NO_COLOR", "1");
    }
    String::from_utf8_lossy(&command.output().expect("script runs").stdout).into_owned()
}

/// Whether `text` sets a colour (an SGR escape, `ESC [ … m`); cursor moves
/// of the progress display do not count.
fn has_colour(text: &str) -> bool {
    text.split("\u{1b}[").skip(1).any(|rest| {
        let params: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ';')
            .collect();
        !params.is_empty() && rest[params.len()..].starts_with('m')
    })
}

#[test]
fn tables_are_coloured_on_a_terminal_unless_no_color_is_set() {
    let dir = tempdir();
    let db = dir.join("runs.db");
    let file = dir.join("one.json");
    std::fs::write(
        &file,
        r#"{"format":"braid/1","id":"one","steps":[{"id":"a","agent":{"kind":"sim","duration_ms":1}}]}"#,
    )
    .unwrap();
    let run = format!("--db {} run {}", db.display(), file.display());
    let coloured = on_a_terminal(&run, false);
    assert!(
        has_colour(&coloured),
        "a terminal gets colour: {coloured:?}"
    );
    let plain = on_a_terminal(&run, true);
    assert!(plain.contains("succeeded"), "{plain}");
    assert!(!has_colour(&plain), "NO_COLOR: no colour in {plain:?}");
    let runs = on_a_terminal(&format!("--db {} runs", db.display()), true);
    assert!(runs.contains("succeeded") && !has_colour(&runs), "{runs:?}");
}

#[test]
fn runs_refuses_an_unknown_status_naming_the_valid_ones() {
    let out = braid(&["runs", "--status", "bogus"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for status in ["running", "succeeded", "failed", "cancelled", "interrupted"] {
        assert!(err.contains(status), "{err}");
    }
}
