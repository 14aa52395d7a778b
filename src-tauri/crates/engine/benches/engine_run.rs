//! Engine benchmark: what Braid's scheduler costs on top of the work itself.
//! Every figure is a median over several runs, printed with the baseline
//! measured in the same process, so ratios hold whatever the machine.
//!
//! (a) no-op `sim` steps (0 ms): a 200-step chain and a 500-way fan-out,
//!     against the same shapes as bare `tokio::spawn` + `JoinSet`;
//! (b) 500 `shell` steps running `true` at concurrency 2 and 8, output
//!     captured, against a bare `tokio::process` loop that also pipes
//!     output, and against `xargs -P`;
//! (c) 200 parallel `sim` steps of 100 ms against the ideal 100 ms;
//! (d) a loop of 100 rounds of 0 ms `sim` steps (draft → review, looped
//!     back on needs_work), against the 200-step chain of the same work.
//!
//! Run: `cargo bench -p braid-engine --bench engine_run`

#[path = "../../../bench-support/timing.rs"]
mod timing;
use timing::median_async;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use braid_engine::bus::EventBus;
use braid_engine::events::RunStatus;
use braid_engine::run::driver::{RunRequest, run};
use braid_model::validate::{Validation, load};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "Braid engine benchmark ({} CPUs)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();
    println!("(a) engine overhead, no-op sim steps");
    let chain = workflow(chain_doc(200));
    let fan = workflow(fan_doc(500, 0, 500));
    let engine_chain = median_async(&runtime, 30, || run_engine(chain.clone(), 1.0));
    let bare_chain = median_async(&runtime, 30, bare_chain(200));
    report(
        "200-step chain",
        engine_chain,
        bare_chain,
        200,
        "bare spawn+await chain",
        Some(2.0),
    );
    let engine_fan = median_async(&runtime, 30, || run_engine(fan.clone(), 1.0));
    let bare_fan = median_async(&runtime, 30, bare_fan(500));
    report(
        "500-way fan-out",
        engine_fan,
        bare_fan,
        500,
        "bare JoinSet fan-out",
        Some(5.0),
    );

    println!();
    println!("(b) 500 shell steps running `true`, output captured");
    for concurrency in [2usize, 8] {
        let shells = workflow(shell_doc(500, concurrency));
        let engine = median_async(&runtime, 5, || run_engine(shells.clone(), 1.0));
        let bare = median_async(&runtime, 5, || bare_processes(500, concurrency));
        let xargs = median_async(&runtime, 5, || xargs(500, concurrency));
        println!(
            "  concurrency {concurrency}: braid {:>8.1} ms | bare tokio::process {:>8.1} ms ({:.2}× bare, goal ≤ 1.15×) | xargs -P {:>8.1} ms ({:.2}× xargs, goal < 1)",
            ms(engine),
            ms(bare),
            ms(engine) / ms(bare),
            ms(xargs),
            ms(engine) / ms(xargs)
        );
    }

    println!();
    println!("(d) a loop of 100 rounds, no-op sim steps");
    let looped = workflow(loop_doc(100));
    let engine_loop = median_async(&runtime, 30, || run_engine(looped.clone(), 1.0));
    report(
        "100 rounds × (draft → review)",
        engine_loop,
        engine_chain,
        200,
        "200-step chain (same steps, no loop)",
        Some(50.0),
    );

    println!();
    println!("(c) 200 parallel sim steps of 100 ms");
    let wide = workflow(fan_doc(200, 100, 200));
    let wall = median_async(&runtime, 5, || run_engine(wide.clone(), 1.0));
    println!(
        "  wall {:.1} ms vs ideal 100 ms: {:.3}× (goal ≤ 1.10×)",
        ms(wall),
        ms(wall) / 100.0
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(
    name: &str,
    engine: Duration,
    bare: Duration,
    steps: u32,
    baseline: &str,
    goal_ms: Option<f64>,
) {
    let per_step_us = (ms(engine) - ms(bare)).max(0.0) * 1000.0 / steps as f64;
    println!(
        "  {name}: braid {:.3} ms | {baseline} {:.3} ms | {:.1}× | overhead {:.2} µs/step{}",
        ms(engine),
        ms(bare),
        ms(engine) / ms(bare).max(1e-6),
        per_step_us,
        goal_ms
            .map(|g| format!(" (goal ≤ {g} ms)"))
            .unwrap_or_default()
    );
}

fn workflow(doc: Value) -> Arc<braid_model::ValidWorkflow> {
    match load(&serde_json::to_vec(&doc).unwrap()) {
        Validation::Valid(v) => Arc::new(*v),
        Validation::Invalid(d) => panic!("{d:#?}"),
    }
}

fn chain_doc(n: usize) -> Value {
    let steps: Vec<Value> = (0..n)
        .map(|i| json!({ "id": format!("s{i}"), "agent": { "kind": "sim", "duration_ms": 0 } }))
        .collect();
    let edges: Vec<Value> = (1..n)
        .map(|i| json!({ "from": format!("s{}", i - 1), "to": format!("s{i}") }))
        .collect();
    json!({ "format": "braid/1", "id": "chain", "limits": { "concurrency": 8 }, "steps": steps, "edges": edges })
}

/// draft → review (one critic scoring 60: needs work) with a loop back of
/// `rounds` rounds: the body runs exactly `rounds` times, then `archive`.
fn loop_doc(rounds: u32) -> Value {
    json!({
        "format": "braid/1", "id": "looped", "limits": { "concurrency": 8 },
        "steps": [
            { "id": "draft", "agent": { "kind": "sim", "duration_ms": 0 } },
            { "id": "critic", "group": "review", "agent": { "kind": "sim", "duration_ms": 0, "score": 60 } },
            { "id": "archive", "agent": { "kind": "sim", "duration_ms": 0 } }
        ],
        "groups": [{ "id": "review", "aggregate": { "strategy": "threshold", "approve_at": 80, "needs_work_at": 50 } }],
        "edges": [
            { "from": "draft", "to": "review" },
            { "from": "review", "to": "draft", "when": "needs_work", "loop": { "max_rounds": rounds } },
            { "from": "review", "to": "archive", "when": "needs_work" }
        ]
    })
}

fn fan_doc(n: usize, duration_ms: u64, concurrency: usize) -> Value {
    let steps: Vec<Value> = (0..n)
        .map(|i| json!({ "id": format!("s{i}"), "agent": { "kind": "sim", "duration_ms": duration_ms } }))
        .collect();
    json!({ "format": "braid/1", "id": "fan", "limits": { "concurrency": concurrency }, "steps": steps })
}

fn shell_doc(n: usize, concurrency: usize) -> Value {
    let steps: Vec<Value> = (0..n)
        .map(
            |i| json!({ "id": format!("s{i}"), "agent": { "kind": "shell", "command": ["true"] } }),
        )
        .collect();
    json!({ "format": "braid/1", "id": "shells", "limits": { "concurrency": concurrency }, "steps": steps })
}

/// A full engine run with one subscriber draining events, as the CLI has.
async fn run_engine(valid: Arc<braid_model::ValidWorkflow>, time_scale: f64) {
    {
        let bus = EventBus::new();
        let mut rx = bus.subscribe();
        let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let request = RunRequest {
            valid,
            run_id: "bench".into(),
            workflow_dir: PathBuf::from("."),
            inputs: Default::default(),
            time_scale,
            default_concurrency: None,
            durability: None,
            prior: Default::default(),
            resumed: false,
            services: Default::default(),
        };
        let outcome = run(request, bus.clone(), CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(outcome.status, RunStatus::Succeeded);
        drop(bus);
        drain.await.unwrap();
    }
}

fn bare_chain(n: usize) -> impl FnMut() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
    move || {
        Box::pin(async move {
            for _ in 0..n {
                let mut set = JoinSet::new();
                set.spawn(async {});
                set.join_next().await.unwrap().unwrap();
            }
        })
    }
}

fn bare_fan(n: usize) -> impl FnMut() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
    move || {
        Box::pin(async move {
            let mut set = JoinSet::new();
            for _ in 0..n {
                set.spawn(async {});
            }
            while set.join_next().await.is_some() {}
        })
    }
}

