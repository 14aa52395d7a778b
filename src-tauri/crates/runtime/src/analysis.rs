//! Reports on stored runs: one run against its workflow's earlier runs, and
//! a workflow across its runs. The CLI's `report` and the app's analytics
//! views read the same numbers from here.

use braid_analytics::{RunReport, TrendReport};
use braid_model::Validation;
use braid_store::Store;

/// Earlier runs a single-run report compares against (regressions, retry rates).
pub const HISTORY_RUNS: usize = 200;

/// Critical path, where the time went, bottlenecks and priced
/// recommendations of one run, against the runs of the same workflow that
/// started before it.
pub fn run_report(store: &Store, run_id: &str) -> Result<RunReport, String> {
    let e = |e: braid_store::StoreError| format!("store: {e}");
    let record = store.run_record(run_id).map_err(e)?;
    let source = record
        .workflow_source
        .clone()
        .ok_or_else(|| format!("run {run_id} has no stored workflow"))?;
    let Validation::Valid(valid) = braid_model::load(source.as_bytes()) else {
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
    Ok(braid_analytics::analyze_run(&valid, &events, &history))
}

/// Per-step p50/p95/max and trends, success and retry rates, flaky steps
/// and the critical path's stability over the workflow's last `last` runs.
pub fn trend_report(store: &Store, workflow_id: &str, last: usize) -> Result<TrendReport, String> {
    let digests = store
        .workflow_digests(workflow_id, last)
        .map_err(|e| format!("store: {e}"))?;
    if digests.is_empty() {
        return Err(format!(
            "no finished runs of workflow `{workflow_id}` in the store"
        ));
    }
    Ok(braid_analytics::analyze_workflow(&digests))
}
