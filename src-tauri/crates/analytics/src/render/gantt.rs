//! The run as an SVG Gantt chart: one row per step (a group's row, then its
//! branches), every attempt a bar coloured by how it ended, queueing
//! hatched, retry backoff amber, a branch's wait for its group dotted, and
//! the critical path highlighted.

use std::fmt::Write;

use super::{esc, fmt_ms};
use crate::chart;
use crate::report::RunReport;
use crate::timeline::{AttemptEnd, StepSpan};

const WIDTH: f64 = 1200.0;
const LABEL_X: f64 = 14.0;
const X0: f64 = 236.0;
const X1: f64 = WIDTH - 24.0;
const TOP: f64 = 34.0;
const ROW: f64 = 26.0;
const MAX_LANES: usize = 8;

pub const CRITICAL: &str = "#e8590c";
pub const NORMAL: &str = "#4a7fc1";
pub const FAILED: &str = "#d6336c";
pub const CANCELLED: &str = "#adb5bd";
pub const BACKOFF: &str = "#f59f00";

enum Row<'r> {
    Group {
        id: &'r str,
        start: u64,
        end: u64,
        critical: bool,
        outcome: Option<&'r str>,
    },
    Step {
        step: &'r StepSpan,
        branch: bool,
        critical: bool,
        /// A branch's group end (for its join wait).
        group_end: Option<u64>,
    },
    NotRun {
        step: &'r StepSpan,
    },
}

fn rows(r: &RunReport) -> Vec<Row<'_>> {
    let t = &r.timeline;
    let run_end = t.wall_ms;
    // Outer items (phase steps and groups) by when they became ready.
    let mut items: Vec<(u64, usize, Row)> = Vec::new();
    for (i, s) in t.steps.iter().enumerate() {
        if s.group.is_some() || !s.started() {
            continue;
        }
        let ready = s
            .execs
            .iter()
            .filter_map(|e| e.ready_ms())
            .min()
            .unwrap_or(0);
        let critical = r.steps.get(&s.id).is_some_and(|x| x.critical);
        items.push((
            ready,
            i,
            Row::Step {
                step: s,
                branch: false,
                critical,
                group_end: None,
            },
        ));
    }
    for (i, g) in t.groups.iter().enumerate() {
        let Some(start) = g.start_ms else { continue };
        let critical = r.groups.get(&g.id).is_some_and(|x| x.critical);
        items.push((
            start,
            t.steps.len() + i,
            Row::Group {
                id: &g.id,
                start,
                end: g.end_ms.unwrap_or(run_end),
                critical,
                outcome: g.outcome.map(|o| o.as_str()),
            },
        ));
    }
    items.sort_by_key(|(ready, order, _)| (*ready, *order));
    let mut out = Vec::new();
    for (_, _, row) in items {
        if let Row::Group { id, end, .. } = row {
            out.push(row);
            let mut branches: Vec<&StepSpan> = t
                .steps
                .iter()
                .filter(|s| s.group.as_deref() == Some(id) && s.started())
                .collect();
            branches.sort_by_key(|s| s.execs.iter().filter_map(|e| e.first_start_ms()).min());
            for b in branches {
                out.push(Row::Step {
                    step: b,
                    branch: true,
                    critical: r.steps.get(&b.id).is_some_and(|x| x.critical),
                    group_end: Some(end),
                });
            }
        } else {
            out.push(row);
        }
    }
    for s in &t.steps {
        if !s.started() {
            out.push(Row::NotRun { step: s });
        }
    }
    out
}

/// Greedy lanes for a map's overlapping elements.
fn lanes(step: &StepSpan, run_end: u64) -> (Vec<usize>, usize) {
    let mut order: Vec<usize> = (0..step.execs.len()).collect();
    order.sort_by_key(|&i| step.execs[i].ready_ms());
    let mut lane_end: Vec<u64> = Vec::new();
    let mut lane_of = vec![0; step.execs.len()];
    for i in order {
        let e = &step.execs[i];
        let (start, end) = (e.ready_ms().unwrap_or(0), e.finish_ms(run_end));
        let lane = match lane_end.iter().position(|&le| le <= start) {
            Some(l) => l,
            None if lane_end.len() < MAX_LANES => {
                lane_end.push(0);
                lane_end.len() - 1
            }
            None => i % MAX_LANES,
        };
        lane_end[lane] = lane_end[lane].max(end);
        lane_of[i] = lane;
    }
    (lane_of, lane_end.len().max(1))
}

