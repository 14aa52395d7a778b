//! Tauri commands, one file per area. Each one parses its request, calls the
//! engine (through `workflow_io`/`session`) and maps the error. No logic.

pub mod analytics;
pub mod notify;
pub mod runs;
pub mod session;
pub mod trust;
pub mod workflows;
