//! `braid runs [--workflow ID] [--status S] [--limit N] [--json]` and
//! retention: `braid runs --prune (--keep N | --older-than DAYS)`.

use std::path::Path;

use comfy_table::CellAlignment;
use serde_json::json;

use crate::{exit, output, store_access};

pub struct RunsArgs<'a> {
    pub workflow: Option<&'a str>,
    pub status: Option<&'a str>,
    pub limit: usize,
    pub json: bool,
    pub prune: bool,
    pub keep: Option<usize>,
    pub older_than: Option<u64>,
    pub db: Option<&'a Path>,
}

pub fn run(args: RunsArgs) -> u8 {
    let store = match store_access::open_or_exit(args.db) {
        Ok(store) => store,
        Err(code) => return code,
    };
    if args.prune {
        if args.keep.is_none() && args.older_than.is_none() {
            output::error_line("--prune needs --keep N and/or --older-than DAYS");
            return exit::USAGE;
        }
        return match store.prune(args.keep, args.older_than) {
            Ok(removed) => {
                if args.json {
                    println!("{}", json!({ "pruned": removed }));
                } else {
                    println!("pruned {}", output::count(removed, "run"));
                }
                exit::SUCCESS
            }
            Err(e) => {
                output::error_line(&format!("store: {e}"));
                exit::USAGE
            }
        };
    }
    let runs = match store.list_runs(args.workflow, args.status, args.limit) {
        Ok(runs) => runs,
        Err(e) => {
            output::error_line(&format!("store: {e}"));
            return exit::USAGE;
        }
    };
    if args.json {
        let json = serde_json::to_string_pretty(&json!({ "runs": runs })).expect("runs serialise");
        println!("{json}");
        return exit::SUCCESS;
    }
    if runs.is_empty() {
        println!("no runs yet");
        return exit::SUCCESS;
    }
    let mut table = output::table();
    table.set_header(["run", "workflow", "status", "started", "duration"]);
    for run in &runs {
        table.add_row(vec![
            run.run_id.clone(),
            run.workflow_id.clone(),
            run.status.as_str().to_string(),
            run.started_at.clone(),
            output::duration(run.duration_ms),
        ]);
    }
    if let Some(column) = table.column_mut(4) {
        column.set_cell_alignment(CellAlignment::Right);
    }
    println!("{table}");
    exit::SUCCESS
}
