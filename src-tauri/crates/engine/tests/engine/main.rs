//! Integration tests of braid-engine, one binary with a module per area.

mod fixtures;
mod hostile;
mod plan_vs_run;
mod process;
mod properties;
mod roundtrip;
mod run;
mod services;
mod step_status;
