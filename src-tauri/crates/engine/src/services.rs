//! What a run offers beyond its inputs, shared by the driver, the agents
//! and sub-workflow runs: resolved secrets, the hook that records sub-runs,
//! the approved sub-workflow files, and the durability a store provides.
//! Types only: the driver and the agents both depend on this module, so
//! neither has to depend on the other.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use crate::bus::EventBus;
use crate::events::AttemptRef;
use crate::model::JsonMap;
use crate::secrets::RunSecrets;
use crate::validate::ValidWorkflow;

/// Something that makes events durable (the store's writer). The driver
/// waits on it after a step completes and before anything downstream
/// starts, so a crash can never lose a completion that downstream work
/// already depends on.
pub trait Durability: Send + Sync {
    /// Resolves once every event up to and including `seq` is durable.
    fn durable(&self, seq: u64) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
}

/// What a run offers its service agents. All optional: the default
/// resolves secrets from the keychain then the environment, and runs
/// sub-workflows without recording them anywhere.
#[derive(Clone, Default)]
pub struct RunServices {
    /// Secrets already resolved (a sub-run shares its parent's, and so its
    /// masker); `None`: a fresh set from [`default_source`].
    pub secrets: Option<Arc<RunSecrets>>,
    /// Records sub-workflow runs (the CLI: as runs in the store, linked to
    /// this one).
    pub sub_runs: Option<Arc<dyn SubRuns>>,
    /// Sub-workflow files the caller read and approved, by canonical path:
    /// when set, a `workflow` step runs exactly these bytes rather than
    /// reading the file again (it may have changed since it was reviewed),
    /// and refuses any file not among them. `None`: read from disk.
    pub files: Option<Arc<HashMap<PathBuf, Arc<[u8]>>>>,
    /// Where `approval` steps wait for people's decisions (the store).
    pub approvals: Option<Arc<dyn crate::agents::approval::ApprovalDesk>>,
    /// How deep this run is nested in sub-workflow steps (0: top level).
    pub depth: u32,
    /// The workflow files of the enclosing runs, outermost first (a backstop
    /// against recursion that validation did not see).
    pub stack: Vec<PathBuf>,
}

/// A sub-run about to start, for [`SubRuns::attach`].
#[derive(Clone)]
pub struct SubRunInfo {
    pub parent_run_id: String,
    /// The parent's step (and attempt) running it.
    pub step: AttemptRef,
    pub valid: Arc<ValidWorkflow>,
    /// The sub-workflow file as run, byte for byte.
    pub source: Arc<[u8]>,
    /// Its absolute path.
    pub path: PathBuf,
    /// Inputs as given (before defaults).
    pub inputs: JsonMap,
    pub time_scale: f64,
}

/// How a recorded sub-run is identified and made durable.
pub struct SubRunAttached {
    pub run_id: String,
    pub durability: Option<Arc<dyn Durability>>,
}

/// Records sub-workflow runs. Called (off the async threads) once per
/// attempt of a `workflow` step, before the sub-run emits anything.
pub trait SubRuns: Send + Sync {
    /// Creates the child run (linked to its parent) and subscribes whatever
    /// records it to `bus`. An error fails the step.
    fn attach(&self, info: &SubRunInfo, bus: &Arc<EventBus>) -> Result<SubRunAttached, String>;
}
