//! # braid-model
//!
//! The lowest layer of Braid: the workflow file format as Rust types
//! ([`model`]), the strict reader and canonical writer ([`parse`],
//! [`canonical`]), placeholders and the secret-name grammar ([`template`]),
//! URL templates ([`url_template`]), and validation into a
//! [`validate::ValidWorkflow`] or a list of [`diagnostic::Diagnostic`]s.
//!
//! Nothing here runs anything: no tokio, no agents, no keychain, no SQLite.
//! Everything above — the engine, analytics, the store, the CLI and the app —
//! depends on this crate, never the reverse. `ValidWorkflow` can only be made
//! by the validator, so every layer above may assume an acyclic graph with
//! unique ids, no dangling edges and sound settings.

pub mod canonical;
pub mod diagnostic;
pub mod human;
pub mod model;
pub mod parse;
pub mod template;
pub mod url_template;
pub mod validate;

pub use diagnostic::{Code, Diagnostic, Severity};
pub use model::{Layout, Workflow};
pub use validate::{ValidWorkflow, Validation, load, validate};
