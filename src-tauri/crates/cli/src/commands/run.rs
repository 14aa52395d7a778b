//! `braid run FILE [--input K=V]… [--time-scale F] [--trust] [--json] [--db PATH]`

use std::path::Path;

use braid_engine::run::inputs::parse_assignment;
use braid_model::model::JsonMap;
use braid_runtime::Refusal;
use braid_runtime::start::StartRequest;

use super::report_run;
use crate::runner::execute;
use crate::{refusal, store_access};

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
    let mut given = JsonMap::new();
    for text in args.inputs {
        match parse_assignment(text) {
            Some((key, value)) => {
                given.insert(key, value);
            }
            None => {
                return refusal::report(&Refusal::Usage(format!(
                    "--input expects KEY=VALUE, got `{text}`"
                )));
            }
        }
    }
    let store = match store_access::open(args.db) {
        Ok(store) => store,
        Err(message) => return refusal::report(&Refusal::Usage(message)),
    };
    let request = StartRequest {
        file: args.file,
        inputs: given,
        time_scale: args.time_scale,
        trust: args.trust,
    };
    match braid_runtime::start::prepare(&store, request) {
        Ok(execution) => {
            let workflow = execution.valid.workflow().clone();
            report_run(&workflow, execute(store, execution), args.json, None)
        }
        Err(refused) => refusal::report(&refused),
    }
}
