//! `braid report RUN_ID | --workflow ID [--last N] [--format text|md|json|html] [-o FILE]`
//!
//! One run: critical path, where the time went, bottlenecks and priced
//! recommendations, against the step's own history (earlier runs of the
//! same workflow). Across runs: per-step p50/p95/max and trends, success and
//! retry rates, flaky steps, the critical path's stability.

use std::path::Path;

use braid_analytics::render::{self, Render};
use braid_runtime::analysis;
use braid_store::Store;
use clap::ValueEnum;
use serde::Serialize;

use crate::{exit, output, store_access};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Md,
    Json,
    Html,
}

pub struct ReportArgs<'a> {
    pub run_id: Option<&'a str>,
    pub workflow: Option<&'a str>,
    pub last: usize,
    pub format: Format,
    pub output: Option<&'a Path>,
    pub db: Option<&'a Path>,
}

pub fn run(args: ReportArgs) -> u8 {
    let store = match store_access::open_or_exit(args.db) {
        Ok(store) => store,
        Err(code) => return code,
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
    Ok(rendered(&analysis::run_report(store, run_id)?, format))
}

fn workflow_report(
    store: &Store,
    workflow: &str,
    last: usize,
    format: Format,
) -> Result<String, String> {
    Ok(rendered(
        &analysis::trend_report(store, workflow, last)?,
        format,
    ))
}

fn rendered<R: Render + Serialize>(report: &R, format: Format) -> String {
    match format {
        Format::Text => render::text(report),
        Format::Md => render::markdown(report),
        Format::Html => render::html(report),
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(report).expect("reports serialise")
        ),
    }
}
