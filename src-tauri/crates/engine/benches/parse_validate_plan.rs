//! Parse + validate + plan throughput on realistic generated workflows.
//!
//! `cargo bench -p braid-engine --bench parse_validate_plan`
//!
//! For 1k, 10k and 100k steps: generate a workflow (lanes of review
//! segments: chains, weighted/quorum review groups, joins with
//! requires/produces linking to predecessors — some several segments back —,
//! `rejected` edges to optional fix-up steps, map groups over a context
//! list, a shared `api` limit), write it with the canonical writer, then
//! time `braid_model::load` + `plan::plan` over several iterations and
//! report the median against `serde_json::from_slice::<Value>` of the same
//! bytes, measured in the same process. Each phase is also timed on its own
//! so a superlinear one stands out in the µs/step column.
//!
//! A canonical file of 100k steps is far over the loader's 5 MB limit, so at
//! that size `load` is not measured: the typed parse is approximated by
//! `serde_json::from_slice::<Workflow>` (no duplicate-key scan, no JSON
//! paths), and validate + plan run on the in-memory model.
//!
//! A second table stresses the planner's scheduler with units that cannot
//! start (a map group wider than its `max_concurrency`, steps waiting for a
//! scarce resource).
//!
//! `BRAID_BENCH_QUICK=1` runs fewer iterations;
//! `BRAID_BENCH_NO_FAR_REQUIRES=1` leaves out the requires of keys produced
//! three segments back (to isolate the cost of checking them).

#[path = "../../../bench-support/timing.rs"]
#[allow(dead_code)] // median_async is for the async benches
mod timing;
use timing::median;

use std::hint::black_box;
use std::time::{Duration, Instant};

use braid_engine::plan::{PlanOptions, plan};
use braid_model::canonical::workflow_to_string;
use braid_model::model::{
    Agent, Aggregate, Edge, FORMAT_V1, Group, ShellAgent, SimAgent, Step, Strategy, Trigger, When,
    Workflow,
};
use braid_model::parse::{MAX_FILE_BYTES, parse_workflow};
use braid_model::{ValidWorkflow, Validation, load, validate};
use indexmap::IndexMap;
use serde_json::Value;

// ---------------------------------------------------------------------------
// Generator.

/// Independent lanes of segments; segment `s` follows segment `s - LANES`.
const LANES: usize = 4;

struct Gen {
    steps: Vec<Step>,
    groups: Vec<Group>,
    edges: Vec<Edge>,
    /// Deterministic pseudo-random state (xorshift).
    state: u64,
    /// Whether some steps require a key produced three segments back.
    far_requires: bool,
}

impl Gen {
    fn new(state: u64) -> Self {
        Gen {
            steps: Vec::new(),
            groups: Vec::new(),
            edges: Vec::new(),
            state,
            far_requires: std::env::var_os("BRAID_BENCH_NO_FAR_REQUIRES").is_none(),
        }
    }
}

