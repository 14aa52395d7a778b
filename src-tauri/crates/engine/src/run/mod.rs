//! Running workflows: the pure scheduler ([`machine`]), group aggregation
//! ([`aggregate`]), run inputs ([`inputs`]), the tokio driver that carries
//! the scheduler's effects out with real agents ([`driver`]), and the
//! summary of a run folded from its events ([`summary`]).

pub mod aggregate;
pub mod driver;
pub mod inputs;
pub mod machine;
pub mod sub_workflow;
pub mod summary;
