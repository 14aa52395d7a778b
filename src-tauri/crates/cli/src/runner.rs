//! Carrying out a prepared run from the terminal: braid-runtime does the
//! work (store attached, durable completions, cross-process cancel); this
//! adds the progress display and Ctrl-C.

use std::sync::Arc;

use braid_engine::run::summary::RunSummary;
use braid_runtime::{Execution, Hooks, Observe};
use braid_store::Store;
use tokio_util::sync::CancellationToken;

use crate::output;
use crate::progress::Progress;

pub fn execute(store: Arc<Store>, execution: Execution) -> Result<RunSummary, String> {
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
        let ctrl_c = {
            let cancel = cancel.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    cancel.cancel();
                }
            })
        };
        let valid = execution.valid.clone();
        let progress: Observe = Box::new(move |events| Progress::start(valid, events).task());
        let hooks = Hooks {
            cancel,
            observers: vec![progress],
        };
        let summary = braid_runtime::execute(store, execution, hooks).await;
        ctrl_c.abort();
        summary
    })
}
