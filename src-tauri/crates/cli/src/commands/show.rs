//! `braid show RUN_ID [--json]`: one run — steps, attempts, groups, the
//! context's audit trail, sub-workflow runs, and (with `--json`) the raw
//! event stream.

use std::path::Path;

use braid_store::Store;
use serde_json::Value;

use crate::{exit, output, store_access, summary_table};

pub fn run(run_id: &str, json: bool, db: Option<&Path>) -> u8 {
    let store = match store_access::open_or_exit(db) {
        Ok(store) => store,
        Err(code) => return code,
    };
    match show(&store, run_id, json) {
        Ok(()) => exit::SUCCESS,
        Err(message) => {
            output::error_line(&message);
            exit::USAGE
        }
    }
}

fn show(store: &Store, run_id: &str, json: bool) -> Result<(), String> {
    let e = |e: braid_store::StoreError| format!("store: {e}");
    let record = store.run_record(run_id).map_err(e)?;
    let workflow = record.workflow().map_err(e)?;
    let summary = store.summary(run_id).map_err(e)?;
    let attempts = store.attempts(run_id).map_err(e)?;
    let writes = store.context_writes(run_id).map_err(e)?;
    let sub_runs = store.sub_runs(run_id).map_err(e)?;
    if json {
        let events = store.run_events(run_id).map_err(e)?;
        let mut value = serde_json::to_value(&summary).expect("summaries serialise");
        if let Value::Object(map) = &mut value {
            map.insert(
                "attempts".into(),
                serde_json::to_value(&attempts).expect("rows serialise"),
            );
            map.insert(
                "context_writes".into(),
                serde_json::to_value(&writes).expect("rows serialise"),
            );
            map.insert(
                "events".into(),
                serde_json::to_value(&events).expect("events serialise"),
            );
            if let Some(parent) = &record.run.parent_run_id {
                map.insert("parent_run_id".into(), Value::String(parent.clone()));
            }
            if !sub_runs.is_empty() {
                map.insert(
                    "sub_runs".into(),
                    serde_json::to_value(&sub_runs).expect("rows serialise"),
                );
            }
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&value).expect("JSON values serialise")
        );
        return Ok(());
    }
    println!("{}", summary_table::render(&workflow, &summary));
    if let Some(error) = &summary.error {
        println!("error: {error}");
    }

    let mut table = output::table();
    table.set_header(["attempt", "status", "queued", "ran", "exit", "error"]);
    for a in &attempts {
        let name = match a.element {
            Some(el) => format!("{}[{el}] #{}", a.step, a.attempt),
            None => format!("{} #{}", a.step, a.attempt),
        };
        let queued = match (a.queued_at_ms, a.started_at_ms) {
            (Some(q), Some(s)) => output::duration(s.saturating_sub(q)),
            _ => String::new(),
        };
        table.add_row(vec![
            name,
            a.status.as_str().to_string(),
            queued,
            a.duration_ms.map(output::duration).unwrap_or_default(),
            a.exit_code.map(|c| c.to_string()).unwrap_or_default(),
            a.error
                .clone()
                .unwrap_or_default()
                .chars()
                .take(60)
                .collect(),
        ]);
    }
    println!("\nattempts\n{table}");

    let started = record.run.started_at_ms;
    let mut audit = output::table();
    audit.set_header(["at", "writer", "key", "old → new"]);
    for w in &writes {
        let old = w.old.as_ref().map_or("∅".to_string(), short);
        audit.add_row(vec![
            format!("+{}", output::duration(w.at_ms.saturating_sub(started))),
            w.writer.clone(),
            w.key.clone(),
            format!("{old} → {}", short(&w.new)),
        ]);
    }
    println!("\ncontext writes\n{audit}");
    if let Some(parent) = &record.run.parent_run_id {
        println!("\nsub-run of {parent}");
    }
    if !sub_runs.is_empty() {
        println!("\nsub-runs");
        for sub in &sub_runs {
            println!(
                "  {}  {}  {}",
                sub.run_id,
                sub.workflow_id,
                sub.status.as_str()
            );
        }
    }
    Ok(())
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 48 {
        format!("{}…", text.chars().take(47).collect::<String>())
    } else {
        text
    }
}
