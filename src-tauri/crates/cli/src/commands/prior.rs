//! What a new or resumed run may take over from an earlier one: the final
//! attempts that succeeded, keyed by step and map element.

use std::collections::HashMap;

use braid_engine::agents::result::AgentResult;
use braid_engine::run::machine::PriorResult;
use braid_store::{AttemptRecord, AttemptStatus};

pub type Key = (String, Option<u32>);

/// The last attempt of every execution (step, element) of a run.
pub fn last_attempts(attempts: &[AttemptRecord]) -> HashMap<Key, &AttemptRecord> {
    let mut last: HashMap<Key, &AttemptRecord> = HashMap::new();
    for a in attempts {
        let key = (a.step.clone(), a.element);
        if last.get(&key).is_none_or(|b| a.attempt >= b.attempt) {
            last.insert(key, a);
        }
    }
    last
}

/// A succeeded (or earlier reused) attempt as a result to replay.
pub fn succeeded(a: &AttemptRecord) -> Option<PriorResult> {
    matches!(a.status, AttemptStatus::Succeeded | AttemptStatus::Reused).then(|| {
        PriorResult::Succeeded {
            result: AgentResult {
                outputs: a.outputs.clone().unwrap_or_default(),
                score: a.score,
                approved: a.approved,
                ..AgentResult::default()
            },
            attempts: a.attempt,
        }
    })
}
