//! Why a run did not start. Every variant means nothing was run.

use braid_model::diagnostic::Diagnostic;

use crate::gate::PendingApproval;

#[derive(Debug, Clone, thiserror::Error)]
pub enum Refusal {
    /// The request itself is wrong (unknown run, bad input, unreadable file, store trouble).
    #[error("{0}")]
    Usage(String),
    /// The workflow (or a sub-workflow it reaches) is invalid.
    #[error("{message}")]
    Invalid {
        message: String,
        /// The file the diagnostics are about.
        file: String,
        diagnostics: Vec<Diagnostic>,
    },
    /// The run is in a state that does not allow it (resuming a succeeded run).
    #[error("{0}")]
    NotAllowed(String),
    /// Files whose exact content has not been approved to run here.
    #[error("{} not been approved to run on this machine; nothing was run", names(.0))]
    Unapproved(Vec<PendingApproval>),
    /// Non-idempotent steps were mid-attempt when the run died: the user must
    /// say whether to run them again or skip them.
    #[error("non-idempotent steps were interrupted: {}", .0.join(", "))]
    Undecided(Vec<String>),
}

fn names(pending: &[PendingApproval]) -> String {
    match pending {
        [one] => format!("{} has", one.path),
        many => format!(
            "{} have",
            many.iter()
                .map(|p| p.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

pub(crate) fn store_error(e: braid_store::StoreError) -> Refusal {
    Refusal::Usage(format!("store: {e}"))
}