/// `n` runs of `true` with piped, drained stdout/stderr, `concurrency` at a time.
async fn bare_processes(n: usize, concurrency: usize) {
    {
        let mut set = JoinSet::new();
        let mut started = 0;
        while started < n || !set.is_empty() {
            while started < n && set.len() < concurrency {
                started += 1;
                set.spawn(async {
                    let mut child = tokio::process::Command::new("true")
                        .stdin(Stdio::null())
                        .stdout(Stdio::piped())
                        .stderr(Stdio::piped())
                        .spawn()
                        .unwrap();
                    let (mut out, mut err) =
                        (child.stdout.take().unwrap(), child.stderr.take().unwrap());
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    let _ = tokio::join!(out.read_to_end(&mut a), err.read_to_end(&mut b));
                    child.wait().await.unwrap();
                });
            }
            set.join_next().await.unwrap().unwrap();
        }
    }
}

async fn xargs(n: usize, concurrency: usize) {
    {
        let list: String = (0..n).map(|i| format!("{i}\n")).collect();
        let mut child = tokio::process::Command::new("xargs")
            .args(["-P", &concurrency.to_string(), "-n", "1", "true"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut stdin, list.as_bytes())
            .await
            .unwrap();
        drop(stdin);
        child.wait().await.unwrap();
    }
}
