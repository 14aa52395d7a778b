//! `braid validate FILE… [--json]`

use std::path::PathBuf;

use braid_engine::diagnostic::has_errors;
use braid_engine::{Severity, Validation};
use serde_json::json;

use super::{Loaded, load_file};
use crate::{exit, output};

pub fn run(files: &[PathBuf], json: bool) -> u8 {
    let mut status = exit::SUCCESS;
    let mut reports = Vec::new();
    for file in files {
        match load_file(file) {
            Loaded::Unreadable(message) => {
                output::error_line(&message);
                status = exit::USAGE;
                reports.push(
                    json!({ "file": file, "valid": false, "error": message, "diagnostics": [] }),
                );
            }
            Loaded::Checked(validation) => {
                let diagnostics = validation.diagnostics();
                let valid = matches!(validation, Validation::Valid(_));
                let errors = diagnostics
                    .iter()
                    .filter(|d| d.severity == Severity::Error)
                    .count();
                let warnings = diagnostics.len() - errors;
                if !valid {
                    debug_assert!(has_errors(diagnostics));
                    output::error_line(&format!(
                        "{} is invalid ({}{})",
                        file.display(),
                        output::count(errors, "error"),
                        if warnings > 0 {
                            format!(", {}", output::count(warnings, "warning"))
                        } else {
                            String::new()
                        }
                    ));
                    if status == exit::SUCCESS {
                        status = exit::FAILURE;
                    }
                }
                if !json {
                    for d in diagnostics {
                        output::diagnostic(file, d);
                    }
                    if let Validation::Valid(v) = &validation {
                        let wf = v.workflow();
                        println!(
                            "{}: valid ({}, {}, {}{})",
                            file.display(),
                            output::count(wf.steps.len(), "step"),
                            output::count(wf.groups.len(), "group"),
                            output::count(wf.edges.len(), "edge"),
                            if warnings > 0 {
                                format!("; {}", output::count(warnings, "warning"))
                            } else {
                                String::new()
                            }
                        );
                    }
                }
                reports.push(json!({ "file": file, "valid": valid, "diagnostics": diagnostics }));
            }
        }
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "files": reports }))
                .expect("JSON values serialise")
        );
    }
    status
}