impl Gen {
    fn next(&mut self, below: u64) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state % below
    }

    fn sim(&mut self, id: String) -> Step {
        let duration = 1_000 + 500 * self.next(100);
        Step {
            reads: Vec::new(),
            id,
            name: None,
            group: None,
            agent: Agent::Sim(SimAgent {
                duration_ms: Some(duration),
                jitter_ms: Some(duration / 10),
                ..SimAgent::default()
            }),
            requires: Vec::new(),
            produces: Vec::new(),
            required: None,
            weight: None,
            timeout_s: None,
            retry: None,
            resources: IndexMap::new(),
            estimate_s: None,
            trigger: None,
            idempotent: None,
        }
    }

    fn edge(&mut self, from: &str, to: &str, when: Option<When>) {
        self.edges.push(Edge {
            loop_: None,
            from: from.to_string(),
            to: to.to_string(),
            when,
        });
    }

    /// One review segment: prep → gates (group) → join → publish, with a
    /// `rejected` route to an optional fix-up and, every fifth segment, a
    /// map group hanging off publish. 7–9 steps.
    fn segment(&mut self, s: usize) {
        let prep = format!("prep-{s}");
        let gates = format!("gates-{s}");
        let join = format!("join-{s}");
        let publish = format!("publish-{s}");

        let mut step = self.sim(prep.clone());
        if s >= LANES {
            step.requires.push(format!("draft-{}", s - LANES));
            self.edge(&format!("publish-{}", s - LANES), &prep, None);
        } else {
            step.requires.push("brief".into());
        }
        // A key from further back up the lane: not from a direct predecessor.
        if self.far_requires && s >= 3 * LANES && s % 3 == 0 {
            step.requires.push(format!("draft-{}", s - 3 * LANES));
        }
        step.produces.push(format!("in-{s}"));
        self.steps.push(step);

        let branches = 3 + s % 2;
        let weighted = s % 2 == 0;
        self.groups.push(Group {
            id: gates.clone(),
            name: Some(format!("Quality gates {s}")),
            aggregate: if weighted {
                Aggregate {
                    strategy: Strategy::Weighted,
                    approve_at: Some(80.0),
                    needs_work_at: Some(60.0),
                    k: None,
                }
            } else {
                Aggregate {
                    strategy: Strategy::Quorum,
                    approve_at: None,
                    needs_work_at: None,
                    k: Some(2),
                }
            },
            max_concurrency: Some(3),
            for_each: None,
        });
        self.edge(&prep, &gates, None);
        let mut scores = Vec::new();
        for b in 0..branches {
            let mut step = self.sim(format!("review-{s}-{b}"));
            step.group = Some(gates.clone());
            step.requires.push(format!("in-{s}"));
            let key = format!("score-{s}-{b}");
            step.produces.push(key.clone());
            scores.push(key);
            if weighted {
                step.weight = Some([0.4, 0.35, 0.25][b % 3]);
            }
            if let Agent::Sim(sim) = &mut step.agent {
                sim.score = Some(60.0 + self.next(40) as f64);
            }
            if b == 0 {
                step.resources.insert("api".into(), 1);
            }
            self.steps.push(step);
        }

        let mut step = self.sim(join.clone());
        step.requires = scores;
        step.requires.push(format!("{gates}.score"));
        step.agent = Agent::Shell(ShellAgent {
            command: Some(vec![
                "./agents/join".into(),
                "--score".into(),
                format!("{{{{{gates}.score}}}}"),
                format!("--in={{{{score-{s}-0}}}}"),
            ]),
            ..ShellAgent::default()
        });
        step.estimate_s = Some(2.5);
        step.produces.push(format!("merged-{s}"));
        self.steps.push(step);
        self.edge(&gates, &join, Some(When::Approved));

        let mut step = self.sim(publish.clone());
        step.requires.push(format!("merged-{s}"));
        step.produces.push(format!("draft-{s}"));
        step.resources.insert("api".into(), 1);
        self.steps.push(step);
        self.edge(&join, &publish, None);

        let fix = format!("fix-{s}");
        let mut step = self.sim(fix.clone());
        step.required = Some(false);
        step.requires.push(format!("{gates}.outcome"));
        self.steps.push(step);
        self.edge(&gates, &fix, Some(When::Rejected));

        if s % 5 == 4 {
            let map = format!("localise-{s}");
            self.groups.push(Group {
                id: map.clone(),
                name: None,
                aggregate: Aggregate {
                    strategy: Strategy::All,
                    approve_at: None,
                    needs_work_at: None,
                    k: None,
                },
                max_concurrency: Some(2),
                for_each: Some("regions".into()),
            });
            let mut step = self.sim(format!("translate-{s}"));
            step.group = Some(map.clone());
            step.requires.push(format!("draft-{s}"));
            self.steps.push(step);
            self.edge(&publish, &map, None);
        }
    }
}

/// A workflow of at least `target` steps.
fn realistic(target: usize) -> Workflow {
    let mut g = Gen::new(0x2545_f491_4f6c_dd1d);
    let mut s = 0;
    while g.steps.len() + 1 < target {
        g.segment(s);
        s += 1;
    }
    // Fan-in: one release step after the last segment of every lane.
    let mut release = g.sim("release".into());
    release.trigger = Some(Trigger::All);
    g.steps.push(release);
    for last in s.saturating_sub(LANES)..s {
        g.edge(&format!("publish-{last}"), "release", None);
    }
    let mut context = serde_json::Map::new();
    context.insert("brief".into(), Value::from("Quarterly results"));
    context.insert(
        "regions".into(),
        Value::from(vec!["de", "fr", "ja", "pt", "us"]),
    );
    Workflow {
        format: FORMAT_V1.into(),
        id: format!("bench-{target}"),
        name: Some(format!("Generated workflow of {target} steps")),
        description: None,
        inputs: IndexMap::new(),
        context,
        limits: IndexMap::from([("concurrency".to_string(), 8), ("api".to_string(), 4)]),
        defaults: None,
        steps: g.steps,
        groups: g.groups,
        edges: g.edges,
    }
}

// ---------------------------------------------------------------------------
// Timing.

