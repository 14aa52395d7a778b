//! `braid validate FILE… [--json]`

use std::path::PathBuf;

use braid_model::diagnostic::has_errors;
use braid_model::{Severity, Validation};
use serde_json::json;

use super::read_file;
use crate::{exit, output};

/// A file's own diagnostics, then those of the sub-workflows it names
/// (`workflow_cycle`, unreadable or invalid sub-workflows; reading them
/// never runs anything). Whether it is valid counts both.
fn check(file: &std::path::Path, bytes: &[u8]) -> (bool, Vec<braid_model::Diagnostic>) {
    let validation = braid_model::load(bytes);
    let mut diagnostics = validation.diagnostics().to_vec();
    if let Ok(workflow) = braid_model::parse::parse_workflow(bytes) {
        let references = braid_model::validate::references::check_references(file, &workflow);
        diagnostics.extend(references.diagnostics);
    }
    let valid = matches!(validation, Validation::Valid(_)) && !has_errors(&diagnostics);
    (valid, diagnostics)
}

pub fn run(files: &[PathBuf], json: bool) -> u8 {
    let mut status = exit::SUCCESS;
    let mut reports = Vec::new();
    for file in files {
        if let Some(workflow) = sidecar_of(file) {
            // `braid validate workflows/*.json` also matches the editor's
            // layout sidecars: they are not workflows, so they are passed over.
            output::note(&format!(
                "{}: skipped (the editor's layout of {})",
                file.display(),
                workflow.display()
            ));
            continue;
        }
        match read_file(file) {
            Err(message) => {
                output::error_line(&message);
                status = exit::USAGE;
                reports.push(
                    json!({ "file": file, "valid": false, "error": message, "diagnostics": [] }),
                );
            }
            Ok(bytes) => {
                let (valid, diagnostics) = check(file, &bytes);
                let diagnostics = diagnostics.as_slice();
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
                    if let (true, Ok(wf)) = (valid, braid_model::parse::parse_workflow(&bytes)) {
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

/// The workflow whose layout sidecar `file` is (`x.layout.json` beside
/// `x.json`), if it is one.
fn sidecar_of(file: &std::path::Path) -> Option<PathBuf> {
    let name = file.file_name()?.to_str()?;
    let stem = name.strip_suffix(".layout.json")?;
    let workflow = file.with_file_name(format!("{stem}.json"));
    workflow.is_file().then_some(workflow)
}
