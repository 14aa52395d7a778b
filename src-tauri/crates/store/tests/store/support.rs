//! Shared helpers: temporary database files, synthetic event streams, and
//! real engine runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use braid_engine::bus::{EventBatch, EventBus};
use braid_engine::events::{AttemptRef, Event, EventKind, RunStatus, Stream};
use braid_engine::run::driver::{RunOutcome, RunRequest, run};
use braid_model::model::JsonMap;
use braid_model::validate::{Validation, load};
use braid_store::{NewRun, Store};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

/// A database file in a fresh temporary folder (removed on drop).
pub struct TempDb {
    pub dir: TempDir,
    pub path: PathBuf,
}

pub fn temp_db() -> TempDb {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("braid.db");
    TempDb { dir, path }
}

pub fn open(db: &TempDb) -> Store {
    Store::open(&db.path).unwrap()
}

pub fn new_run_id() -> String {
    ulid::Ulid::new().to_string()
}

/// A small workflow file (bytes) with `n` sim steps.
pub fn workflow_source(id: &str, n: usize) -> Vec<u8> {
    let steps: Vec<Value> = (0..n)
        .map(|i| json!({ "id": format!("s{i}"), "agent": { "kind": "sim", "duration_ms": 0 } }))
        .collect();
    serde_json::to_vec_pretty(&json!({ "format": "braid/1", "id": id, "steps": steps })).unwrap()
}

/// Records a run of a synthetic workflow `workflow_id` with `steps` steps.
pub fn create_run(store: &Store, run_id: &str, workflow_id: &str, steps: usize) -> String {
    let source = workflow_source(workflow_id, steps);
    store
        .create_run(&NewRun {
            run_id,
            workflow_id,
            workflow_name: Some("Synthetic"),
            workflow_source: &source,
            workflow_path: None,
            inputs: &JsonMap::new(),
            time_scale: 1.0,
            parent_run_id: None,
        })
        .unwrap()
}

/// Numbers events like an `EventBus` would.
pub struct Stamper {
    pub next: u64,
    pub at_ms: u64,
}

impl Stamper {
    pub fn new(at_ms: u64) -> Self {
        Stamper { next: 0, at_ms }
    }

    pub fn batch(&mut self, kinds: Vec<EventKind>) -> EventBatch {
        let at_ms = self.at_ms;
        kinds
            .into_iter()
            .map(|kind| {
                let e = Event {
                    seq: self.next,
                    at_ms,
                    kind,
                };
                self.next += 1;
                e
            })
            .collect()
    }

    /// Moves the clock on.
    pub fn tick(&mut self, ms: u64) {
        self.at_ms += ms;
    }
}

pub fn at(step: &str, attempt: u32) -> AttemptRef {
    AttemptRef {
        round: 1,
        step: step.into(),
        element: None,
        attempt,
    }
}

/// A whole synthetic run of `steps` steps in a chain, each with
/// `lines` output lines: the batches the engine would emit.
/// `steps * (6 + lines) + 2` events.
pub fn synthetic_run(
    run_id: &str,
    workflow_id: &str,
    steps: usize,
    lines: usize,
) -> Vec<EventBatch> {
    let mut s = Stamper::new(1_700_000_000_000);
    let mut batches = vec![s.batch(vec![EventKind::RunStarted {
        run_id: run_id.into(),
        workflow_id: workflow_id.into(),
        inputs: JsonMap::new(),
        time_scale: 1.0,
        concurrency: 4,
    }])];
    for i in 0..steps {
        let step = format!("s{i}");
        batches.push(s.batch(vec![
            EventKind::StepQueued { at: at(&step, 1) },
            EventKind::StepStarted { at: at(&step, 1) },
        ]));
        batches.push(s.batch(vec![EventKind::ProcessSpawned {
            at: at(&step, 1),
            pid: 1,
            pgid: 1,
        }]));
        for l in 0..lines {
            batches.push(s.batch(vec![EventKind::OutputLine {
                at: at(&step, 1),
                stream: Stream::Stdout,
                line: format!("line {l} of step {step}"),
            }]));
        }
        s.tick(10 + i as u64 % 7);
        let mut outputs = JsonMap::new();
        outputs.insert(format!("k{i}"), json!(i));
        batches.push(s.batch(vec![
            EventKind::AttemptEnded {
                at: at(&step, 1),
                exit_code: Some(0),
                stdout_tail: "done\n".into(),
                stderr_tail: String::new(),
                duration_ms: 10 + i as u64 % 7,
            },
            EventKind::StepSucceeded {
                recommendations: Vec::new(),
                errors: Vec::new(),
                at: at(&step, 1),
                outputs,
                score: Some(90.0),
                approved: Some(true),
            },
            EventKind::ContextWrite {
                round: 1,
                writer: step.clone(),
                key: format!("k{i}"),
                old: None,
                new: json!(i),
            },
        ]));
    }
    batches.push(s.batch(vec![EventKind::RunFinished {
        status: RunStatus::Succeeded,
        error: None,
    }]));
    batches
}

pub fn events_of(batches: &[EventBatch]) -> Vec<Event> {
    batches.iter().flat_map(|b| b.iter().cloned()).collect()
}

pub fn workflows_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../workflows")
        .canonicalize()
        .unwrap()
}

pub fn valid(bytes: &[u8]) -> Arc<braid_model::ValidWorkflow> {
    match load(bytes) {
        Validation::Valid(v) => Arc::new(*v),
        Validation::Invalid(d) => panic!("invalid: {d:#?}"),
    }
}

/// Runs a workflow with the store attached (create_run, writer subscribed
/// to the bus, writer as Durability); returns the outcome and the events a
/// second, independent subscriber saw live.
pub async fn run_with_store(
    store: &Store,
    writer: &braid_store::Writer,
    bytes: &[u8],
    dir: &Path,
    inputs: Value,
    time_scale: f64,
) -> (String, RunOutcome, Vec<Event>) {
    let valid = valid(bytes);
    let run_id = new_run_id();
    let inputs: JsonMap = serde_json::from_value(inputs).unwrap();
    store
        .create_run(&NewRun {
            run_id: &run_id,
            workflow_id: &valid.workflow().id,
            workflow_name: valid.workflow().name.as_deref(),
            workflow_source: bytes,
            workflow_path: None,
            inputs: &inputs,
            time_scale,
            parent_run_id: None,
        })
        .unwrap();
    let bus = EventBus::new();
    let mut live = bus.subscribe();
    writer.subscribe_to(&run_id, &bus);
    let mut request = RunRequest::new(valid, run_id.clone(), dir.to_path_buf(), inputs);
    // Approval steps (the blog's editor) are approved at once in a test.
    request.services.approvals = Some(std::sync::Arc::new(
        braid_engine::agents::approval::PresetDesk::approving("test"),
    ));
    request.time_scale = time_scale;
    request.default_concurrency = Some(4);
    request.durability = Some(writer.durability(&run_id));
    let outcome = tokio::spawn(run(request, bus.clone(), CancellationToken::new()))
        .await
        .unwrap()
        .expect("inputs accepted");
    drop(bus);
    let mut events = Vec::new();
    while let Ok(batch) = live.try_recv() {
        events.extend(batch.iter().cloned());
    }
    (run_id, outcome, events)
}
