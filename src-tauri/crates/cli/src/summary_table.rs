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
        let mut note = match (&step.elements, &step.error) {
            (Some(counts), _) => counts
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect::<Vec<_>>()
                .join(", "),
            (None, Some(e)) => e.chars().take(60).collect(),
            _ => String::new(),
        };
        if let Some(rounds) = step.rounds {
            note = join_note(&format!("{rounds} rounds"), &note);
        }
        if !step.recommendations.is_empty() {
            let n = step.recommendations.len();
            let word = if n == 1 {
                "recommendation"
            } else {
                "recommendations"
            };
            note = join_note(&note, &format!("{n} {word}"));
        }
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
    for (to, l) in &summary.loops {
        let why = if l.exhausted {
            " (stopped by max_rounds)"
        } else {
            ""
        };
        out.push_str(&format!("\nloop at {to}: {} rounds{why}", l.rounds));
    }
    let feedback = recommendations(summary);
    if !feedback.is_empty() {
        out.push_str("\nrecommendations:");
        for line in feedback {
            out.push_str(&format!("\n  {line}"));
        }
    }
    out
}

/// Every step's last recommendations, one line each (`step: text`).
pub fn recommendations(summary: &RunSummary) -> Vec<String> {
    summary
        .steps
        .iter()
        .flat_map(|(id, step)| {
            step.recommendations.iter().map(move |r| {
                let text = match r {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                format!("{id}: {}", output::sanitize_line(&text))
            })
        })
        .collect()
}

fn join_note(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a} · {b}"),
    }
}
