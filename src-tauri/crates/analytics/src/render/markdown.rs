//! Markdown and plain-text reports: the same content, headings and tables
//! in the chosen style.

use super::table::{Style, Table};
use super::{fmt_change, fmt_count, fmt_ms, fmt_pct, spark_text};
use crate::report::{Edit, RunReport, TrendReport, tokens};

fn heading(out: &mut String, style: Style, level: usize, title: &str) {
    match style {
        Style::Markdown => out.push_str(&format!("{} {title}\n\n", "#".repeat(level))),
        Style::Text => {
            let rule = if level == 1 { '═' } else { '─' };
            out.push_str(&format!(
                "{title}\n{}\n",
                rule.to_string().repeat(title.chars().count())
            ));
        }
    }
}

fn code(style: Style, s: &str) -> String {
    match style {
        Style::Markdown => format!("`{s}`"),
        Style::Text => s.to_string(),
    }
}

/// Messages quote ids in backticks; plain text drops them.
fn prose(style: Style, s: &str) -> String {
    match style {
        Style::Markdown => s.to_string(),
        Style::Text => s.replace('`', ""),
    }
}

pub fn edit_text(edit: &Edit) -> String {
    match edit {
        Edit::RemoveEdge { from, to } => format!("remove edge {from} → {to}"),
        Edit::AddEdge { from, to, when } => match when {
            Some(w) => format!("add edge {from} → {to} (when {})", w.as_str()),
            None => format!("add edge {from} → {to}"),
        },
        Edit::SetLimit { resource, value } => format!("limits.{resource} = {value}"),
        Edit::SetMaxConcurrency { group, value } => format!("{group}.max_concurrency = {value}"),
        Edit::SetTimeout { step, timeout_s } => format!("{step}.timeout_s = {timeout_s}"),
        Edit::SetBackoff { step, backoff_ms } => format!("{step}.retry.backoff_ms = {backoff_ms}"),
        Edit::LeaveGroup { step, group } => format!("move {step} out of group {group}"),
    }
}

