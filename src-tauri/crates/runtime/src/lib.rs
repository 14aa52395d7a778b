//! braid-runtime: carrying out a run with the store attached — the one path
//! the `braid` CLI and the desktop app share, so a run started from either
//! is recorded, cancelled, resumed and re-run the same way.
//!
//! - [`read`]: reading a workflow file within the loader's size limit.
//! - [`gate`]: import quarantine — which files need approval before they run.
//! - [`start`]: preparing a fresh run, a resume, or a rerun from a step.
//! - [`execute`]: running it with the store's writer subscribed.
//! - [`analysis`]: reports on stored runs.
//! - [`decide`]: a person's decision on a waiting approval step.
//!
//! Nothing here prints: failures are typed ([`Refusal`]) and each front end
//! words them its own way.

pub mod analysis;
pub mod decide;
pub mod execute;
pub mod gate;
mod prior;
pub mod read;
pub mod refusal;
pub mod rerun;
pub mod resume;
pub mod start;

pub use execute::{Execution, Hooks, Observe, execute};
pub use gate::{PendingApproval, Reviewed};
pub use refusal::Refusal;
