//! A person's decision on a waiting `approval` step, recorded the same way
//! from `braid approve` and the app: checked (score, note, the step really
//! waits, its deadline), stamped with who (the OS user) and when, and
//! written to the store, where the process following the run picks it up.

use braid_engine::agents::approval::Decision;
use braid_engine::events::now_ms;
use braid_store::{PendingDecision, Store};

use crate::Refusal;
use crate::refusal::store_error;

/// The longest note a person may attach (it goes to the context and reports).
pub const MAX_NOTE_CHARS: usize = 10_000;

/// What the person decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub approved: bool,
    pub score: Option<f64>,
    pub note: Option<String>,
}

/// The decision as recorded, and the request it answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    pub request: PendingDecision,
    pub decision: Decision,
}

/// `STEP` or `STEP#INDEX` (a map element).
pub fn parse_step(spec: &str) -> Result<(String, Option<u32>), Refusal> {
    match spec.split_once('#') {
        None => Ok((spec.to_string(), None)),
        Some((step, index)) => index
            .parse::<u32>()
            .map(|i| (step.to_string(), Some(i)))
            .map_err(|_| {
                Refusal::Usage(format!(
                    "`{spec}`: a map element is STEP#INDEX with INDEX a number"
                ))
            }),
    }
}

/// Checks a verdict before anything is recorded: a score 0–100, a note of
/// printable text (newlines and tabs allowed; control characters could
/// rewrite a terminal that shows it).
pub fn check(verdict: &Verdict) -> Result<(), Refusal> {
    if let Some(score) = verdict.score {
        if !(score.is_finite() && (0.0..=100.0).contains(&score)) {
            return Err(Refusal::Usage(format!(
                "--score {score}: a score runs from 0 to 100"
            )));
        }
    }
    if let Some(note) = &verdict.note {
        if let Some(c) = note
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        {
            return Err(Refusal::Usage(format!(
                "--note contains a control character (U+{:04X}); write plain text",
                c as u32
            )));
        }
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(Refusal::Usage(format!(
                "--note is longer than {MAX_NOTE_CHARS} characters"
            )));
        }
    }
    Ok(())
}

/// Records `verdict` on the waiting request of `step` in run `run_id`.
/// `Refusal::NotAllowed` when the run does not wait for that step (or the
/// deadline passed, or someone decided first).
pub fn decide(
    store: &Store,
    run_id: &str,
    step: &str,
    verdict: Verdict,
) -> Result<Decided, Refusal> {
    check(&verdict)?;
    let (step, element) = parse_step(step)?;
    let decision = Decision {
        approved: verdict.approved,
        score: verdict.score,
        note: verdict.note.filter(|n| !n.trim().is_empty()),
        by: current_user(),
        at_ms: now_ms(),
    };
    match store
        .decide(run_id, &step, element, &decision)
        .map_err(store_error)?
    {
        Ok(request) => Ok(Decided { request, decision }),
        Err(braid_store::NotDecidable::NoRun) => {
            Err(Refusal::Usage(format!("no run `{run_id}` in the store")))
        }
        Err(why) => Err(Refusal::NotAllowed(format!(
            "cannot decide `{}` of run {run_id}: {why}",
            match element {
                Some(e) => format!("{step}#{e}"),
                None => step.clone(),
            }
        ))),
    }
}

/// Who is deciding: the OS user's login name (the environment can lie, the
/// password database is what the OS says), else `$USER`, else the uid.
pub fn current_user() -> String {
    let uid = nix::unistd::getuid();
    match nix::unistd::User::from_uid(uid) {
        Ok(Some(user)) => user.name,
        _ => std::env::var("USER").unwrap_or_else(|_| format!("uid {uid}")),
    }
}
