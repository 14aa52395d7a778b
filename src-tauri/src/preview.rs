//! The inspector's live aggregation preview: example branch verdicts in,
//! the engine's own aggregation out (`braid_engine::run::aggregate`), so the
//! editor never re-implements the aggregation table.

use braid_engine::run::aggregate::{Branch, BranchResult, Outcome, aggregate, first_winner};
use braid_model::model::{Aggregate, Strategy};
use serde::{Deserialize, Serialize};

/// One branch's example result, as the user sets it in the inspector.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct ExampleBranch {
    /// `false`: the branch failed (after its retries).
    pub succeeded: bool,
    pub approved: Option<bool>,
    pub score: Option<f64>,
    pub required: bool,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct AggregatePreview {
    pub outcome: Outcome,
    pub score: Option<f64>,
}

pub fn preview(rule: &Aggregate, branches: &[ExampleBranch]) -> AggregatePreview {
    let result = if rule.strategy == Strategy::First {
        // The first branch (in order) to succeed wins; the others are cancelled.
        match branches.iter().find(|b| b.succeeded) {
            Some(winner) => first_winner(rule, winner.approved, winner.score),
            None => aggregate(rule, &to_engine(branches)),
        }
    } else {
        aggregate(rule, &to_engine(branches))
    };
    AggregatePreview {
        outcome: result.outcome,
        score: result.score,
    }
}

fn to_engine(branches: &[ExampleBranch]) -> Vec<Branch> {
    branches
        .iter()
        .map(|b| Branch {
            result: if b.succeeded {
                BranchResult::Succeeded {
                    approved: b.approved,
                    score: b.score,
                }
            } else {
                BranchResult::Failed
            },
            required: b.required,
            weight: b.weight,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branch(score: f64, weight: f64) -> ExampleBranch {
        ExampleBranch {
            succeeded: true,
            approved: None,
            score: Some(score),
            required: true,
            weight,
        }
    }

    fn rule(strategy: Strategy) -> Aggregate {
        Aggregate {
            strategy,
            approve_at: Some(80.0),
            needs_work_at: Some(60.0),
            k: None,
        }
    }

    #[test]
    fn weighted_mean_decides_between_approved_and_needs_work() {
        let approved = preview(
            &rule(Strategy::Weighted),
            &[branch(91.0, 0.3), branch(88.0, 0.5)],
        );
        assert_eq!(approved.outcome, Outcome::Approved);
        let needs_work = preview(
            &rule(Strategy::Weighted),
            &[branch(70.0, 1.0), branch(65.0, 1.0)],
        );
        assert_eq!(needs_work.outcome, Outcome::NeedsWork);
        assert_eq!(needs_work.score, Some(67.5));
    }

    #[test]
    fn a_failed_required_branch_fails_the_group() {
        let mut failed = branch(0.0, 1.0);
        failed.succeeded = false;
        let result = preview(&rule(Strategy::Majority), &[branch(90.0, 1.0), failed]);
        assert_eq!(result.outcome, Outcome::Failed);
    }

    #[test]
    fn first_takes_the_first_success() {
        let mut failed = branch(0.0, 1.0);
        failed.succeeded = false;
        failed.required = false;
        let result = preview(&rule(Strategy::First), &[failed, branch(50.0, 1.0)]);
        assert_eq!(result.outcome, Outcome::Rejected);
        assert_eq!(result.score, Some(50.0));
    }
}
