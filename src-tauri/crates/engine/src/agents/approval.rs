//! The `approval` agent (format revision 2): a person decides.
//!
//! The attempt registers a pending decision with the run's
//! [`ApprovalDesk`] (the store: so `braid approve` in another process, or
//! the app, can decide it) and polls for the decision. The request is kept
//! across restarts: a resumed run finds its original deadline and any
//! decision made while no process followed the run.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::result::{AgentResult, AttemptOutcome};
use super::{Agent, AgentFuture, Attempt, AttemptReport};
use crate::events::EventKind;
use crate::model::{self, JsonMap};

/// How often a waiting attempt looks for a decision. A person will not
/// notice a quarter of a second; the store answers this in microseconds.
const POLL: Duration = Duration::from_millis(250);

/// Which pending decision: a step (a map element) in one round.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ApprovalKey {
    pub step: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<u32>,
    /// The rounds of the loops around the step, outermost first
    /// (`"1"` outside loops, `"2.1"` in round 1 of an inner loop in round 2).
    pub rounds: String,
}

/// What the person is asked.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRequest {
    pub run_id: String,
    pub key: ApprovalKey,
    /// The prompt with its placeholders filled.
    pub prompt: String,
    /// The `show` keys and their values (absent keys left out).
    pub shown: JsonMap,
    /// The deadline, counted from the first request.
    pub timeout_ms: Option<u64>,
}

/// A person's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Decision {
    pub approved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The OS user who decided.
    pub by: String,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
}

/// The context key an approval step writes its decision to (who, when,
/// approved, score, note): the audit trail of people's decisions.
pub fn decision_key(step: &str) -> String {
    format!("{step}.decision")
}

/// Where pending decisions live and decisions arrive (the store).
pub trait ApprovalDesk: Send + Sync {
    /// Records the request, or finds it from an earlier attempt (keeping
    /// its time and deadline). Returns the deadline, epoch ms.
    fn request(&self, request: &ApprovalRequest) -> Result<Option<u64>, String>;
    /// The decision, once someone made it.
    fn decision(&self, run_id: &str, key: &ApprovalKey) -> Result<Option<Decision>, String>;
}

pub struct ApprovalAgent {
    config: model::ApprovalAgent,
}

impl ApprovalAgent {
    pub fn new(config: model::ApprovalAgent) -> Self {
        Self { config }
    }
}

impl Agent for ApprovalAgent {
    fn run(&self, attempt: Attempt) -> AgentFuture {
        let config = self.config.clone();
        Box::pin(async move {
            let started = Instant::now();
            let outcome = wait_for_decision(&config, &attempt).await;
            AttemptReport::outcome_only(outcome, started.elapsed())
        })
    }
}

async fn wait_for_decision(config: &model::ApprovalAgent, attempt: &Attempt) -> AttemptOutcome {
    let Some(desk) = attempt.run.services.approvals.clone() else {
        return AttemptOutcome::Failed {
            error: "approval steps need a run recorded in a store (braid run, or the app)".into(),
        };
    };
    let prompt = crate::template::substitute(&config.prompt, |name| attempt.text(name));
    let shown: JsonMap = config
        .show
        .iter()
        .filter_map(|k| attempt.inputs.get(k).map(|v| (k.clone(), v.clone())))
        .collect();
    let request = ApprovalRequest {
        run_id: attempt.run.run_id.clone(),
        key: ApprovalKey {
            step: attempt.at.step.clone(),
            element: attempt.at.element,
            rounds: attempt.rounds.clone(),
        },
        prompt: prompt.clone(),
        shown: shown.clone(),
        timeout_ms: attempt.timeout.map(|t| t.as_millis() as u64),
    };
    let deadline = {
        let desk = desk.clone();
        let request = request.clone();
        match tokio::task::spawn_blocking(move || desk.request(&request)).await {
            Ok(Ok(deadline)) => deadline,
            Ok(Err(error)) => return AttemptOutcome::Failed { error },
            Err(error) => {
                return AttemptOutcome::Failed {
                    error: error.to_string(),
                };
            }
        }
    };
    attempt.emit(EventKind::ApprovalRequested {
        at: attempt.at.clone(),
        prompt,
        shown,
        deadline_ms: deadline,
    });
    loop {
        let found = {
            let desk = desk.clone();
            let (run_id, key) = (request.run_id.clone(), request.key.clone());
            tokio::task::spawn_blocking(move || desk.decision(&run_id, &key)).await
        };
        match found {
            Ok(Ok(Some(decision))) => return decided(decision, &attempt.step),
            Ok(Ok(None)) => {}
            Ok(Err(error)) => return AttemptOutcome::Failed { error },
            Err(error) => {
                return AttemptOutcome::Failed {
                    error: error.to_string(),
                };
            }
        }
        let now = crate::events::now_ms();
        if let Some(deadline) = deadline.filter(|&d| now >= d) {
            let late = Duration::from_millis(now.saturating_sub(deadline));
            return AttemptOutcome::TimedOut {
                error: format!(
                    "no decision before the deadline ({} ago)",
                    braid_model::human::duration(late.as_millis() as f64)
                ),
            };
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            () = attempt.cancel.cancelled() => return AttemptOutcome::Cancelled,
        }
    }
}

/// The decision as the step's result: the verdict, and the note as the
/// step's one produced key. As a phase, a rejection fails the step (the
/// machine turns `approved: false` of a phase approval into a failure).
fn decided(decision: Decision, step: &model::Step) -> AttemptOutcome {
    let mut outputs = JsonMap::new();
    // Who decided and when, for the context's audit trail.
    outputs.insert(
        decision_key(&step.id),
        serde_json::to_value(&decision).expect("a decision serialises"),
    );
    if let (Some(key), Some(note)) = (step.produces.first(), &decision.note) {
        outputs.insert(key.clone(), Value::from(note.clone()));
    }
    AttemptOutcome::Succeeded(AgentResult {
        outputs,
        score: decision.score,
        approved: Some(decision.approved),
        ..AgentResult::default()
    })
}

/// A desk whose answer is known in advance: every request is decided at
/// once with the same decision. For runs embedded without a store (library
/// users, tests) that must not wait for a person.
pub struct PresetDesk {
    decision: Decision,
}

impl PresetDesk {
    /// Approves everything, in the name of `by`.
    pub fn approving(by: &str) -> Self {
        Self {
            decision: Decision {
                approved: true,
                score: None,
                note: None,
                by: by.to_string(),
                at_ms: 0,
            },
        }
    }
}

impl ApprovalDesk for PresetDesk {
    fn request(&self, _: &ApprovalRequest) -> Result<Option<u64>, String> {
        Ok(None)
    }
    fn decision(&self, _: &str, _: &ApprovalKey) -> Result<Option<Decision>, String> {
        Ok(Some(self.decision.clone()))
    }
}
