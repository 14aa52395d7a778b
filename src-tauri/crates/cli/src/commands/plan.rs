//! `braid plan FILE [--json]`: the schedule a workflow would run.

use std::path::Path;

use braid_engine::plan::{Plan, PlanOptions, plan};
use braid_model::validate::NodeRef;
use braid_model::{ValidWorkflow, Validation};
use comfy_table::{Cell, CellAlignment};

use super::{Loaded, load_file};
use crate::{exit, output};

pub fn run(file: &Path, json: bool, db: Option<&Path>) -> u8 {
    let valid = match load_file(file) {
        Loaded::Unreadable(message) => {
            output::error_line(&message);
            return exit::USAGE;
        }
        Loaded::Checked(Validation::Invalid(diagnostics)) => {
            output::error_line(&format!("{} is invalid; nothing to plan", file.display()));
            for d in &diagnostics {
                output::diagnostic(file, d);
            }
            return exit::FAILURE;
        }
        Loaded::Checked(Validation::Valid(valid)) => valid,
    };
    for d in valid.warnings() {
        output::diagnostic(file, d);
    }
    // Run history, when there is a store: medians of recent successful attempts.
    let store = crate::store_access::open_existing(db);
    let options = match &store {
        Some(store) => PlanOptions {
            history: store.as_ref(),
            ..PlanOptions::default()
        },
        None => PlanOptions::default(),
    };
    let plan = plan(&valid, &options);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&plan).expect("plans serialise")
        );
    } else {
        print_text(&valid, &plan);
    }
    exit::SUCCESS
}

fn print_text(valid: &ValidWorkflow, plan: &Plan) {
    let wf = valid.workflow();
    match &wf.name {
        Some(name) => println!("{} — {name}", wf.id),
        None => println!("{}", wf.id),
    }
    println!(
        "predicted {} · critical path {} ({})",
        output::duration(plan.predicted_ms),
        plan.critical_path.nodes.join(" → "),
        output::duration(plan.critical_path.duration_ms)
    );
    let mut table = output::table();
    table.set_header([
        "level",
        "node",
        "agent",
        "predicted",
        "start",
        "end",
        "source",
        "critical",
    ]);
    let on_path = |id: &str| plan.critical_path.nodes.iter().any(|n| n == id);
    for (level, ids) in plan.levels.iter().enumerate() {
        for id in ids {
            let span = plan.schedule.get(id.as_str());
            let (start, end) = match span {
                Some(s) => (output::duration(s.start_ms), output::duration(s.end_ms)),
                None => ("skipped".to_string(), String::new()),
            };
            let node = valid.node(id).expect("plan names nodes of the workflow");
            let mark = if on_path(id) { "●" } else { "" };
            match valid.graph().graph[node] {
                NodeRef::Step(i) => {
                    let step = &wf.steps[i];
                    let p = &plan.steps[id.as_str()];
                    table.add_row(row([
                        level.to_string(),
                        id.clone(),
                        step.agent.kind().to_string(),
                        output::duration(p.predicted_ms),
                        start,
                        end,
                        source(p.source),
                        mark.into(),
                    ]));
                }
                NodeRef::Group(g) => {
                    let group = &wf.groups[g];
                    let predicted = span
                        .map(|s| output::duration(s.end_ms - s.start_ms))
                        .unwrap_or_default();
                    let rule = match &group.for_each {
                        Some(key) => {
                            format!("map over {key} · {}", group.aggregate.strategy.as_str())
                        }
                        None => format!("group · {}", group.aggregate.strategy.as_str()),
                    };
                    table.add_row(row([
                        level.to_string(),
                        id.clone(),
                        rule,
                        predicted,
                        start,
                        end,
                        String::new(),
                        mark.into(),
                    ]));
                    for branch in valid.branches(g) {
                        let p = &plan.steps[branch.id.as_str()];
                        table.add_row(row([
                            String::new(),
                            format!("  └ {}", branch.id),
                            branch.agent.kind().to_string(),
                            output::duration(p.predicted_ms),
                            String::new(),
                            String::new(),
                            source(p.source),
                            String::new(),
                        ]));
                    }
                }
            }
        }
    }
    for (i, column) in table.column_iter_mut().enumerate() {
        if (3..=5).contains(&i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    println!("{table}");
    for (to, l) in &plan.loops {
        let why = if l.source == "history" {
            "the median of earlier runs"
        } else {
            "no history yet"
        };
        let word = if l.rounds == 1 { "round" } else { "rounds" };
        println!("loop at {to}: {} {word} planned ({why})", l.rounds);
    }
}

fn row(cells: [String; 8]) -> Vec<Cell> {
    cells.into_iter().map(Cell::new).collect()
}

fn source(s: braid_engine::plan::Source) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
