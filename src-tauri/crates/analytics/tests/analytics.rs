//! Analytics over real recorded runs: workflows with planted bottlenecks
//! (sim agents with fixed durations, so the true critical path and the true
//! saving of each change are known by construction) run through the real
//! driver; the report must name the planted bottleneck first, the critical
//! path exactly, and price each recommendation within 10 % of what running
//! the changed workflow really saves.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use braid_analytics::{
    AnalyzeOptions, BottleneckKind, RecommendationKind, RunDigest, RunReport, StepDigest, render,
};
use braid_engine::bus::EventBus;
use braid_engine::events::{Event, RunStatus, StepStatus};
use braid_engine::run::driver::{RunRequest, run};
use braid_model::model::{JsonMap, Workflow};
use braid_model::validate::{ValidWorkflow, Validation, validate};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

fn workflows_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../workflows")
        .canonicalize()
        .unwrap()
}

fn valid(workflow: Workflow) -> ValidWorkflow {
    match validate(workflow) {
        Validation::Valid(v) => *v,
        Validation::Invalid(d) => panic!("invalid: {d:#?}"),
    }
}

fn load(file: &str) -> ValidWorkflow {
    let bytes = std::fs::read(workflows_dir().join(file)).unwrap();
    valid(braid_model::parse::parse_workflow(&bytes).unwrap())
}

fn from_json(doc: Value) -> ValidWorkflow {
    valid(serde_json::from_value(doc).unwrap())
}

/// Runs a workflow with the real driver and returns every event it emitted.
async fn record(valid: &ValidWorkflow, inputs: Value, time_scale: f64) -> Vec<Event> {
    record_as("run", valid, inputs, time_scale).await
}

async fn record_as(
    run_id: &str,
    valid: &ValidWorkflow,
    inputs: Value,
    time_scale: f64,
) -> Vec<Event> {
    let bus = EventBus::new();
    let mut rx = bus.subscribe();
    let inputs: JsonMap = serde_json::from_value(inputs).unwrap();
    let mut request = RunRequest::new(
        Arc::new(valid.clone()),
        run_id.into(),
        workflows_dir(),
        inputs,
    );
    request.time_scale = time_scale;
    request.default_concurrency = Some(4);
    // Approval steps (the blog's editor) are approved at once in a test.
    request.services.approvals = Some(Arc::new(
        braid_engine::agents::approval::PresetDesk::approving("test"),
    ));
    let outcome = tokio::spawn(run(request, bus.clone(), CancellationToken::new()))
        .await
        .unwrap()
        .expect("inputs accepted");
    assert_eq!(outcome.status, RunStatus::Succeeded, "{:?}", outcome.error);
    drop(bus);
    let mut events = Vec::new();
    while let Ok(batch) = rx.try_recv() {
        events.extend(batch.iter().cloned());
    }
    events
}

fn analyze(valid: &ValidWorkflow, events: &[Event]) -> RunReport {
    braid_analytics::analyze_run_with(
        valid,
        events,
        &[],
        &AnalyzeOptions {
            default_concurrency: Some(4),
            ..AnalyzeOptions::default()
        },
    )
}

/// Within `tolerance` ms, or 15 % of the expected value when that is more:
/// timings are real, and a loaded 2-core machine delays timers.
fn near(measured: u64, expected: u64, tolerance: u64) -> bool {
    measured.abs_diff(expected) <= tolerance.max(expected * 15 / 100)
}

