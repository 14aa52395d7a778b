//! Printing diagnostics like a compiler: code, message, file and JSON path,
//! and the ids involved. Colour only on a terminal (anstream strips it).

use std::path::Path;

use anstyle::{AnsiColor, Style};
use braid_model::{Diagnostic, Severity};

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const DIM: Style = AnsiColor::Blue.on_default().bold();

/// A results table in the CLI's style. Colour only when stdout is a
/// terminal and `NO_COLOR` is unset (https://no-color.org), as for
/// diagnostics.
pub fn table() -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_BORDERS_ONLY);
    if colour_on(&std::io::stdout()) {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table
}

/// Whether to colour what goes to `stream`: a terminal, and `NO_COLOR`
/// unset or empty.
pub fn colour_on(stream: &impl std::io::IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `error: …` on one line, as the CLI contract asks for every error.
pub fn error_line(message: &str) {
    anstream::eprintln!("{ERROR}error{ERROR:#}: {message}");
}

/// An informational line on stderr (`note: …`).
pub fn note(message: &str) {
    anstream::eprintln!("{DIM}note{DIM:#}: {message}");
}

pub fn diagnostic(file: &Path, d: &Diagnostic) {
    let (style, label) = match d.severity {
        Severity::Error => (ERROR, "error"),
        Severity::Warning => (WARNING, "warning"),
    };
    anstream::eprintln!("{style}{label}[{}]{style:#}: {}", d.code, d.message);
    let location = match (d.line, d.column) {
        (Some(line), Some(column)) => format!("{}:{line}:{column}", file.display()),
        _ => file.display().to_string(),
    };
    anstream::eprintln!("  {DIM}-->{DIM:#} {location} at {}", d.path);
    if !d.nodes.is_empty() {
        anstream::eprintln!("   {DIM}={DIM:#} nodes: {}", d.nodes.join(", "));
    }
}

pub fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Durations are written by the one formatter every front end shares.
pub use braid_model::human::duration_ms as duration;

/// Text from an agent or a person, made safe for a terminal: control
/// characters (escape sequences could rewrite the screen or the title)
/// become `�`, and it stays on one line.
pub fn sanitize_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}
