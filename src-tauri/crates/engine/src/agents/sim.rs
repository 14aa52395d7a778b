//! The `sim` agent: sleeps a (jittered) duration on the run's time scale,
//! fails with its `fail_rate`, and returns its configured verdict and
//! outputs. Deterministic: the same seed, step, element and attempt give the
//! same duration and the same success or failure.

use std::time::{Duration, Instant};

use super::result::AgentResult;
use super::{Agent, AgentFuture, Attempt, AttemptReport};
use crate::agents::result::AttemptOutcome;
use crate::model;
use crate::rng::{SplitMix64, stable_hash};

pub struct SimAgent {
    config: model::SimAgent,
}

impl SimAgent {
    pub fn new(config: model::SimAgent) -> Self {
        Self { config }
    }

    /// The simulated duration (unscaled) and whether this attempt fails.
    pub fn draw(&self, step_id: &str, element: Option<u32>, attempt: u32) -> (u64, bool) {
        let c = &self.config;
        let seed = c.seed.unwrap_or(0);
        let mut rng = SplitMix64::from_parts(&[
            seed,
            stable_hash(step_id),
            element.map_or(u64::MAX, u64::from),
            u64::from(attempt),
        ]);
        let base = c.duration_ms.unwrap_or(0) as f64;
        let jitter = c.jitter_ms.unwrap_or(0) as f64 * rng.next_signed();
        let duration = (base + jitter).max(0.0).round() as u64;
        let fails = rng.next_f64() < c.fail_rate.unwrap_or(0.0);
        (duration, fails)
    }
}

impl Agent for SimAgent {
    fn run(&self, attempt: Attempt) -> AgentFuture {
        let (duration_ms, fails) =
            self.draw(&attempt.at.step, attempt.at.element, attempt.at.attempt);
        let scaled =
            Duration::from_secs_f64(duration_ms as f64 * attempt.time_scale.max(0.0) / 1000.0);
        let result = AgentResult {
            outputs: self.config.outputs.clone(),
            score: self.config.score,
            approved: self.config.approved,
            recommendations: self
                .config
                .recommendations
                .iter()
                .map(|r| serde_json::Value::from(r.as_str()))
                .collect(),
            ..AgentResult::default()
        };
        Box::pin(async move {
            let started = Instant::now();
            let outcome = if scaled.is_zero() {
                None
            } else {
                let limit = attempt.timeout.unwrap_or(Duration::MAX);
                tokio::select! {
                    () = tokio::time::sleep(scaled.min(limit)) => {
                        (scaled > limit).then(|| AttemptOutcome::TimedOut {
                            error: format!("timed out after {:.1}s", limit.as_secs_f64()),
                        })
                    }
                    () = attempt.cancel.cancelled() => Some(AttemptOutcome::Cancelled),
                }
            };
            let outcome = outcome.unwrap_or_else(|| {
                if attempt.cancel.is_cancelled() {
                    AttemptOutcome::Cancelled
                } else if fails {
                    AttemptOutcome::Failed {
                        error: "simulated failure (fail_rate)".into(),
                    }
                } else {
                    AttemptOutcome::Succeeded(result)
                }
            });
            AttemptReport::outcome_only(outcome, started.elapsed())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_deterministic_and_within_jitter() {
        let agent = SimAgent::new(model::SimAgent {
            duration_ms: Some(1000),
            jitter_ms: Some(100),
            fail_rate: Some(0.5),
            seed: Some(7),
            ..Default::default()
        });
        let mut failures = 0;
        for attempt in 1..=200 {
            let (d, f) = agent.draw("s", None, attempt);
            assert_eq!((d, f), agent.draw("s", None, attempt));
            assert!((900..=1100).contains(&d));
            failures += u32::from(f);
        }
        assert!(
            (60..140).contains(&failures),
            "fail_rate 0.5 gave {failures}/200"
        );
    }
}
