//! The one writer: a dedicated thread that owns a connection and turns
//! event batches into transactions.
//!
//! Batches arrive on a channel (from [`Writer::ingest`]) or straight from
//! an [`EventBus`] subscription the thread polls itself
//! ([`Writer::subscribe_to`]: one cross-thread wake per engine batch, no
//! forwarding task in between). The thread commits everything queued in
//! one `BEGIN IMMEDIATE` transaction:
//!
//! - at once when something queued is *urgent* — a step or run completion,
//!   a process spawn, a run boundary — or a [`Durability`] waiter asked;
//! - otherwise after lingering at most [`LINGER`] for more (output lines
//!   and queue/start events ride along with the next commit);
//! - and while it commits, new batches pile up and go into the next
//!   transaction together: under load, transactions grow instead of
//!   queueing fsyncs (group commit).
//!
//! After each commit it publishes, per run, the highest committed sequence
//! number through a `tokio::sync::watch`; [`RunDurability`] (the engine's
//! [`Durability`]) waits on it.

use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::Duration;

use braid_engine::bus::{EventBatch, EventBus};
use braid_engine::run::driver::Durability;
use rusqlite::Connection;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use crate::error::{Result, StoreError};
use crate::{db, ingest, liveness};

/// The longest a non-urgent event waits before it is committed.
pub const LINGER: Duration = Duration::from_millis(5);
/// A transaction is committed once this many events are queued, urgent or not.
const MAX_BATCH_EVENTS: usize = 20_000;

/// What the writer has made durable for one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Committed {
    /// One past the highest committed sequence number (0: nothing yet).
    pub next_seq: u64,
    /// The writer stopped or failed: nothing more will be committed, and
    /// waiters are released rather than left hanging.
    pub gave_up: bool,
}

impl Committed {
    /// Whether `seq` is committed (or will never be).
    pub fn covers(&self, seq: u64) -> bool {
        self.gave_up || self.next_seq > seq
    }
}

/// How hard a commit waits for the disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// `synchronous=FULL`: the WAL is fsynced at every commit; a committed
    /// event survives power loss. The default.
    #[default]
    Full,
    /// `synchronous=NORMAL`: no fsync at commit (only at checkpoints); a
    /// committed event survives the process dying, not the machine losing
    /// power. Each commit is then CPU-bound (tens of µs, not an fsync).
    Normal,
}

/// Options of [`crate::Store::writer_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterOptions {
    pub synchronous: Synchronous,
}

/// Counts, for tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Events received and applied (duplicates included).
    pub events: u64,
    /// Events skipped because their (run, seq) was already stored.
    pub duplicates: u64,
    /// Committed transactions.
    pub transactions: u64,
    /// Time spent inside transactions (applying events and committing).
    pub commit_time: Duration,
}

enum Cmd {
    Batch(Arc<str>, EventBatch),
    Attach(Arc<str>, UnboundedReceiver<EventBatch>),
    /// Commit what is queued now; reply once it is (or failed).
    Flush(Option<oneshot::Sender<()>>),
    Close,
}

struct Shared {
    watches: Mutex<HashMap<Arc<str>, watch::Sender<Committed>>>,
    gave_up: AtomicBool,
    first_error: Mutex<Option<String>>,
    errors: AtomicU64,
}

impl Shared {
    fn watch(&self, run: &str) -> watch::Receiver<Committed> {
        let mut watches = self.watches.lock().expect("writer watches");
        if let Some(tx) = watches.get(run) {
            return tx.subscribe();
        }
        let (tx, rx) = watch::channel(Committed {
            next_seq: 0,
            gave_up: self.gave_up.load(Ordering::Acquire),
        });
        watches.insert(Arc::from(run), tx);
        rx
    }

    fn error(&self) -> Option<StoreError> {
        let first = self.first_error.lock().expect("writer error").clone()?;
        Some(StoreError::Writer {
            message: first,
            more: self.errors.load(Ordering::Relaxed).saturating_sub(1),
        })
    }