fn time<T>(iterations: usize, mut f: impl FnMut() -> T) -> Duration {
    // One warm-up run.
    black_box(f());
    median(
        (0..iterations)
            .map(|_| {
                let start = Instant::now();
                black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us_per(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e6 / n as f64
}

fn expect_valid(v: Validation) -> Box<ValidWorkflow> {
    match v {
        Validation::Valid(v) => v,
        Validation::Invalid(d) => {
            panic!("generated workflow is invalid: {:#?}", &d[..d.len().min(5)])
        }
    }
}

fn options() -> PlanOptions<'static> {
    PlanOptions {
        default_concurrency: 8,
        ..PlanOptions::default()
    }
}

struct Row {
    steps: usize,
    bytes: usize,
    total: Duration,
    baseline: Duration,
    parse: Duration,
    validate: Duration,
    plan: Duration,
    /// Whether `total` is `load` + `plan` (false: over the 5 MB limit).
    loaded: bool,
}

fn measure(target: usize, iterations: usize) -> Row {
    let workflow = realistic(target);
    let steps = workflow.steps.len();
    let text = workflow_to_string(&workflow);
    let bytes = text.as_bytes();
    let loaded = bytes.len() <= MAX_FILE_BYTES;

    // Sanity: the file round-trips and is valid, and the warnings are few.
    let valid = expect_valid(validate(workflow.clone()));
    assert!(
        valid.warnings().len() <= LANES + 1,
        "{:#?}",
        &valid.warnings()[..valid.warnings().len().min(5)]
    );
    if loaded {
        assert_eq!(
            parse_workflow(bytes).expect("canonical output parses"),
            workflow
        );
    }

    let baseline = time(iterations, || {
        serde_json::from_slice::<Value>(bytes).expect("valid JSON")
    });
    let parse = if loaded {
        time(iterations, || parse_workflow(bytes).expect("parses"))
    } else {
        time(iterations, || {
            serde_json::from_slice::<Workflow>(bytes).expect("parses")
        })
    };
    let validate_t = time(iterations, || expect_valid(validate(workflow.clone())));
    let clone = time(iterations, || workflow.clone());
    let validate_t = validate_t.saturating_sub(clone);
    let plan_t = time(iterations, || plan(&valid, &options()));
    let total = if loaded {
        time(iterations, || {
            let valid = expect_valid(load(bytes));
            plan(&valid, &options())
        })
    } else {
        parse + validate_t + plan_t
    };
    Row {
        steps,
        bytes: bytes.len(),
        total,
        baseline,
        parse,
        validate: validate_t,
        plan: plan_t,
        loaded,
    }
}

// ---------------------------------------------------------------------------
// Scheduler stress: units that cannot start yet.

/// One map group over `n` elements with `max_concurrency` 4.
fn wide_map(n: usize) -> Workflow {
    let mut w = realistic(1);
    w.steps.clear();
    w.edges.clear();
    w.groups.clear();
    w.context.insert(
        "items".into(),
        Value::from((0..n as u64).collect::<Vec<_>>()),
    );
    w.groups.push(Group {
        id: "each".into(),
        name: None,
        aggregate: Aggregate {
            strategy: Strategy::All,
            approve_at: None,
            needs_work_at: None,
            k: None,
        },
        max_concurrency: Some(4),
        for_each: Some("items".into()),
    });
    let mut g = Gen::new(7);
    let mut step = g.sim("work".into());
    step.group = Some("each".into());
    w.steps.push(step);
    w
}

/// `n` independent steps, every other one holding the single `api` unit.
fn scarce_resource(n: usize) -> Workflow {
    let mut w = realistic(1);
    w.steps.clear();
    w.edges.clear();
    w.groups.clear();
    w.limits.insert("api".into(), 1);
    let mut g = Gen::new(7);
    for i in 0..n {
        let mut step = g.sim(format!("s{i}"));
        if i % 2 == 0 {
            step.resources.insert("api".into(), 1);
        }
        w.steps.push(step);
    }
    w
}

fn main() {
    // Cargo passes `--bench`; nothing else is understood.
    let quick = std::env::var_os("BRAID_BENCH_QUICK").is_some();
    let sizes: [(usize, usize); 3] = if quick {
        [(1_000, 5), (10_000, 3), (100_000, 1)]
    } else {
        [(1_000, 41), (10_000, 15), (100_000, 5)]
    };

    println!(
        "parse + validate + plan (median; `load` + `plan::plan`), baseline serde_json::from_slice::<Value>"
    );
    println!(
        "{:>7} {:>10} {:>10} {:>8} {:>12} {:>9} | {:>8} {:>8} {:>8}  (µs/step)",
        "steps",
        "bytes",
        "median ms",
        "µs/step",
        "baseline ms",
        "× base",
        "parse",
        "validate",
        "plan"
    );
    for (target, iterations) in sizes {
        let r = measure(target, iterations);
        println!(
            "{:>7} {:>10} {:>10.2} {:>8.2} {:>12.2} {:>9.1} | {:>8.2} {:>8.2} {:>8.2}{}",
            r.steps,
            r.bytes,
            ms(r.total),
            us_per(r.total, r.steps),
            ms(r.baseline),
            r.total.as_secs_f64() / r.baseline.as_secs_f64(),
            us_per(r.parse, r.steps),
            us_per(r.validate, r.steps),
            us_per(r.plan, r.steps),
            if r.loaded {
                ""
            } else {
                "  (over 5 MB: typed serde parse + validate + plan, no load)"
            },
        );
    }

    println!();
    println!("scheduler stress: plan::plan alone (median)");
    println!(
        "{:>32} {:>8} {:>10} {:>9}",
        "shape", "units", "plan ms", "µs/unit"
    );
    type Shape = (&'static str, fn(usize) -> Workflow);
    let stress: [Shape; 2] = [
        ("map group, max_concurrency 4", wide_map),
        ("steps sharing `api` limit 1", scarce_resource),
    ];
    for (name, make) in stress {
        for n in [2_500, 5_000, 10_000, 20_000] {
            let valid = expect_valid(validate(make(n)));
            let t = time(if quick { 1 } else { 3 }, || plan(&valid, &options()));
            println!(
                "{:>32} {:>8} {:>10.2} {:>9.2}",
                name,
                n,
                ms(t),
                us_per(t, n)
            );
        }
    }
}
