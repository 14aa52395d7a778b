//! Group aggregation: turning branch verdicts into one outcome and score,
//! exactly as the format's aggregation table says.

use crate::model::{Aggregate, Strategy};

pub use crate::model::Outcome;

/// What one branch (or map element) ended with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BranchResult {
    /// Succeeded, with the verdict it reported (if any).
    Succeeded {
        approved: Option<bool>,
        score: Option<f64>,
    },
    /// Failed, timed out, blocked or was cancelled.
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Branch {
    pub result: BranchResult,
    pub required: bool,
    pub weight: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aggregation {
    pub outcome: Outcome,
    /// 0–100; `None` when the group failed before any score could be formed.
    pub score: Option<f64>,
}

impl Aggregation {
    pub fn approved(&self) -> bool {
        self.outcome == Outcome::Approved
    }
}

/// A branch's verdict normalised to `(approved, score)`: only `approved`
/// scores 100 or 0; only `score` is approved at `approve_at`; neither counts
/// as approved with 100.
pub fn verdict(approved: Option<bool>, score: Option<f64>, approve_at: f64) -> (bool, f64) {
    match (approved, score) {
        (Some(a), Some(s)) => (a, s),
        (Some(a), None) => (a, if a { 100.0 } else { 0.0 }),
        (None, Some(s)) => (s >= approve_at, s),
        (None, None) => (true, 100.0),
    }
}

/// Aggregates finished branches (all of them; for `first`, see [`first_winner`]).
pub fn aggregate(rule: &Aggregate, branches: &[Branch]) -> Aggregation {
    let approve_at = rule.approve_at();
    if branches
        .iter()
        .any(|b| b.required && b.result == BranchResult::Failed)
    {
        return Aggregation {
            outcome: Outcome::Failed,
            score: None,
        };
    }
    // Counted branches: everything but failed optional ones.
    let counted: Vec<(bool, f64, f64)> = branches
        .iter()
        .filter_map(|b| match b.result {
            BranchResult::Succeeded { approved, score } => {
                let (a, s) = verdict(approved, score, approve_at);
                Some((a, s, b.weight))
            }
            BranchResult::Failed => None,
        })
        .collect();
    if rule.strategy == Strategy::All {
        let succeeded = counted.len() as f64;
        let score = if branches.is_empty() {
            100.0
        } else {
            succeeded / branches.len() as f64 * 100.0
        };
        return Aggregation {
            outcome: Outcome::Approved,
            score: Some(score),
        };
    }
    if counted.is_empty() {
        // Every branch was optional and failed: nothing to decide on.
        return Aggregation {
            outcome: Outcome::Failed,
            score: None,
        };
    }
    let n = counted.len() as f64;
    let approvals = counted.iter().filter(|c| c.0).count();
    let share = approvals as f64 / n * 100.0;
    let (approved, score) = match rule.strategy {
        Strategy::All => unreachable!("handled above"),
        // Scored by the approved share (revision 2), so `needs_work_at` can
        // tell mixed verdicts (needs work) from none approving (rejected).
        Strategy::Unanimous => (approvals == counted.len(), share),
        Strategy::Majority => (approvals as f64 > n / 2.0, share),
        Strategy::Quorum => (approvals as i64 >= rule.k.unwrap_or(1), share),
        Strategy::Weighted => {
            let total: f64 = counted.iter().map(|c| c.2).sum();
            let mean = if total > 0.0 {
                counted.iter().map(|c| c.1 * c.2).sum::<f64>() / total
            } else {
                0.0
            };
            (mean >= approve_at, mean)
        }
        Strategy::Threshold => {
            let mean = counted.iter().map(|c| c.1).sum::<f64>() / n;
            (mean >= approve_at, mean)
        }
        Strategy::First => {
            // Callers settle `first` with `first_winner`; if they get here every
            // branch finished, and the earliest success in order decides.
            let (a, s, _) = counted[0];
            (a, s)
        }
    };
    Aggregation {
        outcome: decide(rule, approved, score),
        score: Some(round2(score)),
    }
}

/// `first`: the winning branch's verdict is the group's.
pub fn first_winner(rule: &Aggregate, approved: Option<bool>, score: Option<f64>) -> Aggregation {
    let (a, s) = verdict(approved, score, rule.approve_at());
    Aggregation {
        outcome: if a {
            Outcome::Approved
        } else {
            Outcome::Rejected
        },
        score: Some(round2(s)),
    }
}

fn decide(rule: &Aggregate, approved: bool, score: f64) -> Outcome {
    if approved {
        Outcome::Approved
    } else {
        match rule.needs_work_at {
            Some(floor) if score >= floor => Outcome::NeedsWork,
            _ => Outcome::Rejected,
        }
    }
}

/// Scores are reported to two decimals, so 92.6 does not print as 92.60000000000001.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(strategy: Strategy) -> Aggregate {
        Aggregate {
            strategy,
            approve_at: None,
            needs_work_at: None,
            k: None,
        }
    }
    fn ok(score: f64) -> Branch {
        Branch {
            result: BranchResult::Succeeded {
                approved: None,
                score: Some(score),
            },
            required: true,
            weight: 1.0,
        }
    }
    fn yes(approved: bool) -> Branch {
        Branch {
            result: BranchResult::Succeeded {
                approved: Some(approved),
                score: None,
            },
            required: true,
            weight: 1.0,
        }
    }
    fn failed(required: bool) -> Branch {
        Branch {
            result: BranchResult::Failed,
            required,
            weight: 1.0,
        }
    }

    #[test]
    fn verdict_defaults_follow_the_spec() {
        assert_eq!(verdict(Some(true), None, 80.0), (true, 100.0));
        assert_eq!(verdict(Some(false), None, 80.0), (false, 0.0));
        assert_eq!(verdict(None, Some(79.0), 80.0), (false, 79.0));
        assert_eq!(verdict(None, Some(80.0), 80.0), (true, 80.0));
        assert_eq!(verdict(None, None, 80.0), (true, 100.0));
    }

    #[test]
    fn all_is_a_plain_join() {
        let a = aggregate(&rule(Strategy::All), &[yes(false), ok(10.0), failed(false)]);
        assert_eq!(a.outcome, Outcome::Approved);
        assert!((a.score.unwrap() - 66.67).abs() < 0.01);
        assert_eq!(
            aggregate(&rule(Strategy::All), &[yes(true), failed(true)]).outcome,
            Outcome::Failed
        );
    }

    #[test]
    fn a_failed_required_branch_fails_every_strategy() {
        for s in Strategy::ALL {
            let mut r = rule(s);
            r.k = Some(1);
            assert_eq!(
                aggregate(&r, &[yes(true), failed(true)]).outcome,
                Outcome::Failed,
                "{s:?}"
            );
        }
    }

    #[test]
    fn optional_failures_are_left_out() {
        let a = aggregate(&rule(Strategy::Unanimous), &[yes(true), failed(false)]);
        assert_eq!((a.outcome, a.score), (Outcome::Approved, Some(100.0)));
    }

    #[test]
    fn unanimous_majority_quorum() {
        assert_eq!(
            aggregate(&rule(Strategy::Unanimous), &[yes(true), yes(false)]).score,
            Some(50.0)
        );
        let m = aggregate(
            &rule(Strategy::Majority),
            &[yes(true), yes(true), yes(false)],
        );
        assert_eq!(m.outcome, Outcome::Approved);
        assert!((m.score.unwrap() - 66.67).abs() < 0.01);
        assert_eq!(
            aggregate(&rule(Strategy::Majority), &[yes(true), yes(false)]).outcome,
            Outcome::Rejected
        );
        let mut q = rule(Strategy::Quorum);
        q.k = Some(3);
        let four = [yes(true), yes(true), yes(true), yes(false)];
        assert_eq!(aggregate(&q, &four).outcome, Outcome::Approved);
        assert_eq!(aggregate(&q, &four[1..]).outcome, Outcome::Rejected);
    }

    #[test]
    fn weighted_with_needs_work_band() {
        let mut r = rule(Strategy::Weighted);
        r.needs_work_at = Some(60.0);
        let w = |score, weight| Branch {
            weight,
            ..ok(score)
        };
        // 0.3·91 + 0.5·88 + 0.2·97 = 90.7
        let a = aggregate(&r, &[w(91.0, 0.3), w(88.0, 0.5), w(97.0, 0.2)]);
        assert_eq!((a.outcome, a.score), (Outcome::Approved, Some(90.7)));
        assert_eq!(
            aggregate(&r, &[w(70.0, 1.0), w(60.0, 1.0)]).outcome,
            Outcome::NeedsWork
        );
        assert_eq!(
            aggregate(&r, &[w(50.0, 1.0), w(60.0, 1.0)]).outcome,
            Outcome::Rejected
        );
    }

    #[test]
    fn threshold_uses_the_mean() {
        let mut r = rule(Strategy::Threshold);
        r.approve_at = Some(70.0);
        assert_eq!(
            aggregate(&r, &[ok(60.0), ok(80.0)]).outcome,
            Outcome::Approved
        );
        assert_eq!(
            aggregate(&r, &[ok(60.0), ok(79.0)]).outcome,
            Outcome::Rejected
        );
    }

    #[test]
    fn first_takes_the_winners_verdict() {
        let r = rule(Strategy::First);
        assert_eq!(
            first_winner(&r, None, Some(90.0)).outcome,
            Outcome::Approved
        );
        assert_eq!(
            first_winner(&r, Some(false), None).outcome,
            Outcome::Rejected
        );
    }

    #[test]
    fn nothing_counted_is_a_failure() {
        assert_eq!(
            aggregate(&rule(Strategy::Majority), &[failed(false)]).outcome,
            Outcome::Failed
        );
    }
}
