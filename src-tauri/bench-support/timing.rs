//! Timing helpers shared by the benches of several crates (included with
//! `#[path]`, so no crate has to exist just for them).

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

/// Median wall time of `iterations` runs (after one warm-up), each future
/// spawned onto the runtime so it runs on a worker thread.
pub fn median_async<F, Fut>(runtime: &Runtime, iterations: usize, mut make: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut times = Vec::with_capacity(iterations);
    for i in 0..=iterations {
        let future = make();
        let start = Instant::now();
        runtime.block_on(async { tokio::spawn(future).await.unwrap() });
        if i > 0 {
            times.push(start.elapsed());
        }
    }
    median(times)
}

/// The middle sample (the upper one of an even count).
pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}
