//! Printing diagnostics like a compiler: code, message, file and JSON path,
//! and the ids involved. Colour only on a terminal (anstream strips it).

use std::path::Path;

use anstyle::{AnsiColor, Style};
use braid_engine::{Diagnostic, Severity};

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const DIM: Style = AnsiColor::Blue.on_default().bold();

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

/// Human duration: `850ms`, `12.5s`, `3m 05.0s`, `1h 02m`.
pub fn duration(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{ms}ms"),
        1_000..60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        60_000..3_600_000 => format!("{}m {:04.1}s", ms / 60_000, (ms % 60_000) as f64 / 1000.0),
        _ => format!("{}h {:02}m", ms / 3_600_000, (ms % 3_600_000) / 60_000),
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(850), "850ms");
        assert_eq!(duration(12_500), "12.5s");
        assert_eq!(duration(185_000), "3m 05.0s");
        assert_eq!(duration(3_720_000), "1h 02m");
    }
}
