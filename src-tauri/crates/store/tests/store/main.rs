//! braid-store integration tests: every query on a temporary database
//! file, a real engine run stored through the writer, eight processes
//! writing to one file, crash recovery, migrations, and 10,000 runs.

mod concurrency;
mod engine;
mod migrations;
mod queries;
mod recovery;
mod scale;
mod support;
mod writer;
