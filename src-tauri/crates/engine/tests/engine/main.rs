//! Integration tests of braid-engine, one binary with a module per area.

mod fixtures;
mod hostile;
mod properties;
mod roundtrip;