pub fn run(r: &RunReport, style: Style) -> String {
    let mut out = String::new();
    let title = match &r.workflow_name {
        Some(name) => format!("Run report: {name} ({})", code(style, &r.workflow_id)),
        None => format!("Run report: {}", code(style, &r.workflow_id)),
    };
    heading(&mut out, style, 1, &title);
    out.push_str(&format!(
        "Run {} · {} · started {} · time scale {}\n\n",
        code(style, &r.run_id),
        r.status.map_or("running", |s| s.as_str()),
        r.started_at,
        r.time_scale
    ));

    let mut t = Table::new(&["measure", ">value", "meaning"]);
    let rows = [
        (
            "wall time",
            fmt_ms(r.wall_ms),
            "run start → end".to_string(),
        ),
        (
            "critical path",
            fmt_ms(r.critical_path.duration_ms),
            "work on the longest chain".to_string(),
        ),
        (
            "sequential",
            fmt_ms(r.sequential_ms),
            "every attempt one after another".to_string(),
        ),
        (
            "speedup",
            format!("{:.2}×", r.speedup),
            "sequential ÷ wall".to_string(),
        ),
        (
            "parallel efficiency",
            fmt_pct(r.parallel_efficiency),
            format!(
                "busy ÷ (wall × {} slot{})",
                r.concurrency_available,
                if r.concurrency_available == 1 {
                    ""
                } else {
                    "s"
                }
            ),
        ),
        (
            "coordination overhead",
            fmt_ms(r.coordination_overhead_ms),
            "wall not explained by the critical path".to_string(),
        ),
    ];
    for (k, v, m) in rows {
        t.row(vec![k.to_string(), v, m]);
    }
    out.push_str(&t.render(style));
    out.push('\n');

    heading(&mut out, style, 2, "Critical path");
    let path: Vec<String> = r
        .critical_path
        .nodes
        .iter()
        .map(|n| match r.critical_path.branches.get(n) {
            Some(b) => format!("{} (via {})", code(style, n), code(style, b)),
            None => code(style, n),
        })
        .collect();
    out.push_str(&format!(
        "{}\n\n{} of work, {} queued.\n\n",
        if path.is_empty() {
            "(nothing ran)".to_string()
        } else {
            path.join(" → ")
        },
        fmt_ms(r.critical_path.duration_ms),
        fmt_ms(r.critical_path.queued_ms)
    ));

    heading(&mut out, style, 2, "Bottlenecks");
    if r.bottlenecks.is_empty() {
        out.push_str("None found.\n\n");
    } else {
        let mut t = Table::new(&["#", "kind", "node", ">impact", "severity", "detail"]);
        for (i, b) in r.bottlenecks.iter().enumerate() {
            t.row(vec![
                (i + 1).to_string(),
                b.kind.as_str().to_string(),
                b.node
                    .as_deref()
                    .map_or("—".to_string(), |n| code(style, n)),
                fmt_ms(b.impact_ms),
                b.severity.as_str().to_string(),
                prose(style, &b.message),
            ]);
        }
        out.push_str(&t.render(style));
        out.push('\n');
    }

    heading(&mut out, style, 2, "Recommendations");
    if r.recommendations.is_empty() {
        out.push_str("None: no change the planner could price saves time.\n\n");
    } else {
        let mut t = Table::new(&["#", "kind", "nodes", ">saves", "change"]);
        for (i, rec) in r.recommendations.iter().enumerate() {
            t.row(vec![
                (i + 1).to_string(),
                rec.kind.as_str().to_string(),
                rec.nodes
                    .iter()
                    .map(|n| code(style, n))
                    .collect::<Vec<_>>()
                    .join(", "),
                fmt_ms(rec.saves_ms),
                rec.edits
                    .iter()
                    .map(edit_text)
                    .collect::<Vec<_>>()
                    .join("; "),
            ]);
        }
        out.push_str(&t.render(style));
        out.push('\n');
        for (i, rec) in r.recommendations.iter().enumerate() {
            out.push_str(&format!("{}. {}\n", i + 1, prose(style, &rec.message)));
        }
        out.push('\n');
    }

    feedback(&mut out, r, style);

    heading(&mut out, style, 2, "Steps");
    // A tokens column only when some step reported token usage (llm).
    let with_tokens = r.steps.values().any(|s| tokens(&s.metrics).is_some());
    let mut headers = vec![
        "step",
        "status",
        ">duration",
        ">queued",
        ">exec",
        ">retry",
        ">join wait",
        ">slack",
        ">attempts",
    ];
    if with_tokens {
        headers.push(">tokens");
    }
    headers.push("critical");
    let mut t = Table::new(&headers);
    for (id, s) in &r.steps {
        let name = match &s.group {
            Some(g) => format!("{g} / {id}"),
            None => id.clone(),
        };
        let mut row = vec![name];
        row.extend(super::step_figures(s));
        if with_tokens {
            row.push(tokens(&s.metrics).map_or(String::new(), |n| fmt_count(n as usize)));
        }
        row.push(if s.critical { "★" } else { "" }.to_string());
        t.row(row);
    }
    out.push_str(&t.render(style));
    if let Some(total) = tokens(&r.metrics) {
        out.push_str(&format!("\n{}\n", token_line(total, &r.metrics)));
    }
    out
}

/// What the agents recommended, per round, and how the run's loops went.
fn feedback(out: &mut String, r: &RunReport, style: Style) {
    if r.feedback.is_empty() && r.loops.is_empty() {
        return;
    }
    heading(out, style, 2, "Feedback from the agents");
    for (to, l) in &r.loops {
        let why = if l.exhausted {
            ", stopped by max_rounds"
        } else {
            ""
        };
        out.push_str(&format!(
            "Loop at {}: {} rounds{why}.\n",
            code(style, to),
            l.rounds
        ));
    }
    if !r.loops.is_empty() {
        out.push('\n');
    }
    if r.feedback.is_empty() {
        return;
    }
    let mut t = Table::new(&["step", ">round", "recommendation"]);
    for f in &r.feedback {
        let who = match f.element {
            Some(e) => format!("{}[{e}]", f.step),
            None => f.step.clone(),
        };
        let text: String = f
            .text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        t.row(vec![
            code(style, &who),
            f.round.to_string(),
            prose(style, &text),
        ]);
    }
    out.push_str(&t.render(style));
    out.push('\n');
}

