//! `braid approve RUN_ID STEP [--reject] [--score N] [--note TEXT] [--json]`:
//! records a person's decision on a waiting `approval` step. Who (the OS
//! user) and when go to the store; the process following the run (a
//! waiting `braid run`, the app, or a later `braid resume`) picks it up and
//! writes it to the context's audit trail. Exit 2 if the step is not
//! waiting, its deadline passed, or the input is bad.

use std::path::Path;

use braid_runtime::Refusal;
use braid_runtime::decide::{Verdict, decide};

use crate::{exit, output, store_access};

pub struct Args<'a> {
    pub run_id: &'a str,
    pub step: &'a str,
    pub reject: bool,
    pub score: Option<f64>,
    pub note: Option<String>,
    pub json: bool,
}

pub fn run(args: Args<'_>, db: Option<&Path>) -> u8 {
    let store = match store_access::open_or_exit(db) {
        Ok(store) => store,
        Err(code) => return code,
    };
    let verdict = Verdict {
        approved: !args.reject,
        score: args.score,
        note: args.note,
    };
    let decided = match decide(&store, args.run_id, args.step, verdict) {
        Ok(decided) => decided,
        Err(Refusal::NotAllowed(message) | Refusal::Usage(message)) => {
            output::error_line(&message);
            return exit::USAGE;
        }
        Err(other) => return crate::refusal::report(&other),
    };
    let d = &decided.decision;
    if args.json {
        let value = serde_json::json!({
            "run_id": decided.request.run_id,
            "step": decided.request.step,
            "element": decided.request.element,
            "rounds": decided.request.rounds,
            "approved": d.approved,
            "score": d.score,
            "note": d.note,
            "by": d.by,
            "decided_at": braid_engine::run::summary::rfc3339(d.at_ms),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).expect("JSON values serialise")
        );
    } else {
        let what = if d.approved { "approved" } else { "rejected" };
        let score = d.score.map(|s| format!(" (score {s})")).unwrap_or_default();
        println!(
            "{what} {} of run {}{score} as {}",
            args.step, decided.request.run_id, d.by
        );
        output::note(&format!(
            "the process following the run continues it; if none does, `braid resume {}`",
            decided.request.run_id
        ));
    }
    exit::SUCCESS
}
