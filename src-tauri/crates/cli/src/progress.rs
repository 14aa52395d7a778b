//! Live progress of a run on stderr, drawn only from the event stream: a
//! bar for the whole run and a line per running step with its elapsed time
//! and attempt (indicatif, on a terminal), or one plain line per change
//! when stderr is not a terminal (CI logs).

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use braid_engine::bus::EventBatch;
use braid_engine::events::{AttemptRef, EventKind};
use braid_model::ValidWorkflow;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;

const OK: Style = AnsiColor::Green.on_default().bold();
const BAD: Style = AnsiColor::Red.on_default().bold();
const SKIP: Style = AnsiColor::BrightBlack.on_default();
const WARN: Style = AnsiColor::Yellow.on_default().bold();

pub struct Progress {
    task: JoinHandle<()>,
}

impl Progress {
    /// Starts drawing on stderr (stdout stays for results, `--json` included).
    pub fn start(valid: Arc<ValidWorkflow>, events: UnboundedReceiver<EventBatch>) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let task = tokio::spawn(async move {
            if terminal {
                draw_bars(valid, events).await;
            } else {
                draw_lines(events).await;
            }
        });
        Self { task }
    }

    /// Waits for the drawing to finish (the event stream has ended).
    /// The task drawing it; it ends when the event stream does.
    pub fn task(self) -> tokio::task::JoinHandle<()> {
        self.task
    }
}

fn label(at: &AttemptRef) -> String {
    let round = if at.round > 1 {
        format!(" · round {}", at.round)
    } else {
        String::new()
    };
    match at.element {
        Some(e) => format!("{}[{e}]{round}", at.step),
        None => format!("{}{round}", at.step),
    }
}

/// Attempt numbers count on across a loop's rounds; the round says it there.
fn attempt_note(at: &AttemptRef) -> String {
    if at.attempt > 1 && at.round == 1 {
        format!(" (attempt {})", at.attempt)
    } else {
        String::new()
    }
}

async fn draw_bars(valid: Arc<ValidWorkflow>, mut events: UnboundedReceiver<EventBatch>) {
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(15));
    // NO_COLOR (https://no-color.org): the same bars and lines, uncoloured.
    let colour = crate::output::colour_on(&std::io::stderr());
    let shown = |line: String| {
        if colour {
            line
        } else {
            anstream::adapter::strip_str(&line).to_string()
        }
    };
    let total = valid.workflow().steps.len() as u64;
    let overall = multi.add(ProgressBar::new(total));
    overall.set_style(
        ProgressStyle::with_template(if colour {
            "{spinner:.cyan} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} steps {msg}"
        } else {
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} steps {msg}"
        })
        .expect("valid template")
        .progress_chars("█▉▊▋▌▍▎▏ "),
    );
    overall.enable_steady_tick(Duration::from_millis(120));
    let line_style = ProgressStyle::with_template(if colour {
        "  {spinner:.yellow} {msg} {elapsed:>4}"
    } else {
        "  {spinner} {msg} {elapsed:>4}"
    })
    .expect("valid template");
    let mut running: HashMap<(String, Option<u32>), ProgressBar> = HashMap::new();
    let mut finished_steps: HashSet<String> = HashSet::new();
    let mut finish_step = |overall: &ProgressBar, step: &str| {
        if finished_steps.insert(step.to_string()) {
            overall.inc(1);
        }
    };
    while let Some(batch) = events.recv().await {
        for event in batch.iter() {
            match &event.kind {
                EventKind::StepStarted { at } => {
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(line_style.clone());
                    bar.set_message(format!("{}{}", label(at), attempt_note(at)));
                    bar.enable_steady_tick(Duration::from_millis(120));
                    if let Some(old) = running.insert((at.step.clone(), at.element), bar) {
                        old.finish_and_clear();
                    }
                }
                EventKind::StepRetrying {
                    at,
                    next_attempt,
                    delay_ms,
                } => {
                    if let Some(bar) = running.remove(&(at.step.clone(), at.element)) {
                        bar.finish_and_clear();
                    }
                    let _ = multi.println(shown(format!(
                        "  {WARN}↻{WARN:#} {} failed; attempt {next_attempt} in {}",
                        label(at),
                        crate::output::duration(*delay_ms)
                    )));
                }
                EventKind::StepSucceeded { at, .. }
                | EventKind::StepFailed { at, .. }
                | EventKind::StepTimedOut { at, .. }
                | EventKind::StepBlocked { at, .. } => {
                    if let Some(bar) = running.remove(&(at.step.clone(), at.element)) {
                        bar.finish_and_clear();
                    }
                    let _ = multi.println(shown(outcome_line(&event.kind)));
                    if at.element.is_none() {
                        finish_step(&overall, &at.step);
                    }
                }
                EventKind::StepSkipped { step, .. } => {
                    let _ = multi.println(shown(format!("  {SKIP}○ {step} skipped{SKIP:#}")));
                    finish_step(&overall, step);
                }
                EventKind::StepCancelled { step, element, .. } => {
                    if let Some(bar) = running.remove(&(step.clone(), *element)) {
                        bar.finish_and_clear();
                    }
                    if element.is_none() {
                        finish_step(&overall, step);
                    }
                }
                EventKind::GroupAggregated {
                    group,
                    outcome,
                    score,
                    ..
                } => {
                    let score = score.map(|s| format!(" score {s}")).unwrap_or_default();
                    let _ = multi.println(format!("  ◆ {group}: {}{score}", outcome.as_str()));
                    // A map branch counts once, when its group decides.
                    if let Some(g) = valid.workflow().groups.iter().position(|g| &g.id == group) {
                        if valid.workflow().groups[g].for_each.is_some() {
                            for branch in valid.branches(g) {
                                finish_step(&overall, &branch.id);
                            }
                        }
                    }
                }
                EventKind::RunFinished { status, .. } => {
                    overall.set_message(status.as_str().to_string());
                    overall.finish();
                }
                other => {
                    if let Some(line) = flow_line(other) {
                        let _ = multi.println(format!("  {line}"));
                    }
                }
            }
        }
    }
    for bar in running.into_values() {
        bar.finish_and_clear();
    }
}

