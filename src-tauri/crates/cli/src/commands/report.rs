//! `braid report RUN_ID | --workflow ID [--last N] [--format text|md|json|html] [-o FILE]`
//!
//! One run: critical path, where the time went, bottlenecks and priced
//! recommendations, against the step's own history (earlier runs of the
//! same workflow). Across runs: per-step p50/p95/max and trends, success and
//! retry rates, flaky steps, the critical path's stability.

use std::path::Path;

use braid_engine::Validation;
use braid_engine::analytics::{self, render};
use braid_store::Store;
use clap::ValueEnum;

use crate::{exit, output, store_access};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Md,
    Json,
    Html,
}

/// Earlier runs a single-run report compares against (regressions, retry rates).
const HISTORY_RUNS: usize = 200;

pub struct ReportArgs<'a> {
    pub run_id: Option<&'a str>,
    pub workflow: Option<&'a str>,
    pub last: usize,
    pub format: Format,
    pub output: Option<&'a Path>,
    pub db: Option<&'a Path>,
}

pub fn run(args: ReportArgs) -> u8 {
    let store = match store_access::open(args.db) {
        Ok(store) => store,
        Err(message) => {
            output::error_line(&message);
            return exit::USAGE;
        }
    };
    let rendered = match (args.run_id, args.workflow) {
        (Some(run_id), None) => run_report(&store, run_id, args.format),
        (None, Some(workflow)) => workflow_report(&store, workflow, args.last, args.format),
        _ => Err("give either a RUN_ID or --workflow ID".to_string()),
    };
    let text = match rendered {
        Ok(text) => text,
        Err(message) => {
            output::error_line(&message);
            return exit::USAGE;
        }
    };
    match args.output {
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => {
                output::note(&format!("wrote {}", path.display()));
                exit::SUCCESS
            }
            Err(e) => {
                output::error_line(&format!("cannot write {}: {e}", path.display()));
                exit::USAGE
            }
        },
        None => {
            print!("{text}");
            exit::SUCCESS
        }
    }
}

fn run_report(store: &Store, run_id: &str, format: Format) -> Result<String, String> {
    let e = |e: braid_store::StoreError| format!("store: {e}");
    let record = store.run_record(run_id).map_err(e)?;
    let source = record
        .workflow_source
        .clone()
        .ok_or_else(|| format!("run {run_id} has no stored workflow"))?;
    let Validation::Valid(valid) = braid_engine::load(source.as_bytes()) else {
        return Err(format!(
            "the workflow stored with {run_id} no longer validates"
        ));
    };
    let events = store.run_events(run_id).map_err(e)?;
    let history: Vec<_> = store
        .workflow_digests(&record.run.workflow_id, HISTORY_RUNS)
        .map_err(e)?
        .into_iter()
        .filter(|d| d.run_id != run_id && d.started_at_ms < record.run.started_at_ms)
        .collect();
    let report = analytics::analyze_run(&valid, &events, &history);
    Ok(match format {
        Format::Text => render::text(&report),
        Format::Md => render::markdown(&report),
        Format::Html => render::html(&report),
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&report).expect("reports serialise")
        ),
    })
}

fn workflow_report(
    store: &Store,
    workflow: &str,
    last: usize,
    format: Format,
) -> Result<String, String> {
    let digests = store
        .workflow_digests(workflow, last)
        .map_err(|e| format!("store: {e}"))?;
    if digests.is_empty() {
        return Err(format!(
            "no finished runs of workflow `{workflow}` in the store"
        ));
    }
    let report = analytics::analyze_workflow(&digests);
    Ok(match format {
        Format::Text => render::text(&report),
        Format::Md => render::markdown(&report),
        Format::Html => render::html(&report),
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&report).expect("reports serialise")
        ),
    })
}
