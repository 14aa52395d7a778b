//! Self-contained HTML reports: inline CSS and SVG, no scripts, no URLs.

use std::fmt::Write;

use super::gantt::{self, BACKOFF, CANCELLED, CRITICAL, FAILED, NORMAL};
use super::markdown::edit_text;
use super::{fmt_change, fmt_count, fmt_ms, fmt_pct};
use crate::analytics::report::{RunReport, Severity, TrendReport, tokens};

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with `backticked` spans as `<code>`.
fn prose(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            out.push_str(&esc(part));
        }
    }
    out
}

const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f7f9; color: #1f2328;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1248px; margin: 0 auto; padding: 28px 24px 48px; }
header h1 { font-size: 24px; margin: 0 0 4px; }
header .sub { color: #57606a; }
h2 { font-size: 17px; margin: 30px 0 10px; }
td code { white-space: nowrap; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eef1f4; padding: 1px 4px; border-radius: 4px; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; vertical-align: 2px; }
.status-succeeded { background: #d3f9d8; color: #2b8a3e; }
.status-failed, .status-blocked, .status-cancelled, .status-interrupted { background: #ffe3e3; color: #c92a2a; }
.status-rejected, .status-needs_work, .status-running { background: #fff3bf; color: #8a6100; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 12px; margin-top: 20px; }
.card { background: #fff; border: 1px solid #d8dee4; border-radius: 8px; padding: 12px 14px; }
.card .k { color: #57606a; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .v { font-size: 22px; font-weight: 650; margin-top: 2px; }
.card .m { color: #6e7781; font-size: 12px; }
.panel { background: #fff; border: 1px solid #d8dee4; border-radius: 8px; padding: 14px 16px; overflow-x: auto; }
.path { font-size: 15px; }
.path .arrow { color: #8c959f; margin: 0 6px; }
.path .via { color: #6e7781; font-size: 12.5px; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
th { font-size: 12px; color: #57606a; font-weight: 600; background: #f6f8fa; white-space: nowrap; }
td.n, th.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.crit td:first-child { box-shadow: inset 3px 0 0 #e8590c; font-weight: 600; }
.sev { display: inline-block; min-width: 58px; text-align: center; padding: 1px 8px; border-radius: 4px; font-size: 12px; font-weight: 600; }
.sev-high { background: #ffe3e3; color: #c92a2a; }
.sev-medium { background: #fff3bf; color: #8a6100; }
.sev-low { background: #e7f5ff; color: #1864ab; }
.kind { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: nowrap; }
.edits { margin: 6px 0 0; padding-left: 18px; color: #57606a; font-size: 12.5px; }
.muted { color: #8c959f; }
.legend { display: flex; flex-wrap: wrap; gap: 16px; margin-top: 10px; color: #57606a; font-size: 12.5px; }
.legend i { display: inline-block; width: 22px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
svg.gantt { display: block; max-width: 100%; height: auto; }
svg.gantt text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg.gantt .label { font-size: 12.5px; fill: #1f2328; }
svg.gantt .label.group { font-weight: 600; fill: #495057; }
svg.gantt .label.crit { font-weight: 700; fill: #c2410c; }
svg.gantt .label.muted, svg.gantt .note { fill: #8c959f; font-size: 12px; }
svg.gantt .tick { font-size: 11px; fill: #6e7781; }
svg.gantt .tick.end { fill: #343a40; font-weight: 600; }
svg.gantt .dur { font-size: 11px; fill: #6e7781; font-variant-numeric: tabular-nums; }
svg.gantt .dur.inside { fill: #fff; font-weight: 600; }
svg.gantt .inbar { font-size: 10px; fill: #fff; font-weight: 700; }
svg.spark { vertical-align: middle; }
footer { margin-top: 32px; color: #8c959f; font-size: 12px; }
"#;

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}\n<footer>Generated by Braid analytics · definitions in docs/analytics.md</footer>\n</main>\n</body>\n</html>\n",
        esc(title)
    )
}

fn card(out: &mut String, key: &str, value: &str, meaning: &str) {
    let _ = write!(
        out,
        r#"<div class="card"><div class="k">{}</div><div class="v">{}</div><div class="m">{}</div></div>"#,
        esc(key),
        esc(value),
        esc(meaning)
    );
}

fn severity(s: Severity) -> String {
    format!(r#"<span class="sev sev-{0}">{0}</span>"#, s.as_str())
}

pub fn run(r: &RunReport) -> String {
    let mut b = String::new();
    let name = r
        .workflow_name
        .clone()
        .unwrap_or_else(|| r.workflow_id.clone());
    let status = r.status.map_or("running", |s| s.as_str());
    let _ = write!(
        b,
        r#"<header><h1>{} <span class="badge status-{status}">{status}</span></h1><div class="sub">workflow <code>{}</code> · run <code>{}</code> · started {} · time scale {}</div></header>"#,
        esc(&name),
        esc(&r.workflow_id),
        esc(&r.run_id),
        esc(&r.started_at),
        r.time_scale
    );

    b.push_str(r#"<section class="cards">"#);
    card(&mut b, "Wall time", &fmt_ms(r.wall_ms), "run start → end");
    card(
        &mut b,
        "Critical path",
        &fmt_ms(r.critical_path.duration_ms),
        &format!(
            "work on the longest chain{}",
            if r.critical_path.queued_ms > 0 {
                format!(", + {} queued", fmt_ms(r.critical_path.queued_ms))
            } else {
                String::new()
            }
        ),
    );
    card(
        &mut b,
        "Sequential",
        &fmt_ms(r.sequential_ms),
        "every attempt, one after another",
    );
    card(
        &mut b,
        "Speedup",
        &format!("{:.2}×", r.speedup),
        "sequential ÷ wall",
    );
    card(
        &mut b,
        "Parallel efficiency",
        &fmt_pct(r.parallel_efficiency),
        &format!(
            "busy ÷ (wall × {} slot{})",
            r.concurrency_available,
            if r.concurrency_available == 1 {
                ""
            } else {
                "s"
            }
        ),
    );
    card(
        &mut b,
        "Overhead",
        &fmt_ms(r.coordination_overhead_ms),
        "coordination: wall not explained by the critical path",
    );
    b.push_str("</section>");

    b.push_str(r#"<h2>Critical path</h2><div class="panel path">"#);
    if r.critical_path.nodes.is_empty() {
        b.push_str(r#"<span class="muted">Nothing ran.</span>"#);
    }
    for (i, n) in r.critical_path.nodes.iter().enumerate() {
        if i > 0 {
            b.push_str(r#"<span class="arrow">→</span>"#);
        }
        let _ = write!(b, "<code>{}</code>", esc(n));
        if let Some(via) = r.critical_path.branches.get(n) {
            let _ = write!(
                b,
                r#" <span class="via">via <code>{}</code></span>"#,
                esc(via)
            );
        }
    }
    let _ = write!(
        b,
        r#"<div class="muted" style="margin-top:6px">{} of work · {} queued · {} overhead</div></div>"#,
        fmt_ms(r.critical_path.duration_ms),
        fmt_ms(r.critical_path.queued_ms),
        fmt_ms(r.coordination_overhead_ms)
    );

    b.push_str(r#"<h2>Timeline</h2><div class="panel">"#);
    b.push_str(&gantt::svg(r));
    let _ = write!(
        b,
        r#"<div class="legend"><span><i style="background:{CRITICAL}"></i>critical path</span><span><i style="background:{NORMAL}"></i>attempt</span><span><i style="background:{FAILED}"></i>failed attempt</span><span><i style="background:{BACKOFF};height:4px;vertical-align:2px"></i>retry backoff</span><span><i style="background:repeating-linear-gradient(45deg,#adb5bd 0 2px,#f1f3f5 2px 5px)"></i>queued (waiting for limits)</span><span><i style="background:{CANCELLED}"></i>cancelled</span><span><i style="border-top:2px dotted #868e96;height:0;border-radius:0"></i>waiting for its group</span></div></div>"#
    );

    b.push_str("<h2>Bottlenecks</h2>");
    if r.bottlenecks.is_empty() {
        b.push_str(r#"<div class="panel muted">None found.</div>"#);
    } else {
        b.push_str(r#"<div class="panel" style="padding:0"><table><thead><tr><th>#</th><th>kind</th><th>node</th><th class="n">impact</th><th>severity</th><th>detail</th></tr></thead><tbody>"#);
        for (i, x) in r.bottlenecks.iter().enumerate() {
            let _ = write!(
                b,
                r#"<tr><td>{}</td><td class="kind">{}</td><td>{}</td><td class="n">{}</td><td>{}</td><td>{}</td></tr>"#,
                i + 1,
                x.kind.as_str(),
                x.node
                    .as_deref()
                    .map_or("—".to_string(), |n| format!("<code>{}</code>", esc(n))),
                fmt_ms(x.impact_ms),
                severity(x.severity),
                prose(&x.message)
            );
        }
        b.push_str("</tbody></table></div>");
    }

    b.push_str("<h2>Recommendations</h2>");
    if r.recommendations.is_empty() {
        b.push_str(
            r#"<div class="panel muted">None: no change the planner could price saves time.</div>"#,
        );
    } else {
        b.push_str(r#"<div class="panel" style="padding:0"><table><thead><tr><th>#</th><th>kind</th><th>nodes</th><th class="n">saves</th><th>what and why</th></tr></thead><tbody>"#);
        for (i, x) in r.recommendations.iter().enumerate() {
            let nodes: Vec<String> = x
                .nodes
                .iter()
                .map(|n| format!("<code>{}</code>", esc(n)))
                .collect();
            // The message without its trailing "Change: …" sentence: the edits list it.
            let message = x.message.split(" Change: ").next().unwrap_or(&x.message);
            let edits: String = x
                .edits
                .iter()
                .map(|e| format!("<li>{}</li>", esc(&edit_text(e))))
                .collect();
            let _ = write!(
                b,
                r#"<tr><td>{}</td><td class="kind">{}</td><td>{}</td><td class="n"><b>{}</b></td><td>{}<ul class="edits">{}</ul></td></tr>"#,
                i + 1,
                x.kind.as_str(),
                nodes.join(" "),
                fmt_ms(x.saves_ms),
                prose(message),
                edits
            );
        }
        b.push_str("</tbody></table></div>");
        if let Some(base) = r.replanned_ms {
            let _ = write!(
                b,
                r#"<p class="muted">Savings are what-ifs: the planner re-plans the edited workflow with this run's measured durations ({} for the workflow as it is).</p>"#,
                fmt_ms(base)
            );
        }
    }

    // A tokens column only when some step reported token usage (llm).
    let with_tokens = r.steps.values().any(|s| tokens(&s.metrics).is_some());
    b.push_str(r#"<h2>Steps</h2><div class="panel" style="padding:0"><table><thead><tr><th>step</th><th>status</th><th class="n">duration</th><th class="n">queued</th><th class="n">exec</th><th class="n">retry</th><th class="n">join wait</th><th class="n">slack</th><th class="n">attempts</th>"#);
    if with_tokens {
        b.push_str(r#"<th class="n">tokens</th>"#);
    }
    b.push_str("</tr></thead><tbody>");
    for (id, s) in &r.steps {
        let name = match &s.group {
            Some(g) => format!(r#"<span class="muted">{} /</span> {}"#, esc(g), esc(id)),
            None => esc(id),
        };
        let token_cell = if with_tokens {
            format!(
                r#"<td class="n">{}</td>"#,
                tokens(&s.metrics).map_or(String::new(), |n| fmt_count(n as usize))
            )
        } else {
            String::new()
        };
        let _ = write!(
            b,
            r#"<tr{}><td>{name}</td><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td>{token_cell}</tr>"#,
            if s.critical { r#" class="crit""# } else { "" },
            s.status.as_str(),
            fmt_ms(s.duration_ms),
            fmt_ms(s.queued_ms),
            fmt_ms(s.exec_ms),
            fmt_ms(s.retry_ms),
            fmt_ms(s.join_wait_ms),
            s.slack_ms.map_or("—".to_string(), fmt_ms),
            s.attempts
        );
    }
    b.push_str("</tbody></table></div>");
    if let Some(total) = tokens(&r.metrics) {
        let _ = write!(
            b,
            r#"<p class="muted">{}</p>"#,
            esc(&super::markdown::token_line(total, &r.metrics))
        );
    }
    page(&format!("{name} — run {}", r.run_id), &b)
}

pub fn trend(r: &TrendReport) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        r#"<header><h1>Trends: {} <span class="badge status-running">{} runs</span></h1><div class="sub">{}</div></header>"#,
        esc(&r.workflow_id),
        fmt_count(r.runs),
        match (&r.first_started_at, &r.last_started_at) {
            (Some(a), Some(z)) => format!("from {} to {}", esc(a), esc(z)),
            _ => "no runs".to_string(),
        }
    );
    let d = &r.duration;
    b.push_str(r#"<section class="cards">"#);
    card(
        &mut b,
        "Success rate",
        &fmt_pct(r.success_rate),
        &r.statuses
            .iter()
            .map(|(k, v)| format!("{k} {}", fmt_count(*v)))
            .collect::<Vec<_>>()
            .join(" · "),
    );
    card(&mut b, "Duration p50", &fmt_ms(d.p50_ms), "median run");
    card(
        &mut b,
        "Duration p95",
        &fmt_ms(d.p95_ms),
        &format!("max {}", fmt_ms(d.max_ms)),
    );
    card(
        &mut b,
        "Trend",
        &fmt_change(d.trend_pct),
        &format!("{} across the window", d.trend),
    );
    card(
        &mut b,
        "Critical path",
        &fmt_pct(r.critical_path.share),
        &format!(
            "runs on the most common path · {} distinct",
            r.critical_path.distinct
        ),
    );
    b.push_str("</section>");

    let _ = write!(
        b,
        r#"<h2>Run duration</h2><div class="panel">{}<div class="muted">last {} runs, oldest first; red dot: slowest, blue: latest</div></div>"#,
        gantt::sparkline(&d.series, 1180.0, 90.0),
        fmt_count(d.series.len())
    );

    b.push_str(r#"<h2>Steps</h2><div class="panel" style="padding:0"><table><thead><tr><th>step</th><th class="n">runs</th><th class="n">p50</th><th class="n">p95</th><th class="n">max</th><th>trend</th><th class="n">success</th><th class="n">retried</th><th>flaky</th><th class="n">critical</th><th>recent durations</th></tr></thead><tbody>"#);
    for (id, s) in &r.steps {
        let _ = write!(
            b,
            r#"<tr><td><code>{}</code></td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td>{} ({})</td><td class="n">{}</td><td class="n">{}</td><td>{}</td><td class="n">{}</td><td>{}</td></tr>"#,
            esc(id),
            fmt_count(s.runs),
            fmt_ms(s.p50_ms),
            fmt_ms(s.p95_ms),
            fmt_ms(s.max_ms),
            s.trend,
            fmt_change(s.trend_pct),
            fmt_pct(s.success_rate),
            fmt_pct(s.retry_rate),
            if s.flaky {
                r#"<span class="sev sev-medium">flaky</span>"#
            } else {
                ""
            },
            fmt_pct(s.critical_share),
            gantt::sparkline(&s.series, 160.0, 26.0)
        );
    }
    b.push_str("</tbody></table></div>");

    let cp = &r.critical_path;
    b.push_str(r#"<h2>Critical path stability</h2><div class="panel path">"#);
    for (i, n) in cp.most_common.iter().enumerate() {
        if i > 0 {
            b.push_str(r#"<span class="arrow">→</span>"#);
        }
        let _ = write!(b, "<code>{}</code>", esc(n));
    }
    let _ = write!(
        b,
        r#"<div class="muted" style="margin-top:6px">{} of runs took exactly this path; {} distinct paths.</div><table style="margin-top:10px"><tbody>"#,
        fmt_pct(cp.share),
        cp.distinct
    );
    for (node, share) in &cp.node_share {
        let _ = write!(
            b,
            r#"<tr><td style="width:220px"><code>{}</code></td><td class="n" style="width:60px">{}</td><td><div style="background:{CRITICAL};opacity:.75;height:10px;border-radius:2px;width:{:.1}%"></div></td></tr>"#,
            esc(node),
            fmt_pct(*share),
            share * 100.0
        );
    }
    b.push_str("</tbody></table></div>");
    page(&format!("{} — trends", r.workflow_id), &b)
}
