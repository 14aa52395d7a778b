//! Following a run another process records (a `braid run` in a terminal,
//! or an app that is no more): its events are read from the store as they
//! are committed and sent on like a run of this app's own, ending with the
//! summary once the run ends. A run whose process died is noticed by the
//! store's recovery (run every few polls), which marks it interrupted.

use std::sync::Arc;
use std::time::Duration;

use braid_engine::events::RunStatus;
use braid_store::Store;
use tauri::ipc::Channel;

use crate::runs::RunUpdate;

/// How often the store is read for new events.
const POLL: Duration = Duration::from_millis(200);
/// Every this many polls, check whether the recording process still lives.
const RECOVER_EVERY: u32 = 10;

/// Streams run `run_id`'s events from sequence number `from` to `updates`
/// until the run ends (or the webview stops listening).
pub fn follow(store: Arc<Store>, run_id: String, from: u64, updates: Channel<RunUpdate>) {
    tauri::async_runtime::spawn(async move {
        let mut next = from;
        let mut polls = 0u32;
        loop {
            let (store2, id) = (store.clone(), run_id.clone());
            let step =
                tauri::async_runtime::spawn_blocking(move || poll(&store2, &id, next, polls))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r);
            let (events, ended) = match step {
                Ok(found) => found,
                Err(message) => {
                    let _ = updates.send(RunUpdate::Failed { message });
                    return;
                }
            };
            if let Some(last) = events.last() {
                next = last.seq + 1;
                if updates.send(RunUpdate::Events { events }).is_err() {
                    return; // nobody listens any more
                }
            }
            if ended {
                let summary = store.summary(&run_id).map_err(|e| format!("store: {e}"));
                let _ = updates.send(match summary {
                    Ok(summary) => RunUpdate::Finished {
                        summary: Box::new(summary),
                    },
                    Err(message) => RunUpdate::Failed { message },
                });
                return;
            }
            polls = polls.wrapping_add(1);
            tokio::time::sleep(POLL).await;
        }
    });
}

/// New events, and whether the run had ended before they were read (the
/// status is read first, so an end seen here comes with every event
/// committed before it).
fn poll(
    store: &Store,
    run_id: &str,
    next: u64,
    polls: u32,
) -> Result<(Vec<braid_engine::events::Event>, bool), String> {
    let e = |e: braid_store::StoreError| format!("store: {e}");
    if polls % RECOVER_EVERY == RECOVER_EVERY - 1 {
        store.recover().map_err(e)?;
    }
    let status = store.run(run_id).map_err(e)?.status;
    let events = store.run_events_from(run_id, next).map_err(e)?;
    // A waiting run goes on when someone decides (here, or `braid approve`).
    Ok((
        events,
        !matches!(status, RunStatus::Running | RunStatus::Waiting),
    ))
}
