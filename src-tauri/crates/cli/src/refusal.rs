//! How the terminal words a run that did not start, and its exit status.

use std::path::Path;

use braid_runtime::Refusal;

use crate::{exit, output};

/// Prints why nothing was run; returns the exit status.
pub fn report(refusal: &Refusal) -> u8 {
    match refusal {
        Refusal::Usage(message) => {
            output::error_line(message);
            exit::USAGE
        }
        Refusal::NotAllowed(message) => {
            output::error_line(message);
            exit::FAILURE
        }
        Refusal::Invalid {
            message,
            file,
            diagnostics,
        } => {
            output::error_line(message);
            for d in diagnostics {
                output::diagnostic(Path::new(file), d);
            }
            exit::FAILURE
        }
        Refusal::Unapproved(pending) => {
            for file in pending {
                eprintln!("{} (sha256 {}) would run:", file.path, &file.hash[..12]);
                match &file.review {
                    Some(review) => eprintln!("{}", review.to_text()),
                    None => eprintln!("  (the file does not parse)"),
                }
            }
            output::error_line(&format!(
                "{refusal}. Review what it would run (above), then run again with --trust to approve this exact content"
            ));
            exit::USAGE
        }
        Refusal::Undecided(steps) => {
            output::error_line(&undecided_message("the run", steps));
            exit::USAGE
        }
    }
}

/// `resume` found non-idempotent steps mid-attempt: what to do about them.
pub fn undecided_message(run: &str, steps: &[String]) -> String {
    let one = steps.len() == 1;
    let it = if one { "it" } else { "them" };
    format!(
        "{run} was interrupted while non-idempotent step{} {} {} running; it may have had effects. \
         Resume with --retry-interrupted to run {it} again, or --skip-interrupted to skip {it} (and what depends on {it})",
        if one { "" } else { "s" },
        steps.join(", "),
        if one { "was" } else { "were" },
    )
}
