//! Analytics over hand-written event streams, where every number is exact.

use serde_json::json;

use super::*;
use crate::events::{AttemptRef, EventKind, RunStatus, StepStatus};
use crate::model::JsonMap;
use crate::run::aggregate::Outcome;
use crate::validate::{Validation, validate};

fn valid(doc: serde_json::Value) -> ValidWorkflow {
    match validate(serde_json::from_value(doc).unwrap()) {
        Validation::Valid(v) => *v,
        Validation::Invalid(d) => panic!("{d:#?}"),
    }
}

/// Builds an event stream; times are ms after the run starts.
struct Rec {
    events: Vec<(u64, EventKind)>,
}

fn at(step: &str, attempt: u32) -> AttemptRef {
    AttemptRef {
        round: 1,
        step: step.into(),
        element: None,
        attempt,
    }
}

impl Rec {
    fn new(workflow_id: &str) -> Self {
        let mut r = Rec { events: Vec::new() };
        r.push(
            0,
            EventKind::RunStarted {
                run_id: "r1".into(),
                workflow_id: workflow_id.into(),
                inputs: JsonMap::new(),
                time_scale: 1.0,
                concurrency: 4,
            },
        );
        r
    }
    fn push(&mut self, t: u64, kind: EventKind) -> &mut Self {
        self.events.push((t, kind));
        self
    }
    /// One successful attempt: queued, started, ended.
    fn step(&mut self, id: &str, queued: u64, start: u64, end: u64) -> &mut Self {
        self.attempt(id, 1, queued, start, end, true)
    }
    fn attempt(
        &mut self,
        id: &str,
        n: u32,
        queued: u64,
        start: u64,
        end: u64,
        ok: bool,
    ) -> &mut Self {
        self.push(queued, EventKind::StepQueued { at: at(id, n) });
        self.push(start, EventKind::StepStarted { at: at(id, n) });
        self.push(
            end,
            EventKind::AttemptEnded {
                at: at(id, n),
                exit_code: None,
                stdout_tail: String::new(),
                stderr_tail: String::new(),
                duration_ms: end - start,
            },
        );
        if ok {
            self.push(
                end,
                EventKind::StepSucceeded {
                    recommendations: Vec::new(),
                    errors: Vec::new(),
                    at: at(id, n),
                    outputs: JsonMap::new(),
                    score: None,
                    approved: Some(true),
                },
            );
        }
        self
    }
    fn group(&mut self, id: &str, start: u64, end: u64) -> &mut Self {
        self.push(
            start,
            EventKind::GroupStarted {
                round: 1,
                group: id.into(),
                elements: None,
            },
        );
        self.push(
            end,
            EventKind::GroupAggregated {
                round: 1,
                group: id.into(),
                outcome: Outcome::Approved,
                score: Some(100.0),
                approved: true,
            },
        )
    }
    fn finish(&mut self, t: u64) -> Vec<Event> {
        self.push(
            t,
            EventKind::RunFinished {
                status: RunStatus::Succeeded,
                error: None,
            },
        );
        let mut events = std::mem::take(&mut self.events);
        events.sort_by_key(|e| e.0); // stable: same-instant order kept
        events
            .into_iter()
            .enumerate()
            .map(|(i, (t, kind))| Event {
                seq: i as u64,
                at_ms: 5_000_000 + t,
                kind,
            })
            .collect()
    }
}

fn chain() -> ValidWorkflow {
    valid(json!({
        "format": "braid/1", "id": "chain", "limits": { "concurrency": 2 },
        "steps": [
            { "id": "a", "agent": { "kind": "sim", "duration_ms": 100 } },
            { "id": "b", "agent": { "kind": "sim", "duration_ms": 100 } },
            { "id": "c", "agent": { "kind": "sim", "duration_ms": 100 } }
        ],
        "edges": [{ "from": "a", "to": "b" }, { "from": "b", "to": "c" }]
    }))
}