fn outcome_line(kind: &EventKind) -> String {
    match kind {
        EventKind::StepSucceeded { at, score, .. } => {
            let score = score.map(|s| format!(" (score {s})")).unwrap_or_default();
            format!("  {OK}✓{OK:#} {}{score}", label(at))
        }
        EventKind::StepFailed { at, error } => {
            format!("  {BAD}✗{BAD:#} {} failed: {error}", label(at))
        }
        EventKind::StepTimedOut { at, error } => format!("  {BAD}⏱{BAD:#} {} {error}", label(at)),
        EventKind::StepBlocked { at, error, .. } => {
            format!("  {BAD}■{BAD:#} {} blocked: {error}", label(at))
        }
        _ => String::new(),
    }
}

/// Lines about loops and people, the same in both renderers.
fn flow_line(kind: &EventKind) -> Option<String> {
    Some(match kind {
        EventKind::LoopRound { to, from, round } => {
            format!("loop      {from} → {to}: round {round}")
        }
        EventKind::LoopExhausted { to, from, rounds } => {
            format!("loop      {from} → {to}: stopped after {rounds} rounds (max_rounds)")
        }
        EventKind::ApprovalRequested { at, prompt, .. } => {
            format!("waiting   {} for a person: {prompt}", label(at))
        }
        _ => return None,
    })
}

/// Not a terminal: one line per change, no colour, no redraws.
async fn draw_lines(mut events: UnboundedReceiver<EventBatch>) {
    while let Some(batch) = events.recv().await {
        for event in batch.iter() {
            let line = match &event.kind {
                EventKind::StepStarted { at } => {
                    format!("started   {}{}", label(at), attempt_note(at))
                }
                EventKind::StepRetrying {
                    at,
                    next_attempt,
                    delay_ms,
                } => {
                    format!(
                        "retrying  {} (attempt {next_attempt} in {delay_ms}ms)",
                        label(at)
                    )
                }
                EventKind::StepSucceeded { .. }
                | EventKind::StepFailed { .. }
                | EventKind::StepTimedOut { .. }
                | EventKind::StepBlocked { .. } => {
                    outcome_line(&event.kind).trim_start().to_string()
                }
                EventKind::StepSkipped { step, .. } => format!("skipped   {step}"),
                EventKind::StepCancelled { step, element, .. } => match element {
                    Some(e) => format!("cancelled {step}[{e}]"),
                    None => format!("cancelled {step}"),
                },
                EventKind::GroupAggregated {
                    group,
                    outcome,
                    score,
                    ..
                } => {
                    format!(
                        "group     {group}: {}{}",
                        outcome.as_str(),
                        score.map(|s| format!(" score {s}")).unwrap_or_default()
                    )
                }
                EventKind::RunFinished { status, .. } => format!("finished  {}", status.as_str()),
                other => match flow_line(other) {
                    Some(line) => line,
                    None => continue,
                },
            };
            anstream::eprintln!("{line}");
        }
    }
}
