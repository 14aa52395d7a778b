//! `braid rerun RUN_ID --from STEP [--file FILE [--trust]] [--time-scale F] [--json]`
//!
//! A new run reusing the stored results of everything not downstream of
//! STEP (see `braid_runtime::rerun`); with `--file`, against an edited
//! workflow, where edited steps and what follows them run again.

use std::path::Path;

use braid_runtime::Refusal;
use braid_runtime::rerun::RerunRequest;
use serde_json::json;

use super::report_run;
use crate::runner::execute;
use crate::{output, refusal, store_access};

pub struct RerunArgs<'a> {
    pub run_id: &'a str,
    pub from: &'a str,
    pub file: Option<&'a Path>,
    pub time_scale: Option<f64>,
    pub json: bool,
    pub db: Option<&'a Path>,
    /// Approve the edited file (`--file`) and its sub-workflows.
    pub trust: bool,
}

pub fn run(args: RerunArgs) -> u8 {
    let store = match store_access::open(args.db) {
        Ok(store) => store,
        Err(message) => return refusal::report(&Refusal::Usage(message)),
    };
    let request = RerunRequest {
        run_id: args.run_id,
        from: args.from,
        file: args.file,
        time_scale: args.time_scale,
        trust: args.trust,
    };
    match braid_runtime::rerun::prepare(&store, &request) {
        Ok((execution, reused)) => {
            if reused.is_empty() {
                output::note(&format!("nothing reused from {}", args.run_id));
            } else {
                output::note(&format!(
                    "reused from {}: {}",
                    args.run_id,
                    reused.join(", ")
                ));
            }
            let workflow = execution.valid.workflow().clone();
            report_run(
                &workflow,
                execute(store, execution),
                args.json,
                Some(("reused", json!(reused))),
            )
        }
        Err(refused) => refusal::report(&refused),
    }
}