#[test]
fn gaps_between_steps_are_coordination_overhead_over_a_fifth_of_the_path() {
    let wf = chain();
    // 100 ms of dead time after `a` and after `b`.
    let events = Rec::new("chain")
        .step("a", 0, 0, 100)
        .step("b", 200, 200, 300)
        .step("c", 400, 400, 500)
        .finish(500);
    let r = analyze_run(&wf, &events, &[]);
    assert_eq!(r.wall_ms, 500);
    assert_eq!(r.critical_path.nodes, ["a", "b", "c"]);
    assert_eq!(r.critical_path.duration_ms, 300);
    assert_eq!(r.coordination_overhead_ms, 200);
    assert_eq!(r.sequential_ms, 300);
    assert_eq!(r.speedup, 0.6);
    assert_eq!(r.concurrency_available, 1);
    assert_eq!(r.parallel_efficiency, 0.6);
    let b = &r.bottlenecks[0];
    assert_eq!(b.kind, BottleneckKind::CoordinationOverhead);
    assert_eq!(
        (b.impact_ms, b.severity, b.node.clone()),
        (200, Severity::High, None)
    );
    // Every step is critical; slack counts the dead time after it (the next
    // step could have started as soon as it ended, whenever that was).
    assert_eq!(r.steps["a"].slack_ms, Some(200));
    assert_eq!(r.steps["b"].slack_ms, Some(100));
    assert_eq!(r.steps["c"].slack_ms, Some(0));
    assert!(r.steps.values().all(|s| s.critical));
}

#[test]
fn a_tidy_run_has_no_overhead_bottleneck() {
    let events = Rec::new("chain")
        .step("a", 0, 0, 100)
        .step("b", 101, 101, 200)
        .step("c", 201, 201, 300)
        .finish(301);
    let r = analyze_run(&chain(), &events, &[]);
    assert_eq!(r.coordination_overhead_ms, 3);
    assert!(r.bottlenecks.is_empty(), "{:#?}", r.bottlenecks);
    // Nothing in the chain reads what an earlier step writes.
    let pairs: Vec<(RecommendationKind, Vec<String>)> = r
        .recommendations
        .iter()
        .map(|x| (x.kind, x.nodes.clone()))
        .collect();
    assert_eq!(
        pairs,
        [
            (
                RecommendationKind::Parallelize,
                vec!["a".into(), "b".into()]
            ),
            (
                RecommendationKind::Parallelize,
                vec!["b".into(), "c".into()]
            ),
        ]
    );
    assert_eq!(r.recommendations[0].saves_ms, 99);
    assert_eq!(
        r.recommendations[0].edits,
        [
            Edit::RemoveEdge {
                from: "a".into(),
                to: "b".into()
            },
            Edit::AddEdge {
                from: "a".into(),
                to: "c".into(),
                when: None
            }
        ]
    );
}

#[test]
fn a_first_group_counts_through_its_winner_and_has_no_fan_in() {
    let wf = valid(json!({
        "format": "braid/1", "id": "race",
        "steps": [
            { "id": "fast", "group": "race", "agent": { "kind": "sim", "duration_ms": 100 } },
            { "id": "slow", "group": "race", "agent": { "kind": "sim", "duration_ms": 900 } },
            { "id": "after", "agent": { "kind": "sim", "duration_ms": 50 } }
        ],
        "groups": [{ "id": "race", "aggregate": { "strategy": "first" } }],
        "edges": [{ "from": "race", "to": "after" }]
    }));
    let mut rec = Rec::new("race");
    rec.group("race", 0, 100)
        .step("fast", 0, 0, 100)
        .push(0, EventKind::StepQueued { at: at("slow", 1) })
        .push(0, EventKind::StepStarted { at: at("slow", 1) })
        .push(
            102,
            EventKind::StepCancelled {
                round: 1,
                step: "slow".into(),
                element: None,
                attempt: Some(1),
            },
        )
        .step("after", 100, 100, 150);
    let events = rec.finish(150);
    let r = analyze_run(&wf, &events, &[]);
    assert_eq!(r.critical_path.nodes, ["race", "after"]);
    assert_eq!(r.critical_path.branches["race"], "fast");
    assert_eq!(r.steps["slow"].status, StepStatus::Cancelled);
    assert!(
        r.bottlenecks
            .iter()
            .all(|b| b.kind != BottleneckKind::FanIn),
        "{:#?}",
        r.bottlenecks
    );
    assert!(r.steps["fast"].critical && !r.steps["slow"].critical);
}