/// Runs each recommendation's edited workflow and compares the predicted
/// saving with the measured one: the recorded run's wall time minus the
/// edited run's. Timer noise only ever adds time, so when the two disagree
/// by more than 10 % both runs are repeated (up to twice) and the fastest
/// of each kept. Returns (kind, nodes, predicted, measured).
async fn check_savings(
    valid_wf: &ValidWorkflow,
    report: &RunReport,
    time_scale: f64,
    kinds: &[RecommendationKind],
) -> Vec<(RecommendationKind, Vec<String>, u64, i64)> {
    let mut results = Vec::new();
    let mut before = report.wall_ms;
    for rec in report
        .recommendations
        .iter()
        .filter(|r| kinds.contains(&r.kind))
    {
        let edited = valid(braid_analytics::apply_edits(
            valid_wf.workflow(),
            &rec.edits,
        ));
        let mut after = u64::MAX;
        for attempt in 0..3 {
            if attempt > 0 {
                let events = record(valid_wf, json!({}), time_scale).await;
                before = before.min(analyze(valid_wf, &events).wall_ms);
            }
            let events = record(&edited, json!({}), time_scale).await;
            after = after.min(analyze(&edited, &events).wall_ms);
            let measured = before as i64 - after as i64;
            eprintln!(
                "{} {:?}: predicted saves {} ms, measured {} ms ({} → {})",
                rec.kind.as_str(),
                rec.nodes,
                rec.saves_ms,
                measured,
                before,
                after
            );
            if within_10_percent(rec.saves_ms, measured) {
                break;
            }
        }
        results.push((
            rec.kind,
            rec.nodes.clone(),
            rec.saves_ms,
            before as i64 - after as i64,
        ));
    }
    results
}