    /// Releases every waiter: the writer will commit nothing more.
    fn give_up(&self) {
        self.gave_up.store(true, Ordering::Release);
        for tx in self.watches.lock().expect("writer watches").values() {
            tx.send_modify(|c| c.gave_up = true);
        }
    }
}

/// Handle to the writer thread. Send + Sync: share it behind an `Arc`.
/// Dropping it closes the writer like [`Writer::close`], discarding the result.
pub struct Writer {
    cmd: UnboundedSender<Cmd>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<WriterStats>>,
}

impl Writer {
    pub(crate) fn start(conn: Connection, path: PathBuf) -> Result<Writer> {
        let (cmd, rx) = unbounded_channel();
        let shared = Arc::new(Shared {
            watches: Mutex::new(HashMap::new()),
            gave_up: AtomicBool::new(false),
            first_error: Mutex::new(None),
            errors: AtomicU64::new(0),
        });
        let state = Loop {
            conn,
            path,
            rx,
            lanes: Vec::new(),
            pending: Vec::new(),
            pending_events: 0,
            since: None,
            urgent: false,
            replies: Vec::new(),
            closing: false,
            shared: shared.clone(),
            stats: WriterStats::default(),
            owner: liveness::current(),
        };
        let thread = std::thread::Builder::new()
            .name("braid-store-writer".into())
            .spawn(move || state.run_thread())
            .map_err(|e| StoreError::io("writer thread", e))?;
        Ok(Writer {
            cmd,
            shared,
            thread: Some(thread),
        })
    }

    /// Queues a batch of one run's events (in sequence order). Never blocks.
    pub fn ingest(&self, run_id: &str, batch: EventBatch) {
        let _ = self.cmd.send(Cmd::Batch(Arc::from(run_id), batch));
    }

    /// Subscribes to `bus` and stores everything it emits from now on as
    /// events of `run_id`. The writer thread polls the subscription itself;
    /// it ends when the bus is dropped.
    pub fn subscribe_to(&self, run_id: &str, bus: &EventBus) {
        let rx = bus.subscribe();
        let _ = self.cmd.send(Cmd::Attach(Arc::from(run_id), rx));
    }

    /// The engine's [`Durability`] for one run: `durable(seq)` resolves once
    /// that run's events up to `seq` are committed.
    pub fn durability(&self, run_id: &str) -> Arc<RunDurability> {
        Arc::new(RunDurability {
            rx: self.shared.watch(run_id),
            cmd: self.cmd.clone(),
        })
    }

    /// What is committed for a run, as it changes.
    pub fn watch(&self, run_id: &str) -> watch::Receiver<Committed> {
        self.shared.watch(run_id)
    }

