//! `braid run FILE [--input K=V]… [--time-scale F] [--trust] [--json] [--db PATH]`

use std::path::Path;
use std::sync::Arc;

use braid_engine::Validation;
use braid_engine::agents::shell::workflow_dir_of;
use braid_engine::model::JsonMap;
use braid_engine::run::inputs::{parse_assignment, resolve_inputs};
use braid_engine::run::machine::Prior;

use super::{read_file, report_run};
use crate::runner::{Execution, execute};
use crate::trust_gate::{MainFile, gate};
use crate::{exit, output, store_access};

pub struct RunArgs<'a> {
    pub file: &'a Path,
    pub inputs: &'a [String],
    pub time_scale: f64,
    pub json: bool,
    pub db: Option<&'a Path>,
    /// Approve this exact content (and its sub-workflows) and run it.
    pub trust: bool,
}

pub fn run_command(args: RunArgs) -> u8 {
    let source = match read_file(args.file) {
        Ok(bytes) => bytes,
        Err(message) => {
            output::error_line(&message);
            return exit::USAGE;
        }
    };
    let valid = match braid_engine::load(&source) {
        Validation::Invalid(diagnostics) => {
            output::error_line(&format!(
                "{} is invalid; nothing was run",
                args.file.display()
            ));
            for d in &diagnostics {
                output::diagnostic(args.file, d);
            }
            return exit::FAILURE;
        }
        Validation::Valid(valid) => Arc::new(*valid),
    };
    if let Err(message) = check_time_scale(args.time_scale) {
        output::error_line(&message);
        return exit::USAGE;
    }
    let mut given = JsonMap::new();
    for text in args.inputs {
        match parse_assignment(text) {
            Some((key, value)) => {
                given.insert(key, value);
            }
            None => {
                output::error_line(&format!("--input expects KEY=VALUE, got `{text}`"));
                return exit::USAGE;
            }
        }
    }
    let inputs = match resolve_inputs(valid.workflow(), given) {
        Ok(inputs) => inputs,
        Err(e) => {
            output::error_line(&format!("{e}; nothing was run"));
            return exit::USAGE;
        }
    };
    let store = match store_access::open(args.db) {
        Ok(store) => store,
        Err(message) => {
            output::error_line(&message);
            return exit::USAGE;
        }
    };
    let reviewed = match gate(
        &store,
        MainFile::Fresh {
            path: args.file,
            bytes: &source,
            workflow: valid.workflow(),
        },
        args.trust,
    ) {
        Ok(reviewed) => reviewed,
        Err((code, message)) => {
            output::error_line(&message);
            return code;
        }
    };
    let execution = Execution {
        valid: valid.clone(),
        workflow_source: source,
        workflow_dir: workflow_dir_of(args.file),
        workflow_path: Some(args.file.to_path_buf()),
        run_id: ulid::Ulid::new().to_string(),
        inputs,
        time_scale: args.time_scale,
        prior: Prior::default(),
        resumed: false,
        reviewed: Some(reviewed),
    };
    report_run(valid.workflow(), execute(store, execution), args.json, None)
}

pub fn check_time_scale(time_scale: f64) -> Result<(), String> {
    if time_scale.is_finite() && time_scale >= 0.0 {
        Ok(())
    } else {
        Err(format!(
            "--time-scale must be a number ≥ 0, not {time_scale}"
        ))
    }
}
