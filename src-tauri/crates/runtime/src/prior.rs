//! What a new or resumed run may take over from an earlier one: the final
//! attempts that succeeded, keyed by step and map element, and the folder
//! its workflow file was in.

use std::collections::{HashMap, HashSet};

use braid_engine::events::{Event, EventKind};
use braid_model::ValidWorkflow;
use braid_model::validate::NodeRef;

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

/// Where a run's loops were when it stopped, read from its events: each
/// loop's round (by the id of its `to`), and the completions that belong
/// to the current round of every loop around them. A completion from an
/// earlier round is not reused: that round's body runs again.
pub struct LoopState {
    pub rounds: HashMap<String, u32>,
    pub current: HashSet<Key>,
}

pub fn loop_state(valid: &ValidWorkflow, events: &[Event]) -> LoopState {
    let loops = valid.loops();
    let wf = valid.workflow();
    // Per loop: the step ids of its body (a group's branches included).
    let body_steps: Vec<HashSet<&str>> = loops
        .iter()
        .map(|l| {
            l.body
                .iter()
                .flat_map(|&n| match valid.graph().graph[n] {
                    NodeRef::Step(s) => vec![wf.steps[s].id.as_str()],
                    NodeRef::Group(g) => valid.branches(g).map(|s| s.id.as_str()).collect(),
                })
                .collect()
        })
        .collect();
    let mut rounds: HashMap<String, u32> = HashMap::new();
    let mut current: HashSet<Key> = HashSet::new();
    for event in events {
        match &event.kind {
            EventKind::StepSucceeded { at, .. }
            | EventKind::StepFailed { at, .. }
            | EventKind::StepTimedOut { at, .. }
            | EventKind::StepBlocked { at, .. } => {
                current.insert((at.step.clone(), at.element));
            }
            EventKind::LoopRound { to, round, .. } => {
                rounds.insert(to.clone(), *round);
                let Some(l) = loops.iter().position(|l| valid.node_id(l.to) == to) else {
                    continue;
                };
                current.retain(|(step, _)| !body_steps[l].contains(step.as_str()));
                // Inner loops start again at round 1.
                for inner in valid.loops_inside(l) {
                    rounds.remove(valid.node_id(loops[inner].to));
                }
            }
            _ => {}
        }
    }
    LoopState { rounds, current }
}