#[test]
fn a_quorum_group_waiting_past_its_verdict_is_told_to_split() {
    let wf = valid(json!({
        "format": "braid/1", "id": "q", "limits": { "concurrency": 4 },
        "steps": [
            { "id": "a", "group": "votes", "agent": { "kind": "sim", "duration_ms": 100 } },
            { "id": "b", "group": "votes", "agent": { "kind": "sim", "duration_ms": 120 } },
            { "id": "c", "group": "votes", "agent": { "kind": "sim", "duration_ms": 500 } },
            { "id": "next", "agent": { "kind": "sim", "duration_ms": 100 } }
        ],
        "groups": [{ "id": "votes", "aggregate": { "strategy": "quorum", "k": 2 } }],
        "edges": [{ "from": "votes", "to": "next" }]
    }));
    let events = Rec::new("q")
        .group("votes", 0, 500)
        .step("a", 0, 0, 100)
        .step("b", 0, 0, 120)
        .step("c", 0, 0, 500)
        .step("next", 500, 500, 600)
        .finish(600);
    let r = analyze_run(&wf, &events, &[]);
    assert_eq!(r.bottlenecks[0].kind, BottleneckKind::FanIn);
    assert_eq!(r.bottlenecks[0].node.as_deref(), Some("c"));
    assert_eq!(r.bottlenecks[0].impact_ms, 380);
    let split = r
        .recommendations
        .iter()
        .find(|x| x.kind == RecommendationKind::SplitGroup)
        .expect("split");
    assert_eq!(split.nodes, ["votes", "c"]);
    assert_eq!(
        split.edits,
        [Edit::LeaveGroup {
            step: "c".into(),
            group: "votes".into()
        }]
    );
    // votes then ends at 120; next ends at 220, c alone at 500.
    assert_eq!(split.saves_ms, 100);
    assert_eq!(r.replanned_ms, Some(600));
}

#[test]
fn a_resumed_run_leaves_its_downtime_out_and_keeps_what_finished_before() {
    let wf = chain();
    let mut rec = Rec::new("chain");
    rec.step("a", 0, 0, 100)
        .push(100, EventKind::StepQueued { at: at("b", 1) })
        .push(100, EventKind::StepStarted { at: at("b", 1) })
        // The process dies mid-`b`; resumed ten seconds later.
        .push(
            10_050,
            EventKind::RunResumed {
                run_id: "r1".into(),
            },
        )
        .push(
            10_050,
            EventKind::StepReused {
                at: at("a", 1),
                from_run: "r1".into(),
            },
        )
        .push(
            10_050,
            EventKind::StepSucceeded {
                recommendations: Vec::new(),
                errors: Vec::new(),
                at: at("a", 1),
                outputs: JsonMap::new(),
                score: None,
                approved: None,
            },
        )
        .step("b", 10_050, 10_050, 10_150)
        .step("c", 10_150, 10_150, 10_250);
    let events = rec.finish(10_250);
    let r = analyze_run(&wf, &events, &[]);
    assert_eq!(r.timeline.downtime_ms, 9_950);
    assert_eq!(r.wall_ms, 300);
    assert_eq!(r.steps["a"].duration_ms, 100);
    assert_eq!(r.steps["a"].start_ms, Some(0));
    assert_eq!(
        r.steps["b"].attempts, 2,
        "the interrupted attempt and the rerun"
    );
    assert_eq!(r.critical_path.nodes, ["a", "b", "c"]);
    assert_eq!(r.status, Some(RunStatus::Succeeded));
}