    /// Resolves once every event of `run_id` up to `seq` is committed (or the
    /// writer gave up).
    pub fn durable(&self, run_id: &str, seq: u64) -> impl Future<Output = ()> + Send + 'static {
        self.durability(run_id).durable(seq)
    }

    /// Commits everything queued or already emitted on subscribed buses,
    /// and reports the first error the writer has met so far.
    pub async fn flush(&self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        if self.cmd.send(Cmd::Flush(Some(tx))).is_ok() {
            let _ = rx.await;
        }
        self.shared.error().map_or(Ok(()), Err)
    }

    /// [`Writer::flush`] for code outside an async runtime (blocks).
    pub fn flush_blocking(&self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        if self.cmd.send(Cmd::Flush(Some(tx))).is_ok() {
            let _ = rx.blocking_recv();
        }
        self.shared.error().map_or(Ok(()), Err)
    }

    /// Commits everything queued (and everything already emitted on
    /// subscribed buses), stops the thread and joins it. Returns the first
    /// error the writer met, if any (it was also printed to stderr once).
    /// Blocks for the final commit.
    pub fn close(mut self) -> Result<WriterStats> {
        let stats = self.stop();
        match self.shared.error() {
            Some(e) => Err(e),
            None => Ok(stats),
        }
    }

    fn stop(&mut self) -> WriterStats {
        let Some(thread) = self.thread.take() else {
            return WriterStats::default();
        };
        let _ = self.cmd.send(Cmd::Close);
        match thread.join() {
            Ok(stats) => stats,
            Err(_) => {
                record_error(&self.shared, "the writer thread panicked");
                self.shared.give_up();
                WriterStats::default()
            }
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// [`Durability`] for one run, from [`Writer::durability`].
pub struct RunDurability {
    rx: watch::Receiver<Committed>,
    cmd: UnboundedSender<Cmd>,
}

impl Durability for RunDurability {
    fn durable(&self, seq: u64) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        if self.rx.borrow().covers(seq) {
            return Box::pin(std::future::ready(()));
        }
        // Whatever is queued, commit it now rather than after the linger.
        let _ = self.cmd.send(Cmd::Flush(None));
        let mut rx = self.rx.clone();
        Box::pin(async move {
            let _ = rx.wait_for(|c| c.covers(seq)).await;
        })
    }
}

fn record_error(shared: &Shared, message: &str) {
    if shared.errors.fetch_add(1, Ordering::Relaxed) == 0 {
        eprintln!("braid-store: {message} (further store errors are not shown)");
        *shared.first_error.lock().expect("writer error") = Some(message.to_string());
    }
}

struct Lane {
    run: Arc<str>,
    rx: UnboundedReceiver<EventBatch>,
}

/// The writer thread's state.
struct Loop {
    conn: Connection,
    path: PathBuf,
    rx: UnboundedReceiver<Cmd>,
    lanes: Vec<Lane>,
    pending: Vec<(Arc<str>, EventBatch)>,
    pending_events: usize,
    /// When the oldest queued batch arrived.
    since: Option<Instant>,
    urgent: bool,
    replies: Vec<oneshot::Sender<()>>,
    closing: bool,
    shared: Arc<Shared>,
    stats: WriterStats,
    owner: (u32, Option<&'static str>),
}

impl Loop {
    fn run_thread(mut self) -> WriterStats {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build();
        match runtime {
            Ok(runtime) => runtime.block_on(self.run()),
            Err(e) => record_error(&self.shared, &format!("cannot start the writer: {e}")),
        }
        // Nothing more will be committed: release anyone still waiting.
        self.shared.give_up();
        for reply in self.replies.drain(..) {
            let _ = reply.send(());
        }
        self.stats
    }

    async fn run(&mut self) {
        loop {
            if self.closing {
                self.drain_now();
                self.commit();
                return;
            }
            if self.pending.is_empty() && self.replies.is_empty() {
                poll_fn(|cx| self.gather(cx)).await;
                continue;
            }
            if !self.urgent && self.replies.is_empty() && self.pending_events < MAX_BATCH_EVENTS {
                let deadline = self.since.unwrap_or_else(Instant::now) + LINGER;
                if Instant::now() < deadline
                    && tokio::time::timeout_at(deadline, poll_fn(|cx| self.gather(cx)))
                        .await
                        .is_ok()
                {
                    continue;
                }
            }
            self.drain_now();
            self.commit();
        }
    }

    fn take(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Batch(run, batch) => self.queue(run, batch),
            Cmd::Attach(run, rx) => self.lanes.push(Lane { run, rx }),
            Cmd::Flush(reply) => {
                self.urgent = true;
                self.replies.extend(reply);
            }
            Cmd::Close => self.closing = true,
        }
    }

    fn queue(&mut self, run: Arc<str>, batch: EventBatch) {
        if batch.is_empty() {
            return;
        }
        self.urgent |= batch.iter().any(|e| ingest::is_urgent(&e.kind));
        self.pending_events += batch.len();
        self.since.get_or_insert_with(Instant::now);
        self.pending.push((run, batch));
    }

    /// Takes everything ready from the command channel and the subscribed
    /// buses; ready if anything came (or the channel closed).
    fn gather(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut progressed = false;
        loop {
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(cmd)) => {
                    self.take(cmd);
                    progressed = true;
                }
                Poll::Ready(None) => {
                    self.closing = true;
                    return Poll::Ready(());
                }
                Poll::Pending => break,
            }
        }
        let mut i = 0;
        while i < self.lanes.len() {
            match self.lanes[i].rx.poll_recv(cx) {
                Poll::Ready(Some(batch)) => {
                    let run = self.lanes[i].run.clone();
                    self.queue(run, batch);
                    progressed = true;
                }
                Poll::Ready(None) => {
                    self.lanes.swap_remove(i);
                    progressed = true;
                }
                Poll::Pending => i += 1,
            }
        }
        if progressed {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Takes everything already queued, without waiting.
    fn drain_now(&mut self) {
        while self.pending_events < MAX_BATCH_EVENTS {
            match self.rx.try_recv() {
                Ok(cmd) => self.take(cmd),
                Err(_) => break,
            }
        }
        let mut i = 0;
        while i < self.lanes.len() {
            match self.lanes[i].rx.try_recv() {
                Ok(batch) => {
                    let run = self.lanes[i].run.clone();
                    self.queue(run, batch);
                    if self.pending_events >= MAX_BATCH_EVENTS && !self.closing {
                        return;
                    }
                }
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                    self.lanes.swap_remove(i);
                }
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => i += 1,
            }
        }
    }

    /// One transaction for everything queued; then publish and reply.
    fn commit(&mut self) {
        let batches = std::mem::take(&mut self.pending);
        let replies = std::mem::take(&mut self.replies);
        self.pending_events = 0;
        self.since = None;
        self.urgent = false;
        if !batches.is_empty() {
            let owner = self.owner;
            let started = std::time::Instant::now();
            let result = db::write(&mut self.conn, |tx| {
                let mut pass = ingest::Pass::default();
                let mut stmts = ingest::Stmts::new(tx);
                for (run, batch) in &batches {
                    ingest::apply(&mut stmts, run, batch, owner, &mut pass)?;
                }
                ingest::finish(&mut stmts, &mut pass)?;
                Ok(pass)
            });
            match result {
                Ok(pass) => {
                    self.stats.commit_time += started.elapsed();
                    self.stats.transactions += 1;
                    self.stats.events += pass.events;
                    if pass.duplicates > 0 && self.stats.duplicates == 0 {
                        eprintln!(
                            "braid-store: skipped {} event(s) already stored (same run and seq)",
                            pass.duplicates
                        );
                    }
                    self.stats.duplicates += pass.duplicates;
                    self.publish(&batches);
                }
                Err(e) => {
                    record_error(
                        &self.shared,
                        &format!(
                            "cannot store {} events in {}: {e}",
                            batches.iter().map(|(_, b)| b.len()).sum::<usize>(),
                            self.path.display()
                        ),
                    );
                    // Durability can no longer be promised; do not leave the
                    // engine waiting for it.
                    self.shared.give_up();
                }
            }
        }
        for reply in replies {
            let _ = reply.send(());
        }
    }

    fn publish(&self, batches: &[(Arc<str>, EventBatch)]) {
        let mut highest: HashMap<&Arc<str>, u64> = HashMap::new();
        for (run, batch) in batches {
            if let Some(last) = batch.last() {
                let next = highest.entry(run).or_default();
                *next = (*next).max(last.seq + 1);
            }
        }
        let mut watches = self.shared.watches.lock().expect("writer watches");
        for (run, next) in highest {
            let tx = watches.entry(run.clone()).or_insert_with(|| {
                watch::channel(Committed {
                    next_seq: 0,
                    gave_up: self.shared.gave_up.load(Ordering::Acquire),
                })
                .0
            });
            tx.send_if_modified(|c| {
                let moved = next > c.next_seq;
                c.next_seq = c.next_seq.max(next);
                moved
            });
        }
    }
}
