//! Exit statuses, per `docs/spec/cli.md`.

pub const SUCCESS: u8 = 0;
/// The workflow is invalid, or a run ended in any status but `succeeded`.
pub const FAILURE: u8 = 1;
/// Bad usage, an unreadable file, or a store error.
pub const USAGE: u8 = 2;