#[test]
fn a_reused_step_of_a_rerun_took_no_time() {
    let events = Rec::new("chain")
        .push(
            0,
            EventKind::StepReused {
                at: at("a", 1),
                from_run: "r0".into(),
            },
        )
        .push(
            0,
            EventKind::StepSucceeded {
                recommendations: Vec::new(),
                errors: Vec::new(),
                at: at("a", 1),
                outputs: JsonMap::new(),
                score: None,
                approved: None,
            },
        )
        .step("b", 0, 0, 100)
        .step("c", 100, 100, 200)
        .finish(200);
    let r = analyze_run(&chain(), &events, &[]);
    assert_eq!(r.steps["a"].status, StepStatus::Succeeded);
    assert_eq!((r.steps["a"].duration_ms, r.steps["a"].attempts), (0, 0));
    assert!(r.timeline.steps[0].execs[0].reused);
    assert_eq!(r.critical_path.nodes, ["b", "c"]);
}

#[test]
fn a_retry_is_split_into_failed_attempt_backoff_and_requeue() {
    let mut rec = Rec::new("chain");
    rec.attempt("a", 1, 0, 0, 50, false)
        .push(
            50,
            EventKind::AttemptFailed {
                at: at("a", 1),
                error: "boom".into(),
                timed_out: false,
            },
        )
        .push(
            50,
            EventKind::StepRetrying {
                at: at("a", 1),
                next_attempt: 2,
                delay_ms: 100,
            },
        )
        .attempt("a", 2, 150, 170, 250, true)
        .step("b", 250, 250, 300)
        .step("c", 300, 300, 350);
    let events = rec.finish(350);
    let r = analyze_run(&chain(), &events, &[]);
    let a = &r.steps["a"];
    assert_eq!((a.attempts, a.duration_ms, a.exec_ms), (2, 250, 130));
    assert_eq!((a.retry_ms, a.queued_ms), (150, 20));
    let retries = r
        .bottlenecks
        .iter()
        .find(|b| b.kind == BottleneckKind::Retries)
        .unwrap();
    assert_eq!(retries.impact_ms, 150);
    assert_eq!(retries.retry_rate, None, "no history");
}

#[test]
fn a_step_slower_than_its_history_is_a_regression() {
    let wf = chain();
    let events = Rec::new("chain")
        .step("a", 0, 0, 100)
        .step("b", 100, 100, 400)
        .step("c", 400, 400, 500)
        .finish(500);
    let earlier = |i: usize| {
        let events = Rec::new("chain")
            .step("a", 0, 0, 100)
            .step("b", 100, 100, 200 + i as u64)
            .step("c", 200 + i as u64, 200 + i as u64, 300 + i as u64)
            .finish(300 + i as u64);
        let mut d = digest(&wf, &events);
        d.run_id = format!("old-{i}");
        d
    };
    let few: Vec<RunDigest> = (0..4).map(earlier).collect();
    let r = analyze_run(&wf, &events, &few);
    assert!(
        r.bottlenecks
            .iter()
            .all(|b| b.kind != BottleneckKind::Regression)
    );
    let many: Vec<RunDigest> = (0..20).map(earlier).collect();
    let r = analyze_run(&wf, &events, &many);
    let reg = r
        .bottlenecks
        .iter()
        .find(|b| b.kind == BottleneckKind::Regression)
        .expect("regression");
    assert_eq!(reg.node.as_deref(), Some("b"));
    assert_eq!(reg.p95_ms, Some(118));
    assert_eq!(reg.impact_ms, 300 - 118);
    assert_eq!(r.history_runs, 20);
}

