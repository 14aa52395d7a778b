//! Step durations from the store for the planner, cached. The editor
//! re-plans after every edit; asking SQLite for every step each time would
//! cost a query per step per keystroke on a large workflow. Instead, one
//! query per plan checks whether any run started or finished since (in
//! this app or a `braid` process) and only then forgets the cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use braid_engine::plan::History;
use braid_store::Store;

#[derive(Default)]
pub struct CachedHistory {
    store: Option<Arc<Store>>,
    durations: Mutex<HashMap<(String, String, bool), Option<u64>>>,
    /// The newest run (id, status, finish) when the cache was filled.
    seen: Mutex<Option<(String, String, Option<u64>)>>,
}

impl CachedHistory {
    pub fn new(store: Option<Arc<Store>>) -> Self {
        Self {
            store,
            durations: Mutex::default(),
            seen: Mutex::default(),
        }
    }

    /// Forgets everything (a run finished: medians may have moved).
    pub fn clear(&self) {
        self.durations.lock().expect("history lock").clear();
    }

    /// Clears the cache if the store has a run it has not seen, or the
    /// newest run changed state. Call before planning.
    pub fn sync(&self) {
        let Some(store) = &self.store else { return };
        let newest = store
            .list_runs(None, None, 1)
            .ok()
            .and_then(|runs| runs.into_iter().next())
            .map(|r| (r.run_id, r.status.as_str().to_string(), r.finished_at_ms));
        let mut seen = self.seen.lock().expect("history lock");
        if *seen != newest {
            self.clear();
            *seen = newest;
        }
    }
}

impl History for CachedHistory {
    fn duration_ms(&self, workflow_id: &str, step_id: &str, time_scaled: bool) -> Option<u64> {
        let store = self.store.as_ref()?;
        let key = (workflow_id.to_string(), step_id.to_string(), time_scaled);
        if let Some(known) = self.durations.lock().expect("history lock").get(&key) {
            return *known;
        }
        let found = store.duration_ms(workflow_id, step_id, time_scaled);
        self.durations
            .lock()
            .expect("history lock")
            .insert(key, found);
        found
    }
}
