//! What a new or resumed run may take over from an earlier one: the final
//! attempts that succeeded, keyed by step and map element, and the folder
//! its workflow file was in.

use std::collections::HashMap;

use braid_engine::agents::result::AgentResult;
use braid_engine::run::machine::PriorResult;
use std::path::{Path, PathBuf};

use braid_engine::agents::shell::workflow_dir_of;
use braid_store::{AttemptRecord, AttemptStatus, RunRecord};

use crate::Refusal;

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

/// The folder the stored run's workflow file was in (relative paths of its
/// agents resolve against it).
pub fn stored_workflow_dir(record: &RunRecord) -> Result<PathBuf, Refusal> {
    match &record.run.workflow_path {
        Some(path) => Ok(workflow_dir_of(Path::new(path))),
        None => Err(Refusal::Usage(format!(
            "run {} does not record where its workflow file was",
            record.run.run_id
        ))),
    }
}
