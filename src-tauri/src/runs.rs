//! Runs started from the app: prepared and executed by braid-runtime in this
//! process, recorded in the same store as the CLI, with every event batch
//! forwarded to the webview over the run's Tauri Channel.
//!
//! Forwarding coalesces: after sending, it waits one frame (16 ms) and
//! sends everything that arrived meanwhile as one message, so a burst of
//! thousands of events per second becomes ~60 messages per second and
//! nothing is dropped. The last message is the summary read back from the
//! store — the state the canvas must end in.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use braid_engine::bus::EventBatch;
use braid_engine::events::Event;
use braid_engine::run::summary::RunSummary;
use braid_runtime::{Execution, Hooks, Observe, PendingApproval};
use braid_store::Store;

use crate::history::CachedHistory;
use serde::Serialize;
use tauri::ipc::Channel;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;

/// One frame: the longest an event waits before it is sent on.
const FRAME: Duration = Duration::from_millis(16);

/// What the webview hears about a run, in order.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RunUpdate {
    /// Events in sequence order.
    Events { events: Vec<Event> },
    /// The run ended; its summary as recorded in the store.
    Finished { summary: Box<RunSummary> },
    /// The run could not be carried out (the store failed, the engine refused).
    Failed { message: String },
}

/// The answer to a request to start, resume or rerun.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RunStart {
    Started {
        run_id: String,
        /// Node ids whose results were carried over (rerun).
        reused: Vec<String>,
    },
    /// Nothing ran: these files must be reviewed and approved first.
    NeedsApproval { files: Vec<PendingApproval> },
    /// Nothing ran: non-idempotent steps were mid-attempt (resume); ask
    /// whether to run them again or skip them.
    NeedsDecision { steps: Vec<String> },
}

/// The store (opened once at launch) and the runs going on in this process.
pub struct Runs {
    store: Result<Arc<Store>, String>,
    /// Handles of the runs going on in this process.
    active: Arc<Mutex<HashMap<String, Active>>>,
    /// Step durations for predictions; cleared when a run ends.
    history: Arc<CachedHistory>,
}

/// A run this process follows: how to cancel it, how to leave it waiting.
#[derive(Clone)]
struct Active {
    cancel: CancellationToken,
    detach: CancellationToken,
    waiting: Arc<AtomicBool>,
}

impl Active {
    /// On quit: a run that only waits for a person is left waiting (it goes
    /// on with `braid resume` or the next launch); any other is cancelled.
    fn stop_for_quit(&self) {
        if self.waiting.load(Ordering::SeqCst) {
            self.detach.cancel();
        } else {
            self.cancel.cancel();
        }
    }
}

impl Runs {
    pub fn new(store: Result<Arc<Store>, String>) -> Self {
        if let Err(e) = &store {
            tracing::error!("runs are unavailable: {e}");
        }
        let history = Arc::new(CachedHistory::new(store.as_ref().ok().cloned()));
        Self {
            store,
            active: Arc::default(),
            history,
        }
    }

    pub fn store(&self) -> Result<Arc<Store>, String> {
        self.store.clone()
    }

    /// Recent step durations for the planner.
    pub fn history(&self) -> Arc<CachedHistory> {
        self.history.clone()
    }

    /// Starts a prepared run in the background; returns its id at once.
    pub fn launch(
        &self,
        execution: Execution,
        updates: Channel<RunUpdate>,
    ) -> Result<String, String> {
        let store = self.store()?;
        let run_id = execution.run_id.clone();
        let handles = Active {
            cancel: CancellationToken::new(),
            detach: CancellationToken::new(),
            waiting: Arc::new(AtomicBool::new(false)),
        };
        self.active
            .lock()
            .expect("runs lock")
            .insert(run_id.clone(), handles.clone());
        let forward = updates.clone();
        // Called inside `execute`, on the async runtime.
        let observe: Observe =
            Box::new(move |events| tokio::spawn(forward_events(events, forward)));
        let hooks = Hooks {
            cancel: handles.cancel,
            detach: handles.detach,
            waiting: handles.waiting,
            observers: vec![observe],
        };
        let active = self.active.clone();
        let history = self.history.clone();
        let id = run_id.clone();
        tauri::async_runtime::spawn(async move {
            let outcome = braid_runtime::execute(store, execution, hooks).await;
            active.lock().expect("runs lock").remove(&id);
            history.clear();
            let _ = updates.send(match outcome {
                Ok(summary) => RunUpdate::Finished {
                    summary: Box::new(summary),
                },
                Err(message) => RunUpdate::Failed { message },
            });
        });
        Ok(run_id)
    }

    /// Cancels every run of this process (leaving those that only wait for
    /// a person waiting) and waits (up to `grace`) until each has recorded
    /// its end.
    pub fn shutdown(&self, grace: Duration) {
        let runs: Vec<Active> = self
            .active
            .lock()
            .expect("runs lock")
            .values()
            .cloned()
            .collect();
        if runs.is_empty() {
            return;
        }
        for run in &runs {
            run.stop_for_quit();
        }
        let deadline = std::time::Instant::now() + grace;
        while !self.active.lock().expect("runs lock").is_empty()
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Cancels a run: at once if it runs in this process, and through the
    /// store for a run of another process (the CLI notices within 250 ms).
    pub fn cancel(&self, run_id: &str) -> Result<(), String> {
        if let Some(run) = self.active.lock().expect("runs lock").get(run_id) {
            run.cancel.cancel();
        }
        self.store()?
            .request_cancel(run_id)
            .map_err(|e| format!("store: {e}"))
    }
}

/// Drains the run's event stream into the channel, one message per frame at most.
async fn forward_events(mut events: UnboundedReceiver<EventBatch>, updates: Channel<RunUpdate>) {
    while let Some(first) = events.recv().await {
        let mut batch: Vec<Event> = first.to_vec();
        tokio::time::sleep(FRAME).await;
        while let Ok(more) = events.try_recv() {
            batch.extend(more.iter().cloned());
        }
        if updates.send(RunUpdate::Events { events: batch }).is_err() {
            // The webview went away (reload, closed window): keep draining so
            // the run is unaffected; the store still records everything.
            while events.recv().await.is_some() {}
            return;
        }
    }
}
