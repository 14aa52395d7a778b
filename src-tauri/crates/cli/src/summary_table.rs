//! The table `braid run` prints when a run ends.

use braid_engine::events::StepStatus;
use braid_engine::run::summary::RunSummary;
use braid_model::model::Workflow;
use comfy_table::{Cell, CellAlignment, Color};

use crate::output;

pub fn render(workflow: &Workflow, summary: &RunSummary) -> String {
    let mut table = output::table();
    table.set_header(["step", "status", "attempts", "duration", "verdict", "note"]);
    for (id, step) in &summary.steps {
        let colour = match step.status {
            StepStatus::Succeeded => Color::Green,
            StepStatus::Skipped | StepStatus::Pending => Color::DarkGrey,
            StepStatus::Cancelled | StepStatus::Interrupted => Color::Yellow,
            _ => Color::Red,
        };
        let verdict = match (step.score, step.approved) {
            (Some(s), Some(a)) => format!("{s} {}", if a { "✓" } else { "✗" }),
            (Some(s), None) => s.to_string(),
            (None, Some(a)) => if a { "approved" } else { "not approved" }.to_string(),
            (None, None) => String::new(),
        };
        let note = match (&step.elements, &step.error) {
            (Some(counts), _) => counts
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect::<Vec<_>>()
                .join(", "),
            (None, Some(e)) => e.chars().take(60).collect(),
            _ => String::new(),
        };
        let name = match workflow
            .steps
            .iter()
            .find(|s| &s.id == id)
            .and_then(|s| s.group.as_ref())
        {
            Some(group) => format!("{group} › {id}"),
            None => id.clone(),
        };
        table.add_row(vec![
            Cell::new(name),
            Cell::new(step.status.as_str()).fg(colour),
            Cell::new(step.attempts),
            Cell::new(output::duration(step.duration_ms)),
            Cell::new(verdict),
            Cell::new(note),
        ]);
    }
    for (i, column) in table.column_iter_mut().enumerate() {
        if i == 2 || i == 3 {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    let groups: Vec<String> = summary
        .groups
        .iter()
        .filter_map(|(id, g)| {
            g.outcome.map(|o| {
                format!(
                    "{id}: {}{}",
                    o.as_str(),
                    g.score.map(|s| format!(" ({s})")).unwrap_or_default()
                )
            })
        })
        .collect();
    let mut out = format!(
        "run {} · {} · {} · {}\n{table}",
        summary.run_id,
        workflow.id,
        summary.status.as_str(),
        output::duration(summary.duration_ms)
    );
    if !groups.is_empty() {
        out.push_str(&format!("\ngroups: {}", groups.join(" · ")));
    }
    out
}