#[test]
fn trends_show_rising_durations_flaky_steps_and_path_stability() {
    let wf = chain();
    let digests: Vec<RunDigest> = (0..10u64)
        .map(|i| {
            let mut rec = Rec::new("chain");
            if i % 3 == 0 {
                rec.attempt("a", 1, 0, 0, 10, false)
                    .push(
                        10,
                        EventKind::AttemptFailed {
                            at: at("a", 1),
                            error: "x".into(),
                            timed_out: false,
                        },
                    )
                    .attempt("a", 2, 10, 10, 100, true);
            } else {
                rec.step("a", 0, 0, 100);
            }
            let b_end = 200 + i * 20;
            rec.step("b", 100, 100, b_end)
                .step("c", b_end, b_end, b_end + 100);
            let events = rec.finish(b_end + 100);
            let mut d = digest(&wf, &events);
            d.run_id = format!("r{i}");
            d.started_at_ms = 1_000 * i;
            d
        })
        .collect();
    let t = analyze_workflow(&digests);
    assert_eq!(t.runs, 10);
    assert_eq!(t.success_rate, 1.0);
    assert_eq!(t.steps["b"].trend, "rising");
    assert_eq!(t.steps["a"].trend, "stable");
    assert_eq!(t.steps["a"].retry_rate, 0.4);
    assert_eq!(t.flaky_steps, ["a"]);
    assert_eq!(t.duration.trend, "rising");
    assert_eq!(t.duration.series.len(), 10);
    assert_eq!(t.critical_path.most_common, ["a", "b", "c"]);
    assert_eq!(t.critical_path.share, 1.0);
    assert_eq!(t.steps["b"].p50_ms, 180);
    assert_eq!(t.steps["b"].max_ms, 280);
    let md = render::markdown(&t);
    assert!(
        md.contains("## Flaky steps") && md.contains("- `a`"),
        "{md}"
    );
}

#[test]
fn edits_apply_to_a_copy_exactly() {
    let wf = chain();
    let edited = apply_edits(
        wf.workflow(),
        &[
            Edit::RemoveEdge {
                from: "a".into(),
                to: "b".into(),
            },
            Edit::AddEdge {
                from: "a".into(),
                to: "c".into(),
                when: None,
            },
            Edit::AddEdge {
                from: "b".into(),
                to: "c".into(),
                when: None,
            },
            Edit::SetLimit {
                resource: "concurrency".into(),
                value: 3,
            },
            Edit::SetTimeout {
                step: "b".into(),
                timeout_s: 1.5,
            },
            Edit::SetBackoff {
                step: "c".into(),
                backoff_ms: 10,
            },
        ],
    );
    let edges: Vec<(&str, &str)> = edited
        .edges
        .iter()
        .map(|e| (e.from.as_str(), e.to.as_str()))
        .collect();
    assert_eq!(edges, [("b", "c"), ("a", "c")], "no duplicate edge");
    assert_eq!(edited.limits["concurrency"], 3);
    assert_eq!(edited.steps[1].timeout_s, Some(1.5));
    assert_eq!(edited.steps[2].retry.as_ref().unwrap().backoff_ms, Some(10));
    assert_eq!(wf.workflow().edges.len(), 2, "the original is untouched");
}

#[test]
fn no_events_and_unfinished_runs_analyse_without_panicking() {
    let wf = chain();
    let r = analyze_run(&wf, &[], &[]);
    assert_eq!((r.wall_ms, r.speedup, r.parallel_efficiency), (0, 0.0, 0.0));
    assert!(r.critical_path.nodes.is_empty());
    let mut rec = Rec::new("chain");
    rec.step("a", 0, 0, 100)
        .push(100, EventKind::StepQueued { at: at("b", 1) })
        .push(100, EventKind::StepStarted { at: at("b", 1) })
        .push(
            150,
            EventKind::OutputLine {
                at: at("b", 1),
                stream: crate::events::Stream::Stdout,
                line: "…".into(),
            },
        );
    let mut events = rec.finish(0);
    events.retain(|e| !matches!(e.kind, EventKind::RunFinished { .. }));
    let r = analyze_run(&wf, &events, &[]);
    assert_eq!(r.status, None);
    assert_eq!(r.wall_ms, 150);
    assert_eq!(r.steps["b"].status, StepStatus::Running);
    assert_eq!(r.steps["b"].duration_ms, 50);
    let html = render::html(&r);
    assert!(html.contains("running"));
}
