//! # braid-engine
//!
//! Braid's core, with no UI and no database: the workflow file format as Rust
//! types ([`model`]), the strict reader and canonical writer ([`parse`],
//! [`canonical`]), validation into a [`validate::ValidWorkflow`] or a list of
//! [`diagnostic::Diagnostic`]s, and the planner ([`plan`]) that predicts a
//! run's schedule and critical path.
//!
//! Data flows one way: bytes → `Workflow` → `ValidWorkflow` → `Plan` (and,
//! later, a run's events). `ValidWorkflow` can only be made by the validator,
//! so everything downstream may assume an acyclic graph with unique ids, no
//! dangling edges and sound settings.
//!
//! This crate deliberately knows nothing of Tauri or SQLite: the desktop app
//! and the store depend on it, never the reverse, so it builds and tests
//! without webkit.

pub mod agents;
pub mod bus;
pub mod events;
pub mod plan;
pub mod run;
pub mod secrets;
pub mod services;
pub mod trust;

// The layer below, under the names this crate's modules use for it.
use braid_model::{model, template, url_template, validate};

pub mod rng;
