//! One module per subcommand: read the arguments, call the engine, print.

pub mod approve;
pub mod cancel;
pub mod fmt;
pub mod plan;
pub mod report;
pub mod rerun;
pub mod resume;
pub mod run;
pub mod runs;
pub mod secret;
pub mod show;
pub mod validate;

use std::path::Path;

use braid_engine::events::RunStatus;
use braid_model::model::Workflow;
use braid_model::{Validation, load};
use serde_json::Value;

use crate::runner::{Ran, StopSignal};
use crate::{exit, output, summary_table};

/// A workflow file read and validated, or the reason it could not be read.
pub enum Loaded {
    Checked(Validation),
    Unreadable(String),
}

pub fn load_file(path: &Path) -> Loaded {
    match read_file(path) {
        Ok(bytes) => Loaded::Checked(load(&bytes)),
        Err(message) => Loaded::Unreadable(message),
    }
}

pub use braid_runtime::read::read_file;

/// Prints a finished run (table, or `--json` with optional extra keys) and
/// returns the exit status: 0 only when it succeeded.
pub fn report_run(
    workflow: &Workflow,
    result: Result<Ran, String>,
    json: bool,
    extra: Option<(&str, Value)>,
) -> u8 {
    let Ran {
        summary,
        stopped_by,
    } = match result {
        Ok(ran) => ran,
        Err(message) => {
            output::error_line(&message);
            return exit::USAGE;
        }
    };
    if json {
        let mut value = serde_json::to_value(&summary).expect("summaries serialise");
        if let (Some((key, extra)), Value::Object(map)) = (extra, &mut value) {
            map.insert(key.to_string(), extra);
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&value).expect("JSON values serialise")
        );
    } else {
        println!("{}", summary_table::render(workflow, &summary));
    }
    if summary.status == RunStatus::Succeeded {
        exit::SUCCESS
    } else if summary.status == RunStatus::Waiting {
        let steps: Vec<&String> = summary
            .steps
            .iter()
            .filter(|(_, s)| s.status == braid_engine::events::StepStatus::Waiting)
            .map(|(id, _)| id)
            .collect();
        let first = steps.first().map_or("STEP", |s| s.as_str());
        output::error_line(&format!(
            "run {id} is waiting for a decision on {}. Decide with `braid approve {id} {first}` (or --reject); then `braid resume {id}` continues it",
            steps
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            id = summary.run_id,
        ));
        stopped_by.map_or(exit::FAILURE, StopSignal::exit_code)
    } else {
        output::error_line(&format!(
            "run {} ended {}{}",
            summary.run_id,
            summary.status.as_str(),
            summary
                .error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ));
        // Stopped by a signal: say which, as shells do (130 after Ctrl-C).
        stopped_by.map_or(exit::FAILURE, StopSignal::exit_code)
    }
}