/// Horizontal room per tick label, as in the app's timeline.
const TICK_SPACING_PX: f64 = 90.0;

pub fn svg(r: &RunReport) -> String {
    let t = &r.timeline;
    let run_end = t.wall_ms.max(1);
    // The app's axis: a nice step, the right edge on a whole step.
    let axis = chart::nice_axis(run_end, ((X1 - X0) / TICK_SPACING_PX).max(3.0) as u64);
    let domain = axis.domain_ms;
    let x = |ms: u64| X0 + (ms.min(domain) as f64 / domain as f64) * (X1 - X0);
    let rows = rows(r);
    let heights: Vec<(f64, Vec<usize>, usize)> = rows
        .iter()
        .map(|row| match row {
            Row::Step { step, .. } if step.execs.len() > 1 => {
                let (lane_of, n) = lanes(step, run_end);
                ((n as f64 * 9.0 + 10.0).max(ROW), lane_of, n)
            }
            _ => (ROW, Vec::new(), 1),
        })
        .collect();
    let body: f64 = heights.iter().map(|h| h.0).sum();
    let height = TOP + body + 30.0;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<svg class="gantt" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="Gantt chart of the run">
<defs><pattern id="queued" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f1f3f5"/><line x1="0" y1="0" x2="0" y2="6" stroke="#adb5bd" stroke-width="2.5"/></pattern></defs>"##
    );
    // Row backgrounds (the critical path shaded), then the grid over them.
    let mut y = TOP;
    for (row, (h, _, _)) in rows.iter().zip(&heights) {
        let critical = matches!(
            row,
            Row::Group { critical: true, .. } | Row::Step { critical: true, .. }
        );
        if critical {
            let _ = writeln!(
                s,
                r##"<rect x="0" y="{y:.1}" width="{WIDTH}" height="{h:.1}" fill="#fff4e6"/><rect x="0" y="{y:.1}" width="4" height="{h:.1}" fill="{CRITICAL}"/>"##
            );
        }
        let _ = writeln!(
            s,
            r##"<line x1="0" y1="{:.1}" x2="{WIDTH}" y2="{:.1}" stroke="#eef0f2"/>"##,
            y + h,
            y + h
        );
        y += h;
    }
    // Axis and grid.
    for &tick in &axis.ticks {
        let tx = x(tick);
        let _ = writeln!(
            s,
            r##"<line x1="{tx:.1}" y1="{}" x2="{tx:.1}" y2="{}" stroke="#e9ecef"/><text x="{tx:.1}" y="{}" class="tick" text-anchor="middle">{}</text>"##,
            TOP - 6.0,
            TOP + body,
            TOP - 12.0,
            esc(&chart::tick_label(tick, axis.step_ms))
        );
    }
    let _ = writeln!(
        s,
        r##"<line x1="{:.1}" y1="{}" x2="{:.1}" y2="{}" stroke="#495057" stroke-dasharray="3 3"/><text x="{:.1}" y="{}" class="tick end" text-anchor="end">end {}</text>"##,
        x(run_end),
        TOP - 6.0,
        x(run_end),
        TOP + body,
        x(run_end),
        TOP + body + 16.0,
        esc(&fmt_ms(t.wall_ms))
    );

    let mut y = TOP;
    for (row, (h, lane_of, n_lanes)) in rows.iter().zip(&heights) {
        let mid = y + h / 2.0;
        match row {
            Row::Group {
                id,
                start,
                end,
                critical,
                outcome,
            } => {
                let (x0, x1) = (x(*start), x(*end).max(x(*start) + 2.0));
                let color = if *critical { CRITICAL } else { "#495057" };
                let _ = writeln!(
                    s,
                    r##"<text x="{LABEL_X}" y="{:.1}" class="label group{}">▾ {}</text><g><title>group {} · {} → {} ({}){}</title><rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="6" fill="{color}" rx="1"/><rect x="{x0:.1}" y="{:.1}" width="2" height="12" fill="{color}"/><rect x="{:.1}" y="{:.1}" width="2" height="12" fill="{color}"/></g>"##,
                    mid + 4.0,
                    if *critical { " crit" } else { "" },
                    esc(id),
                    esc(id),
                    fmt_ms(*start),
                    fmt_ms(*end),
                    fmt_ms(end - start),
                    outcome.map_or(String::new(), |o| format!(" · {o}")),
                    mid - 3.0,
                    x1 - x0,
                    mid - 6.0,
                    x1 - 2.0,
                    mid - 6.0,
                );
            }
            Row::NotRun { step } => {
                let _ = writeln!(
                    s,
                    r##"<text x="{LABEL_X}" y="{:.1}" class="label muted">{}{}</text><text x="{X0}" y="{:.1}" class="note">{}</text>"##,
                    mid + 4.0,
                    if step.group.is_some() { "   " } else { "" },
                    esc(&step.id),
                    mid + 4.0,
                    esc(step.status.as_str())
                );
            }
            Row::Step {
                step,
                branch,
                critical,
                group_end,
            } => {
                let label = if step.is_map() {
                    format!("{} ×{}", step.id, step.execs.len())
                } else {
                    step.id.clone()
                };
                let _ = writeln!(
                    s,
                    r##"<text x="{}" y="{:.1}" class="label{}">{}</text>"##,
                    if *branch { LABEL_X + 14.0 } else { LABEL_X },
                    mid + 4.0,
                    if *critical { " crit" } else { "" },
                    esc(&label)
                );
                let lane_h = if *n_lanes > 1 { 7.0 } else { 14.0 };
                for (i, exec) in step.execs.iter().enumerate() {
                    let top = if *n_lanes > 1 {
                        y + 5.0 + lane_of.get(i).copied().unwrap_or(0) as f64 * 9.0
                    } else {
                        mid - 7.0
                    };
                    let bar_mid = top + lane_h / 2.0;
                    let who = match exec.element {
                        Some(e) => format!("{}[{e}]", step.id),
                        None => step.id.clone(),
                    };
                    for (k, a) in exec.attempts.iter().enumerate() {
                        let start = a.start_ms.or(a.end_ms).unwrap_or(run_end);
                        if start > a.queued_ms {
                            let _ = writeln!(
                                s,
                                r##"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{lane_h}" fill="url(#queued)"><title>{} attempt {} queued {} (waiting for limits)</title></rect>"##,
                                x(a.queued_ms),
                                (x(start) - x(a.queued_ms)).max(1.0),
                                esc(&who),
                                a.attempt,
                                fmt_ms(start - a.queued_ms)
                            );
                        }
                        if let Some(st) = a.start_ms {
                            let end = a.end_ms.unwrap_or(run_end);
                            let fill = match a.result {
                                AttemptEnd::Succeeded if *critical => CRITICAL,
                                AttemptEnd::Succeeded => NORMAL,
                                AttemptEnd::Failed | AttemptEnd::TimedOut | AttemptEnd::Blocked => {
                                    FAILED
                                }
                                AttemptEnd::Cancelled | AttemptEnd::Unfinished => CANCELLED,
                            };
                            let w = (x(end) - x(st)).max(1.5);
                            let what = match a.result {
                                AttemptEnd::Succeeded => "succeeded",
                                AttemptEnd::Failed => "failed",
                                AttemptEnd::TimedOut => "timed out",
                                AttemptEnd::Blocked => "blocked",
                                AttemptEnd::Cancelled => "cancelled",
                                AttemptEnd::Unfinished => "unfinished",
                            };
                            let _ = writeln!(
                                s,
                                r##"<rect x="{:.1}" y="{top:.1}" width="{w:.1}" height="{lane_h}" fill="{fill}" rx="2"><title>{} attempt {} {what}: {} → {} ({})</title></rect>"##,
                                x(st),
                                esc(&who),
                                a.attempt,
                                fmt_ms(st),
                                fmt_ms(end),
                                fmt_ms(end.saturating_sub(st))
                            );
                            if exec.attempts.len() > 1 && w > 26.0 && *n_lanes == 1 {
                                let _ = writeln!(
                                    s,
                                    r##"<text x="{:.1}" y="{:.1}" class="inbar">#{}</text>"##,
                                    x(st) + 4.0,
                                    bar_mid + 3.5,
                                    a.attempt
                                );
                            }
                            if a.retried && a.backoff_ms > 0 {
                                let next = exec
                                    .attempts
                                    .get(k + 1)
                                    .map_or(end + a.backoff_ms, |n| n.queued_ms);
                                let _ = writeln!(
                                    s,
                                    r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="4" fill="{BACKOFF}"><title>{} backoff {} before attempt {}</title></rect>"##,
                                    x(end),
                                    bar_mid - 2.0,
                                    (x(next) - x(end)).max(1.0),
                                    esc(&who),
                                    fmt_ms(a.backoff_ms),
                                    a.attempt + 1
                                );
                            }
                        }
                    }
                    if *n_lanes == 1 && step.execs.len() == 1 {
                        if let Some(first) = exec.first_start_ms() {
                            let end = exec.finish_ms(run_end);
                            let text = fmt_ms(end.saturating_sub(first));
                            let after = group_end.filter(|ge| *ge > end).map_or(x(end), &x) + 5.0;
                            let (lx, anchor, class) = if after < X1 - 48.0 {
                                (after, "start", "dur")
                            } else if x(end) - x(first) > 56.0 {
                                (x(end) - 5.0, "end", "dur inside")
                            } else {
                                (x(first) - 5.0, "end", "dur")
                            };
                            let _ = writeln!(
                                s,
                                r##"<text x="{lx:.1}" y="{:.1}" class="{class}" text-anchor="{anchor}">{}</text>"##,
                                bar_mid + 4.0,
                                text
                            );
                        }
                    }
                    if let (Some(ge), false) = (group_end, step.is_map()) {
                        let end = exec.finish_ms(run_end);
                        if *ge > end && exec.started() {
                            let _ = writeln!(
                                s,
                                r##"<line x1="{:.1}" y1="{bar_mid:.1}" x2="{:.1}" y2="{bar_mid:.1}" stroke="#868e96" stroke-width="1.5" stroke-dasharray="1 3"><title>{} waits {} for its group</title></line>"##,
                                x(end) + 1.0,
                                x(*ge),
                                esc(&who),
                                fmt_ms(ge - end)
                            );
                        }
                    }
                }
            }
        }
        y += h;
    }
    s.push_str("</svg>");
    s
}

