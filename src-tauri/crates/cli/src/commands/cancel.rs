//! `braid cancel RUN_ID [--json]`: asks the process running RUN_ID (any
//! process, through the store) to stop, waits for the run to end, and
//! prints it as `run --json` would.

use std::path::Path;
use std::time::{Duration, Instant};

use braid_engine::events::RunStatus;

use super::report_run;
use crate::{exit, output, store_access};

/// How long to wait for the running process to wind down.
const WAIT: Duration = Duration::from_secs(60);

pub fn run(run_id: &str, json: bool, db: Option<&Path>) -> u8 {
    let store = match store_access::open_or_exit(db) {
        Ok(store) => store,
        Err(code) => return code,
    };
    if let Err(e) = store.request_cancel(run_id) {
        output::error_line(&format!("cannot cancel {run_id}: {e}"));
        return exit::FAILURE;
    }
    let deadline = Instant::now() + WAIT;
    loop {
        match store.run(run_id) {
            Ok(info) if !matches!(info.status, RunStatus::Running | RunStatus::Waiting) => break,
            Ok(_) if Instant::now() > deadline => {
                output::error_line(&format!(
                    "asked {run_id} to cancel; it is still winding down"
                ));
                return exit::FAILURE;
            }
            Ok(_) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => {
                output::error_line(&format!("store: {e}"));
                return exit::USAGE;
            }
        }
    }
    let workflow = match store.run_record(run_id).and_then(|r| r.workflow()) {
        Ok(workflow) => workflow,
        Err(e) => {
            output::error_line(&format!("store: {e}"));
            return exit::USAGE;
        }
    };
    let ran = store
        .summary(run_id)
        .map(|summary| crate::runner::Ran {
            summary,
            stopped_by: None,
        })
        .map_err(|e| format!("store: {e}"));
    report_run(&workflow, ran, json, None)
}
