//! Carrying out one run — fresh, resumed or re-run — with the store
//! attached: the run row is created (or claimed) first, the store's writer
//! subscribes to the event stream and makes completions durable before
//! downstream work starts, a cancel requested from another process (through
//! the store) or through [`Hooks::cancel`] (Ctrl-C, the app's Cancel button)
//! stops the run, and the final summary is read back from the store, so what
//! a front end shows at the end is exactly what was recorded.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use braid_engine::bus::{EventBatch, EventBus};
use braid_engine::run::driver::{RunRequest, RunServices, run};
use braid_engine::run::machine::Prior;
use braid_engine::run::summary::RunSummary;
use braid_engine::services::{SubRunAttached, SubRunInfo, SubRuns};
use braid_model::ValidWorkflow;
use braid_model::model::JsonMap;
use braid_store::{NewRun, Store, Writer};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::gate::Reviewed;

/// How often a running process checks the store for a cancel request.
const CANCEL_POLL: Duration = Duration::from_millis(250);

pub struct Execution {
    pub valid: Arc<ValidWorkflow>,
    /// The workflow file as run, byte for byte (stored with the run).
    pub workflow_source: Vec<u8>,
    pub workflow_dir: PathBuf,
    /// Where the workflow file was (recorded so `resume`/`rerun` can find its folder).
    pub workflow_path: Option<PathBuf>,
    pub run_id: String,
    /// Already resolved against the workflow (defaults filled).
    pub inputs: JsonMap,
    pub time_scale: f64,
    pub prior: Prior,
    /// Continue an existing run (already claimed) instead of creating one.
    pub resumed: bool,
    /// The sub-workflow files reviewed (and approved) for this run.
    pub reviewed: Option<Reviewed>,
}

/// A consumer of the run's events (a progress display, the app's channel to
/// the webview): given the stream before the first event, it returns the
/// task draining it, which the run waits for — the stream ends with the run.
pub type Observe = Box<dyn FnOnce(UnboundedReceiver<EventBatch>) -> JoinHandle<()> + Send>;

/// How a front end takes part in a run.
#[derive(Default)]
pub struct Hooks {
    /// Cancelled by the front end to stop the run (Ctrl-C, a Cancel button).
    pub cancel: CancellationToken,
    /// Cancelled by the front end to leave a run that only waits for
    /// approvals: the process stops following it and the run stays
    /// `waiting` (`braid approve`, then `braid resume`, continue it). If the
    /// run is not waiting at that moment, it is cancelled instead.
    pub detach: CancellationToken,
    /// Whether the run is waiting for approvals and nothing else, kept
    /// current by the run (front ends read it to choose detach or cancel).
    pub waiting: Arc<AtomicBool>,
    pub observers: Vec<Observe>,
}

/// Sub-workflow runs recorded in the store: a run row linked to its parent
/// (`parent_run_id`), its events stored by the same writer, its completions
/// made durable like the parent's.
struct StoreSubRuns {
    store: Arc<Store>,
    writer: Arc<Writer>,
}

impl SubRuns for StoreSubRuns {
    fn attach(&self, info: &SubRunInfo, bus: &Arc<EventBus>) -> Result<SubRunAttached, String> {
        let run_id = ulid::Ulid::new().to_string();
        let workflow = info.valid.workflow();
        self.store
            .create_run(&NewRun {
                run_id: &run_id,
                workflow_id: &workflow.id,
                workflow_name: workflow.name.as_deref(),
                workflow_source: &info.source,
                workflow_path: Some(&info.path),
                inputs: &info.inputs,
                time_scale: info.time_scale,
                parent_run_id: Some(&info.parent_run_id),
            })
            .map_err(|e| format!("store: {e}"))?;
        self.writer.subscribe_to(&run_id, bus);
        let durability = self.writer.durability(&run_id);
        Ok(SubRunAttached {
            run_id,
            durability: Some(durability),
        })
    }
}