/// A small line chart of a series (oldest first), min and max marked.
pub fn sparkline(series: &[u64], width: f64, height: f64) -> String {
    if series.is_empty() {
        return String::new();
    }
    // At most a point per 3 px: bucket means of a longer series.
    let limit = ((width / 3.0) as usize).max(2);
    let bucketed: Vec<u64>;
    let series = if series.len() > limit {
        bucketed = (0..limit)
            .map(|b| {
                let lo = b * series.len() / limit;
                let hi = ((b + 1) * series.len() / limit).max(lo + 1);
                series[lo..hi].iter().sum::<u64>() / (hi - lo) as u64
            })
            .collect();
        &bucketed[..]
    } else {
        series
    };
    let min = *series.iter().min().unwrap_or(&0);
    let max = *series.iter().max().unwrap_or(&0);
    // Scaled from zero, as the app draws it.
    let values: Vec<f64> = series.iter().map(|&v| v as f64).collect();
    let coords = chart::spark_points(&values, width, height, 3.0, None);
    let points: Vec<String> = coords
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let px = |i: usize| coords[i].0;
    let py = |i: usize| coords[i].1;
    let last = series.len() - 1;
    let (imax, _) = series
        .iter()
        .enumerate()
        .max_by_key(|(i, v)| (**v, std::cmp::Reverse(*i)))
        .unwrap_or((0, &0));
    format!(
        r##"<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}"><title>{} runs · min {} · max {} · last {}</title><polyline points="{}" fill="none" stroke="{NORMAL}" stroke-width="1.5" stroke-linejoin="round"/><circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{FAILED}"/><circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{NORMAL}"/></svg>"##,
        series.len(),
        fmt_ms(min),
        fmt_ms(max),
        fmt_ms(series[last]),
        points.join(" "),
        px(imax),
        py(imax),
        px(last),
        py(last),
    )
}