fn within_10_percent(predicted: u64, measured: i64) -> bool {
    (predicted as i64 - measured).unsigned_abs() * 10 <= measured.unsigned_abs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_planted_laggard_is_named_first_and_the_critical_path_is_exact() {
    // At time scale 0.01: fetch 100, reviews {style 100, facts 120, seo 600},
    // render 200, thumbnails 200, publish 100 (ms).
    let wf = load("planted-bottleneck.json");
    let events = record(&wf, json!({}), 0.01).await;
    let report = analyze(&wf, &events);
    std::fs::write(
        std::env::temp_dir().join("braid-report-planted.html"),
        render::html(&report),
    )
    .unwrap();

    assert_eq!(
        report.critical_path.nodes,
        ["fetch", "reviews", "render", "thumbnails", "publish"]
    );
    assert_eq!(report.critical_path.branches["reviews"], "seo");
    assert!(
        near(report.critical_path.duration_ms, 1200, 40),
        "critical path work {}",
        report.critical_path.duration_ms
    );
    assert!(near(report.wall_ms, 1200, 60), "wall {}", report.wall_ms);

    let first = &report.bottlenecks[0];
    assert_eq!(
        first.kind,
        BottleneckKind::FanIn,
        "{:#?}",
        report.bottlenecks
    );
    assert_eq!(first.node.as_deref(), Some("seo"));
    assert!(
        near(first.impact_ms, 480, 30),
        "fan-in impact {}",
        first.impact_ms
    );
    // The laggard is also a slow step (600 ms against a mean of ~203 ms: over 2×).
    let slow = report
        .bottlenecks
        .iter()
        .find(|b| b.kind == BottleneckKind::SlowStep)
        .expect("slow step");
    assert_eq!(slow.node.as_deref(), Some("seo"));
    assert_eq!(slow.severity, braid_analytics::Severity::High);

    // Slack: the quick branches could have ended ~500 ms later; the path has none.
    let steps = &report.steps;
    assert!(near(steps["style"].slack_ms.unwrap(), 500, 30));
    assert!(near(steps["style"].join_wait_ms, 500, 30));
    for id in ["fetch", "seo", "render", "thumbnails", "publish"] {
        assert!(steps[id].slack_ms.unwrap() <= 20, "{id}: {:?}", steps[id]);
        assert!(steps[id].critical, "{id} is critical");
    }
    assert!(!steps["style"].critical && !steps["facts"].critical);
    // Sequential: 100+100+120+600+200+200+100 = 1420 ms.
    assert!(
        near(report.sequential_ms, 1420, 40),
        "{}",
        report.sequential_ms
    );
    assert!(report.coordination_overhead_ms < 60);
    assert_eq!(report.concurrency_available, 3);

    // What the planner says each change saves (true values by construction:
    // non-blocking seo 480, a 15 s timeout on seo 450, parallel render/thumbnails 200).
    let kinds: Vec<(RecommendationKind, Vec<&str>)> = report
        .recommendations
        .iter()
        .map(|r| (r.kind, r.nodes.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        kinds,
        [
            (RecommendationKind::NonBlocking, vec!["seo", "reviews"]),
            (RecommendationKind::Timeout, vec!["seo"]),
            (
                RecommendationKind::Parallelize,
                vec!["render", "thumbnails"]
            ),
        ],
        "{:#?}",
        report.recommendations
    );
    let parallel = &report.recommendations[2];
    assert!(near(parallel.saves_ms, 200, 20), "{}", parallel.saves_ms);
    assert!(
        report.recommendations[1]
            .edits
            .contains(&braid_analytics::Edit::SetTimeout {
                step: "seo".into(),
                timeout_s: 15.0
            }),
        "{:?}",
        report.recommendations[1].edits
    );

    // Each priced saving against really running the changed workflow.
    let results = check_savings(
        &wf,
        &report,
        0.01,
        &[
            RecommendationKind::Parallelize,
            RecommendationKind::NonBlocking,
            RecommendationKind::Timeout,
        ],
    )
    .await;
    assert_eq!(results.len(), 3);
    for (kind, nodes, predicted, measured) in results {
        assert!(
            within_10_percent(predicted, measured),
            "{} {nodes:?}: predicted {predicted} ms, measured {measured} ms",
            kind.as_str()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scarce_limit_is_named_as_queueing_and_raising_it_saves_what_was_predicted() {
    // Two 300 ms API calls behind one `api` slot: the second queues 300 ms.
    let wf = from_json(json!({
        "format": "braid/1", "id": "planted-queue",
        "limits": { "concurrency": 4, "api": 1 },
        "steps": [
            { "id": "prep", "agent": { "kind": "sim", "duration_ms": 50 } },
            { "id": "call-a", "agent": { "kind": "sim", "duration_ms": 300 }, "resources": { "api": 1 } },
            { "id": "call-b", "agent": { "kind": "sim", "duration_ms": 300 }, "resources": { "api": 1 } },
            { "id": "merge", "agent": { "kind": "sim", "duration_ms": 50 } }
        ],
        "edges": [
            { "from": "prep", "to": "call-a" }, { "from": "prep", "to": "call-b" },
            { "from": "call-a", "to": "merge" }, { "from": "call-b", "to": "merge" }
        ]
    }));
    let events = record(&wf, json!({}), 1.0).await;
    let report = analyze(&wf, &events);

    let first = &report.bottlenecks[0];
    assert_eq!(
        first.kind,
        BottleneckKind::Queueing,
        "{:#?}",
        report.bottlenecks
    );
    assert_eq!(first.node.as_deref(), Some("call-b"));
    assert_eq!(first.limit.as_deref(), Some("api"));
    assert!(near(first.impact_ms, 300, 25), "{}", first.impact_ms);
    assert_eq!(
        report.critical_path.nodes,
        ["prep", "call-b", "merge"],
        "the queued call is the one that ends last"
    );
    assert!(near(report.critical_path.queued_ms, 300, 25));
    assert!(near(report.steps["call-b"].queued_ms, 300, 25));

    let raise = report
        .recommendations
        .iter()
        .find(|r| r.kind == RecommendationKind::RaiseLimit)
        .expect("raise the limit");
    assert_eq!(
        raise.edits,
        [braid_analytics::Edit::SetLimit {
            resource: "api".into(),
            value: 2
        }]
    );
    assert!(near(raise.saves_ms, 300, 30), "{}", raise.saves_ms);
    let results = check_savings(&wf, &report, 1.0, &[RecommendationKind::RaiseLimit]).await;
    let (_, _, predicted, measured) = &results[0];
    assert!(within_10_percent(*predicted, *measured), "{results:?}");
}

/// A seed for which a `fail_rate: 0.5` sim step fails its first attempt and
/// passes its second.
fn fails_once_seed(step: &str) -> u64 {
    (0..1000)
        .find(|&seed| {
            let agent = braid_engine::agents::sim::SimAgent::new(braid_model::model::SimAgent {
                duration_ms: Some(100),
                fail_rate: Some(0.5),
                seed: Some(seed),
                ..Default::default()
            });
            agent.draw(step, None, 1).1 && !agent.draw(step, None, 2).1
        })
        .expect("some seed fails once")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retrying_step_is_named_with_its_lost_time_and_a_shorter_backoff_is_priced() {
    let seed = fails_once_seed("flaky");
    let wf = from_json(json!({
        "format": "braid/1", "id": "planted-retry",
        "limits": { "concurrency": 4 },
        "steps": [
            { "id": "start", "agent": { "kind": "sim", "duration_ms": 100 } },
            { "id": "flaky", "agent": { "kind": "sim", "duration_ms": 100, "fail_rate": 0.5, "seed": seed },
              "retry": { "max_attempts": 2, "backoff_ms": 400 } },
            { "id": "side", "agent": { "kind": "sim", "duration_ms": 150 } },
            { "id": "end", "agent": { "kind": "sim", "duration_ms": 100 } }
        ],
        "edges": [
            { "from": "start", "to": "flaky" }, { "from": "start", "to": "side" },
            { "from": "flaky", "to": "end" }, { "from": "side", "to": "end" }
        ]
    }));
    let events = record(&wf, json!({}), 1.0).await;
    let history: Vec<RunDigest> = (0..10)
        .map(|i| {
            let mut d = braid_analytics::digest(&wf, &events);
            d.run_id = format!("earlier-{i}");
            d.steps
                .iter_mut()
                .for_each(|s| s.retries = u32::from(i % 2 == 0));
            d
        })
        .collect();
    let report = braid_analytics::analyze_run_with(
        &wf,
        &events,
        &history,
        &AnalyzeOptions {
            default_concurrency: Some(4),
            ..AnalyzeOptions::default()
        },
    );

    // Lost: the failed 100 ms attempt and the 400 ms backoff (500 ms). Without
    // them `flaky` would take 100 ms and `side` (150 ms) would be the longer
    // branch, so the run paid 450 ms for the retry.
    let first = &report.bottlenecks[0];
    assert_eq!(
        first.kind,
        BottleneckKind::Retries,
        "{:#?}",
        report.bottlenecks
    );
    assert_eq!(first.node.as_deref(), Some("flaky"));
    // Real timers on a shared 2-core machine: allow 20 % (they only run late).
    assert!(
        near(report.steps["flaky"].retry_ms, 500, 100),
        "{}",
        report.steps["flaky"].retry_ms
    );
    assert!(near(first.impact_ms, 450, 90), "{}", first.impact_ms);
    assert_eq!(first.retry_rate, Some(0.5));
    assert_eq!(report.steps["flaky"].attempts, 2);
    assert_eq!(report.critical_path.nodes, ["start", "flaky", "end"]);

    let backoff = report
        .recommendations
        .iter()
        .find(|r| r.kind == RecommendationKind::RetryBackoff)
        .expect("shorter backoff");
    assert_eq!(
        backoff.edits,
        [braid_analytics::Edit::SetBackoff {
            step: "flaky".into(),
            backoff_ms: 100
        }]
    );
    assert!(near(backoff.saves_ms, 300, 30), "{}", backoff.saves_ms);
    let results = check_savings(&wf, &report, 1.0, &[RecommendationKind::RetryBackoff]).await;
    let (_, _, predicted, measured) = &results[0];
    assert!(within_10_percent(*predicted, *measured), "{results:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_with_retries_queueing_and_a_map_draws_every_kind_of_span() {
    let seed = fails_once_seed("fetch-feed");
    let wf = from_json(json!({
           "format": "braid/1", "id": "showcase", "name": "Feed digest",
           "context": { "articles": ["a", "b", "c", "d", "e", "f"] },
           "limits": { "concurrency": 4, "api": 1 },
           "steps": [
               { "id": "fetch-feed", "agent": { "kind": "sim", "duration_ms": 100, "fail_rate": 0.5, "seed": seed },
                 "retry": { "max_attempts": 2, "backoff_ms": 150 } },
               { "id": "summarise", "group": "each-article", "agent": { "kind": "sim", "duration_ms": 120, "jitter_ms": 40 },
    },
               { "id": "translate", "agent": { "kind": "sim", "duration_ms": 200 }, "resources": { "api": 1 } },
               { "id": "tag", "agent": { "kind": "sim", "duration_ms": 150 }, "resources": { "api": 1 } },
               { "id": "send", "agent": { "kind": "sim", "duration_ms": 80 } }
           ],
           "groups": [
               { "id": "each-article", "aggregate": { "strategy": "all" }, "max_concurrency": 2, "for_each": "articles" }
           ],
           "edges": [
               { "from": "fetch-feed", "to": "each-article" },
               { "from": "fetch-feed", "to": "translate" },
               { "from": "fetch-feed", "to": "tag" },
               { "from": "each-article", "to": "send" },
               { "from": "translate", "to": "send" },
               { "from": "tag", "to": "send" }
           ]
       }));
    let events = record(&wf, json!({}), 1.0).await;
    let report = analyze(&wf, &events);
    assert_eq!(report.steps["fetch-feed"].attempts, 2);
    assert_eq!(report.steps["summarise"].elements, Some(6));
    assert!(
        report.steps["tag"].queued_ms >= 150,
        "{:?}",
        report.steps["tag"]
    );
    assert!(report.steps["summarise"].queued_ms > 0);
    let queueing: Vec<(&str, &str)> = report
        .bottlenecks
        .iter()
        .filter(|b| b.kind == BottleneckKind::Queueing)
        .map(|b| (b.node.as_deref().unwrap(), b.limit.as_deref().unwrap()))
        .collect();
    assert!(
        queueing.contains(&("summarise", "each-article.max_concurrency")),
        "{queueing:?}"
    );
    let html = render::html(&report);
    std::fs::write(
        std::env::temp_dir().join("braid-report-showcase.html"),
        &html,
    )
    .unwrap();
    for needle in ["backoff", "queued", "attempt 2", "summarise ×6", "failed"] {
        assert!(html.contains(needle), "{needle}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_report_has_the_shape_of_the_cli_contract() {
    let wf = load("planted-bottleneck.json");
    let events = record(&wf, json!({}), 0.01).await;
    let report = analyze(&wf, &events);
    let v = serde_json::to_value(&report).unwrap();
    for key in [
        "run_id",
        "workflow_id",
        "wall_ms",
        "sequential_ms",
        "coordination_overhead_ms",
    ] {
        assert!(v[key].is_string() || v[key].is_u64(), "{key}: {}", v[key]);
    }
    assert!(v["speedup"].is_f64() && v["parallel_efficiency"].is_f64());
    assert!(v["critical_path"]["nodes"].is_array());
    assert!(v["critical_path"]["duration_ms"].is_u64());
    let legal = &v["steps"]["seo"];
    for key in ["duration_ms", "queued_ms", "slack_ms", "attempts"] {
        assert!(legal[key].is_u64(), "steps.seo.{key}: {legal}");
    }
    let b = &v["bottlenecks"][0];
    assert_eq!(b["kind"], "fan_in");
    assert_eq!(b["node"], "seo");
    assert!(b["impact_ms"].is_u64() && b["message"].is_string());
    assert!(["low", "medium", "high"].contains(&b["severity"].as_str().unwrap()));
    let r = &v["recommendations"][0];
    assert!(r["kind"].is_string() && r["nodes"].is_array() && r["saves_ms"].is_u64());
    assert!(r["message"].as_str().unwrap().contains("Change:"));
    // Round trip.
    let back: RunReport = serde_json::from_value(v).unwrap();
    assert_eq!(back, report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blog_publishing_report_renders_as_markdown_text_and_self_contained_html() {
    let wf = load("blog-publishing.json");
    let events = record_as(
        "01JDQ7Z3K9V4M2X8R5T6B1N0CE",
        &wf,
        json!({ "page_id": "post-1" }),
        0.01,
    )
    .await;
    let report = braid_analytics::analyze_run(&wf, &events, &[]);
    assert_eq!(
        report.critical_path.nodes[..3],
        ["validate", "revise", "quality-gates"].map(String::from)
    );
    // The reviewers' recommendations are in every format.
    assert_eq!(report.feedback.len(), 3, "{:#?}", report.feedback);
    // verify waits for invalidate-cache but reads nothing it writes.
    assert!(
        report
            .recommendations
            .iter()
            .any(|r| r.kind == RecommendationKind::Parallelize
                && r.nodes == ["invalidate-cache", "verify"]),
        "{:#?}",
        report.recommendations
    );
    let html = render::html(&report);
    std::fs::write(std::env::temp_dir().join("braid-report-blog.html"), &html).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("Add the risk disclaimer under the rate table."));
    assert!(html.contains("<svg class=\"gantt\""));
    assert!(!html.contains("http:") && !html.contains("https:") && !html.contains("<script"));
    for step in report.steps.keys() {
        assert!(html.contains(step.as_str()), "{step} in the chart");
    }
    let md = render::markdown(&report);
    std::fs::write(std::env::temp_dir().join("braid-report-blog.md"), &md).unwrap();
    assert!(md.contains("## Bottlenecks") && md.contains("| # | kind |"));
    let text = render::text(&report);
    std::fs::write(std::env::temp_dir().join("braid-report-blog.txt"), &text).unwrap();
    assert!(text.contains("Critical path\n─────────────"));
    assert!(!text.contains('`'));
}

fn synthetic_digest(i: usize, steps: &[(&str, u64)]) -> RunDigest {
    RunDigest {
        run_id: format!("run-{i:05}"),
        workflow_id: "big".into(),
        started_at_ms: 1_700_000_000_000 + i as u64 * 60_000,
        status: Some(if i % 17 == 0 {
            RunStatus::Failed
        } else {
            RunStatus::Succeeded
        }),
        wall_ms: steps.iter().map(|s| s.1).sum::<u64>() + (i as u64 % 50),
        steps: steps
            .iter()
            .enumerate()
            .map(|(k, (id, ms))| StepDigest {
                id: id.to_string(),
                status: if i % 17 == 0 && k == 3 {
                    StepStatus::Failed
                } else {
                    StepStatus::Succeeded
                },
                duration_ms: ms + ((i * 7 + k * 13) % 40) as u64,
                attempts: 1 + u32::from(k == 2 && i % 9 == 0),
                retries: u32::from(k == 2 && i % 9 == 0),
                queued_ms: 0,
                critical: k % 2 == 0,
            })
            .collect(),
        critical_path: if i % 10 == 0 {
            vec!["s0".into(), "s3".into()]
        } else {
            vec!["s0".into(), "s2".into(), "s4".into()]
        },
    }
}

#[test]
fn trends_over_ten_thousand_runs_take_well_under_a_second() {
    let steps: Vec<(String, u64)> = (0..12).map(|k| (format!("s{k}"), 100 + k * 50)).collect();
    let steps: Vec<(&str, u64)> = steps.iter().map(|(s, d)| (s.as_str(), *d)).collect();
    let digests: Vec<RunDigest> = (0..10_000).map(|i| synthetic_digest(i, &steps)).collect();

    let started = Instant::now();
    let trend = braid_analytics::analyze_workflow(&digests);
    let html = render::html(&trend);
    let md = render::markdown(&trend);
    let elapsed = started.elapsed();
    eprintln!("analyze_workflow + render over 10,000 digests: {elapsed:?}");
    assert!(elapsed.as_millis() < 1000, "{elapsed:?}");

    std::fs::write(std::env::temp_dir().join("braid-report-trend.html"), &html).unwrap();
    assert_eq!(trend.runs, 10_000);
    assert_eq!(trend.steps.len(), 12);
    assert_eq!(trend.flaky_steps, ["s2", "s3"]);
    assert_eq!(trend.critical_path.most_common, ["s0", "s2", "s4"]);
    assert_eq!(trend.critical_path.share, 0.9);
    assert_eq!(trend.critical_path.distinct, 2);
    assert!(trend.steps["s2"].retry_rate > 0.1);
    assert_eq!(trend.duration.trend, "stable");
    assert!(html.contains("<svg class=\"spark\"") && md.contains("| `s0` |"));

    // A run report against the same 10,000 digests as history.
    let wf = from_json(json!({
        "format": "braid/1", "id": "big",
        "steps": (0..12).map(|k| json!({ "id": format!("s{k}"), "agent": { "kind": "sim", "duration_ms": 100 } })).collect::<Vec<_>>(),
        "edges": (0..11).map(|k| json!({ "from": format!("s{k}"), "to": format!("s{}", k + 1) })).collect::<Vec<_>>()
    }));
    let events = synthetic_chain_events(&(0..12).map(|k| 100 + k * 50 + 400).collect::<Vec<_>>());
    let started = Instant::now();
    let report = braid_analytics::analyze_run(&wf, &events, &digests);
    let elapsed = started.elapsed();
    eprintln!("analyze_run with 10,000 digests of history: {elapsed:?}");
    assert!(elapsed.as_millis() < 1000, "{elapsed:?}");
    assert_eq!(report.history_runs, 10_000);
    assert!(
        report
            .bottlenecks
            .iter()
            .filter(|b| b.kind == BottleneckKind::Regression)
            .count()
            >= 10,
        "{:#?}",
        report.bottlenecks
    );
}

/// Events of a chain s0 → s1 → … with the given durations, 1 ms apart.
fn synthetic_chain_events(durations: &[u64]) -> Vec<Event> {
    use braid_engine::events::{AttemptRef, EventKind};
    let mut events = Vec::new();
    let mut push = |at: u64, kind: EventKind| {
        events.push(Event {
            seq: events.len() as u64,
            at_ms: 1_800_000_000_000 + at,
            kind,
        })
    };
    push(
        0,
        EventKind::RunStarted {
            run_id: "now".into(),
            workflow_id: "big".into(),
            inputs: JsonMap::new(),
            time_scale: 1.0,
            concurrency: 4,
        },
    );
    let mut t = 0;
    for (k, d) in durations.iter().enumerate() {
        let at = AttemptRef {
            round: 1,
            step: format!("s{k}"),
            element: None,
            attempt: 1,
        };
        push(t, EventKind::StepQueued { at: at.clone() });
        push(t, EventKind::StepStarted { at: at.clone() });
        t += d;
        push(
            t,
            EventKind::StepSucceeded {
                recommendations: Vec::new(),
                errors: Vec::new(),
                at,
                outputs: JsonMap::new(),
                score: None,
                approved: None,
            },
        );
        t += 1;
    }
    push(
        t,
        EventKind::RunFinished {
            status: RunStatus::Succeeded,
            error: None,
        },
    );
    events
}