/// Runs `x` to the end and returns its summary as recorded. `Err` only when
/// the store could not record it or the run could not start.
pub async fn execute(store: Arc<Store>, x: Execution, hooks: Hooks) -> Result<RunSummary, String> {
    let store_error = |e: braid_store::StoreError| format!("store: {e}");
    let bus = EventBus::new();
    if x.resumed {
        let last = store.last_seq(&x.run_id).map_err(store_error)?;
        bus.start_seq_at(last.map_or(0, |s| s + 1));
    } else {
        let workflow = x.valid.workflow();
        store
            .create_run(&NewRun {
                run_id: &x.run_id,
                workflow_id: &workflow.id,
                workflow_name: workflow.name.as_deref(),
                workflow_source: &x.workflow_source,
                inputs: &x.inputs,
                time_scale: x.time_scale,
                parent_run_id: None,
                workflow_path: x.workflow_path.as_deref(),
            })
            .map_err(store_error)?;
    }
    let writer = Arc::new(store.writer().map_err(store_error)?);
    writer.subscribe_to(&x.run_id, &bus);
    let observers: Vec<JoinHandle<()>> = hooks
        .observers
        .into_iter()
        .map(|observe| observe(bus.subscribe()))
        .collect();

    let cancel = hooks.cancel;
    let watcher = store_cancel(store.clone(), x.run_id.clone(), cancel.clone());
    let waiting_tracker = track_waiting(bus.subscribe(), hooks.waiting.clone());
    let sub_runs: Arc<dyn SubRuns> = Arc::new(StoreSubRuns {
        store: store.clone(),
        writer: writer.clone(),
    });
    let (files, stack) = match x.reviewed {
        Some(reviewed) => (Some(reviewed.files), reviewed.stack),
        None => (None, Vec::new()),
    };
    let request = RunRequest {
        time_scale: x.time_scale,
        durability: Some(writer.durability(&x.run_id)),
        prior: x.prior,
        resumed: x.resumed,
        services: RunServices {
            sub_runs: Some(sub_runs),
            approvals: Some(store.clone()),
            files,
            stack,
            ..RunServices::default()
        },
        ..RunRequest::new(x.valid.clone(), x.run_id.clone(), x.workflow_dir, x.inputs)
    };
    // Spawned, so the scheduler loop runs on a worker thread, not block_on's.
    let mut task = tokio::spawn(run(request, bus.clone(), cancel.clone()));
    let outcome = tokio::select! {
        outcome = &mut task => outcome.expect("the run task does not panic").map(drop),
        () = hooks.detach.cancelled() => {
            if hooks.waiting.load(Ordering::SeqCst) {
                // Nothing runs but approval polls: stop following the run.
                task.abort();
                let _ = task.await;
                Ok(())
            } else {
                cancel.cancel();
                task.await.expect("the run task does not panic").map(drop)
            }
        }
    };
    watcher.abort();
    waiting_tracker.abort();
    drop(bus);
    for observer in observers {
        let _ = observer.await;
    }
    writer.flush().await.map_err(store_error)?;
    // The sub-run hook held the other handles; the run is over, so they are
    // gone (if one lingered, the flush above already committed everything).
    if let Ok(writer) = Arc::try_unwrap(writer) {
        tokio::task::spawn_blocking(move || writer.close())
            .await
            .expect("closing the writer does not panic")
            .map_err(store_error)?;
    }
    outcome.map_err(|e| format!("{e}; nothing was run"))?;
    // Cache the run's digest for trend reports; a failure here only costs a
    // recomputation later.
    if let Err(e) = store.digest(&x.run_id) {
        tracing::warn!(run_id = %x.run_id, "could not cache the run digest: {e}");
    }
    store.summary(&x.run_id).map_err(store_error)
}

/// Keeps `waiting` equal to the run's last `RunWaiting`.
fn track_waiting(
    mut events: UnboundedReceiver<EventBatch>,
    waiting: Arc<AtomicBool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(batch) = events.recv().await {
            for event in batch.iter() {
                if let braid_engine::events::EventKind::RunWaiting { waiting: w } = event.kind {
                    waiting.store(w, Ordering::SeqCst);
                }
            }
        }
    })
}

/// `braid cancel` (or the app) in another process sets a flag in the store; notice it.
fn store_cancel(
    store: Arc<Store>,
    run_id: String,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(CANCEL_POLL).await;
            let store = store.clone();
            let id = run_id.clone();
            let requested =
                tokio::task::spawn_blocking(move || store.cancel_requested(&id).unwrap_or(false))
                    .await
                    .unwrap_or(false);
            if requested {
                cancel.cancel();
                return;
            }
        }
    })
}
