//! Carrying out a prepared run from the terminal: braid-runtime does the
//! work (store attached, durable completions, cross-process cancel); this
//! adds the progress display and the signals that stop a run: Ctrl-C
//! (SIGINT), SIGTERM (what `timeout`, CI cancellation and systemd send) and
//! SIGHUP (the terminal closed) all cancel it — every process group killed,
//! the run recorded `cancelled` — and the exit status says which (128 + n).
//! A run that only waits for approvals is left waiting instead (nothing
//! runs that could be stopped; `braid approve` and `braid resume` go on).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use braid_engine::run::summary::RunSummary;
use braid_runtime::{Execution, Hooks, Observe};
use braid_store::Store;
use tokio_util::sync::CancellationToken;

use crate::output;
use crate::progress::Progress;

/// A run carried out, and the signal that stopped it, if one did.
pub struct Ran {
    pub summary: RunSummary,
    pub stopped_by: Option<StopSignal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    Interrupt,
    Terminate,
    HangUp,
}

impl StopSignal {
    /// The shell's convention: 128 + the signal's number (130 after Ctrl-C).
    pub fn exit_code(self) -> u8 {
        match self {
            StopSignal::Interrupt => 130,
            StopSignal::Terminate => 143,
            StopSignal::HangUp => 129,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "Ctrl-C",
            StopSignal::Terminate => "SIGTERM",
            StopSignal::HangUp => "SIGHUP",
        }
    }
}

/// Resolves with the first stop signal to arrive.
async fn stop_signal() -> StopSignal {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return StopSignal::Interrupt;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => StopSignal::Interrupt,
            _ = term.recv() => StopSignal::Terminate,
            _ = hup.recv() => StopSignal::HangUp,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        StopSignal::Interrupt
    }
}

pub fn execute(store: Arc<Store>, execution: Execution) -> Result<Ran, String> {
    if let Some(reviewed) = &execution.reviewed {
        for file in &reviewed.approved {
            output::note(&format!(
                "approved {} (sha256 {})",
                file.path,
                &file.hash[..12]
            ));
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let cancel = CancellationToken::new();
        let detach = CancellationToken::new();
        let waiting = Arc::new(AtomicBool::new(false));
        let stopped_by = Arc::new(std::sync::OnceLock::new());
        let watcher = {
            let (cancel, detach, waiting, stopped_by) = (
                cancel.clone(),
                detach.clone(),
                waiting.clone(),
                stopped_by.clone(),
            );
            tokio::spawn(async move {
                let signal = stop_signal().await;
                let _ = stopped_by.set(signal);
                if waiting.load(Ordering::SeqCst) {
                    // Nothing runs: leave the run waiting for its decision.
                    output::note(&format!("{}: leaving the run waiting…", signal.name()));
                    detach.cancel();
                } else {
                    output::note(&format!("{}: cancelling the run…", signal.name()));
                    cancel.cancel();
                }
            })
        };
        let valid = execution.valid.clone();
        let progress: Observe = Box::new(move |events| Progress::start(valid, events).task());
        let hooks = Hooks {
            cancel,
            detach,
            waiting,
            observers: vec![progress],
        };
        let summary = braid_runtime::execute(store, execution, hooks).await;
        watcher.abort();
        summary.map(|summary| Ran {
            summary,
            stopped_by: stopped_by.get().copied(),
        })
    })
}
