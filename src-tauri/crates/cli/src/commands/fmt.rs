//! `braid fmt FILE… [--check]` (extension): rewrite files in the canonical
//! form the editor saves, so hand edits diff cleanly.

use std::path::PathBuf;

use braid_model::{canonical, parse};

use super::read_file;
use crate::{exit, output};

pub fn run(files: &[PathBuf], check: bool) -> u8 {
    let mut status = exit::SUCCESS;
    for file in files {
        let bytes = match read_file(file) {
            Ok(bytes) => bytes,
            Err(message) => {
                output::error_line(&message);
                status = exit::USAGE;
                continue;
            }
        };
        let is_layout = file.to_string_lossy().ends_with(".layout.json");
        let formatted = if is_layout {
            parse::parse_layout(&bytes).map(|l| canonical::layout_to_string(&l))
        } else {
            parse::parse_workflow(&bytes).map(|w| canonical::workflow_to_string(&w))
        };
        let formatted = match formatted {
            Ok(text) => text,
            Err(diagnostics) => {
                output::error_line(&format!("{} cannot be read as a workflow", file.display()));
                for d in &diagnostics {
                    output::diagnostic(file, d);
                }
                status = status.max(exit::FAILURE);
                continue;
            }
        };
        if formatted.as_bytes() == bytes.as_slice() {
            continue;
        }
        if check {
            println!("{}: not canonical", file.display());
            status = status.max(exit::FAILURE);
        } else if let Err(e) = std::fs::write(file, formatted) {
            output::error_line(&format!("cannot write {}: {e}", file.display()));
            status = exit::USAGE;
        } else {
            println!("{}: formatted", file.display());
        }
    }
    status
}
