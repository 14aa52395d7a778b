//! `braid resume RUN_ID [--retry-interrupted | --skip-interrupted] [--json]`
//!
//! Continues an interrupted or failed run under the same id (see
//! `braid_runtime::resume`): committed completions are kept; a
//! non-idempotent step that was mid-attempt needs a decision.

use std::path::Path;

use braid_runtime::Refusal;
pub use braid_runtime::resume::Interrupted;

use super::report_run;
use crate::runner::execute;
use crate::{output, refusal, store_access};

pub fn run(
    run_id: &str,
    interrupted: Interrupted,
    json: bool,
    db: Option<&Path>,
    trust: bool,
) -> u8 {
    let store = match store_access::open(db) {
        Ok(store) => store,
        Err(message) => return refusal::report(&Refusal::Usage(message)),
    };
    match braid_runtime::resume::prepare(&store, run_id, interrupted, trust) {
        Ok(execution) => {
            let workflow = execution.valid.workflow().clone();
            report_run(&workflow, execute(store, execution), json, None)
        }
        Err(Refusal::Undecided(steps)) => {
            output::error_line(&refusal::undecided_message(
                &format!("run {run_id}"),
                &steps,
            ));
            crate::exit::USAGE
        }
        Err(other) => refusal::report(&other),
    }
}
