//! `braid run FILE [--input K=V]… [--time-scale F] [--json] [--db PATH]`

use std::path::Path;
use std::sync::Arc;

use braid_engine::agents::shell::workflow_dir_of;
use braid_engine::events::{Event, EventBus, RunStatus};
use braid_engine::model::JsonMap;
use braid_engine::run::driver::{RunRequest, run};
use braid_engine::run::inputs::parse_assignment;
use braid_engine::run::summary::{RunSummary, summarize};
use braid_engine::{ValidWorkflow, Validation};
use tokio_util::sync::CancellationToken;

use super::{Loaded, load_file};
use crate::progress::Progress;
use crate::{exit, output, summary_table};

pub struct RunArgs<'a> {
    pub file: &'a Path,
    pub inputs: &'a [String],
    pub time_scale: f64,
    pub json: bool,
}

pub fn run_command(args: RunArgs) -> u8 {
    let valid = match load_file(args.file) {
        Loaded::Unreadable(message) => {
            output::error_line(&message);
            return exit::USAGE;
        }
        Loaded::Checked(Validation::Invalid(diagnostics)) => {
            output::error_line(&format!(
                "{} is invalid; nothing was run",
                args.file.display()
            ));
            for d in &diagnostics {
                output::diagnostic(args.file, d);
            }
            return exit::FAILURE;
        }
        Loaded::Checked(Validation::Valid(valid)) => Arc::new(*valid),
    };
    if !(args.time_scale.is_finite() && args.time_scale >= 0.0) {
        output::error_line(&format!(
            "--time-scale must be a number ≥ 0, not {}",
            args.time_scale
        ));
        return exit::USAGE;
    }
    let mut inputs = JsonMap::new();
    for text in args.inputs {
        match parse_assignment(text) {
            Some((key, value)) => {
                inputs.insert(key, value);
            }
            None => {
                output::error_line(&format!("--input expects KEY=VALUE, got `{text}`"));
                return exit::USAGE;
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime starts");
    let result = runtime.block_on(execute(
        valid.clone(),
        args.file,
        inputs,
        args.time_scale,
        args.json,
    ));
    match result {
        Err(message) => {
            output::error_line(&message);
            exit::USAGE
        }
        Ok(summary) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&summary).expect("summaries serialise")
                );
            } else {
                println!("{}", summary_table::render(valid.workflow(), &summary));
            }
            if summary.status != RunStatus::Succeeded {
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
                exit::FAILURE
            } else {
                exit::SUCCESS
            }
        }
    }
}

async fn execute(
    valid: Arc<ValidWorkflow>,
    file: &Path,
    inputs: JsonMap,
    time_scale: f64,
    quiet: bool,
) -> Result<RunSummary, String> {
    let bus = EventBus::new();
    let mut record = bus.subscribe();
    let progress = Progress::start(valid.clone(), bus.subscribe(), quiet);
    let cancel = CancellationToken::new();
    let ctrl_c = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel();
            }
        })
    };
    let request = RunRequest {
        valid: valid.clone(),
        run_id: ulid::Ulid::new().to_string(),
        workflow_dir: workflow_dir_of(file),
        inputs,
        time_scale,
        default_concurrency: None,
        durability: None,
        prior: Default::default(),
        resumed: false,
    };
    // Spawned, so the scheduler loop runs on a worker thread, not block_on's.
    let outcome = tokio::spawn(run(request, bus.clone(), cancel))
        .await
        .expect("the run task does not panic");
    ctrl_c.abort();
    drop(bus);
    let mut events: Vec<Event> = Vec::new();
    while let Ok(batch) = record.try_recv() {
        events.extend(batch.iter().cloned());
    }
    progress.finish().await;
    outcome.map_err(|e| format!("{e}; nothing was run"))?;
    Ok(summarize(valid.workflow(), &events))
}
