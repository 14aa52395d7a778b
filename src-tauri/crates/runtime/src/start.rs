//! Preparing a fresh run of a workflow file: read it (size-capped), validate
//! it, fill its inputs, and pass the import gate — in that order, so a file
//! that is invalid or not approved never reaches the engine.

use std::path::Path;
use std::sync::Arc;

use braid_engine::agents::shell::workflow_dir_of;
use braid_engine::run::inputs::resolve_inputs;
use braid_engine::run::machine::Prior;
use braid_model::Validation;
use braid_model::model::JsonMap;
use braid_store::Store;

use crate::Refusal;
use crate::execute::Execution;
use crate::gate::{MainFile, gate};
use crate::read::read_file;

pub struct StartRequest<'a> {
    pub file: &'a Path,
    /// The values given; defaults are filled and required ones enforced here.
    pub inputs: JsonMap,
    pub time_scale: f64,
    /// Approve this exact content (and its sub-workflows) and run it.
    pub trust: bool,
}

pub fn prepare(store: &Store, request: StartRequest) -> Result<Execution, Refusal> {
    let file = request.file;
    let source = read_file(file).map_err(Refusal::Usage)?;
    let valid = match braid_model::load(&source) {
        Validation::Invalid(diagnostics) => {
            return Err(Refusal::Invalid {
                message: format!("{} is invalid; nothing was run", file.display()),
                file: file.display().to_string(),
                diagnostics,
            });
        }
        Validation::Valid(valid) => Arc::new(*valid),
    };
    check_time_scale(request.time_scale).map_err(Refusal::Usage)?;
    let inputs = resolve_inputs(valid.workflow(), request.inputs)
        .map_err(|e| Refusal::Usage(format!("{e}; nothing was run")))?;
    let reviewed = gate(
        store,
        MainFile::Fresh {
            path: file,
            bytes: &source,
            workflow: valid.workflow(),
        },
        request.trust,
    )?;
    Ok(Execution {
        valid,
        workflow_source: source,
        workflow_dir: workflow_dir_of(file),
        workflow_path: Some(file.to_path_buf()),
        run_id: ulid::Ulid::new().to_string(),
        inputs,
        time_scale: request.time_scale,
        prior: Prior::default(),
        resumed: false,
        reviewed: Some(reviewed),
    })
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