/// `Tokens: 1,234 (prompt 1,000, completion 234)`.
pub fn token_line(total: u64, metrics: &indexmap::IndexMap<String, u64>) -> String {
    let mut line = format!("Tokens: {}", fmt_count(total as usize));
    if let (Some(p), Some(c)) = (
        metrics.get("prompt_tokens"),
        metrics.get("completion_tokens"),
    ) {
        line.push_str(&format!(
            " (prompt {}, completion {})",
            fmt_count(*p as usize),
            fmt_count(*c as usize)
        ));
    }
    line
}

pub fn trend(r: &TrendReport, style: Style) -> String {
    let mut out = String::new();
    heading(
        &mut out,
        style,
        1,
        &format!(
            "Trends: {} — {} runs",
            code(style, &r.workflow_id),
            fmt_count(r.runs)
        ),
    );
    if let (Some(a), Some(b)) = (&r.first_started_at, &r.last_started_at) {
        out.push_str(&format!("From {a} to {b}.\n\n"));
    }
    let statuses: Vec<String> = r
        .statuses
        .iter()
        .map(|(k, v)| format!("{k} {}", fmt_count(*v)))
        .collect();
    let d = &r.duration;
    out.push_str(&format!(
        "Success rate {} ({}).\n\nRun duration: p50 {}, p95 {}, max {}, {} ({}) {}\n\n",
        fmt_pct(r.success_rate),
        statuses.join(", "),
        fmt_ms(d.p50_ms),
        fmt_ms(d.p95_ms),
        fmt_ms(d.max_ms),
        d.trend,
        fmt_change(d.trend_pct),
        spark_text(&d.series)
    ));

    heading(&mut out, style, 2, "Steps");
    let mut t = Table::new(&[
        "step",
        ">runs",
        ">p50",
        ">p95",
        ">max",
        "trend",
        ">success",
        ">retried",
        "flaky",
        ">critical",
        "recent",
    ]);
    for (id, s) in &r.steps {
        t.row(vec![
            code(style, id),
            fmt_count(s.runs),
            fmt_ms(s.p50_ms),
            fmt_ms(s.p95_ms),
            fmt_ms(s.max_ms),
            format!("{} ({})", s.trend, fmt_change(s.trend_pct)),
            fmt_pct(s.success_rate),
            fmt_pct(s.retry_rate),
            if s.flaky { "yes" } else { "" }.to_string(),
            fmt_pct(s.critical_share),
            spark_text(&s.series),
        ]);
    }
    out.push_str(&t.render(style));
    out.push('\n');

    heading(&mut out, style, 2, "Critical path stability");
    let cp = &r.critical_path;
    out.push_str(&format!(
        "Most common: {} — {} of runs; {} distinct path{}.\n\n",
        cp.most_common
            .iter()
            .map(|n| code(style, n))
            .collect::<Vec<_>>()
            .join(" → "),
        fmt_pct(cp.share),
        cp.distinct,
        if cp.distinct == 1 { "" } else { "s" }
    ));
    let mut t = Table::new(&["node", ">on the critical path"]);
    for (node, share) in &cp.node_share {
        t.row(vec![code(style, node), fmt_pct(*share)]);
    }
    out.push_str(&t.render(style));
    out.push('\n');

    heading(&mut out, style, 2, "Flaky steps");
    if r.flaky_steps.is_empty() {
        out.push_str("None.\n");
    } else {
        for id in &r.flaky_steps {
            let s = &r.steps[id];
            out.push_str(&format!(
                "- {}: succeeded {}, retried {} of {} runs\n",
                code(style, id),
                fmt_pct(s.success_rate),
                fmt_pct(s.retry_rate),
                s.runs
            ));
        }
    }
    out
}
