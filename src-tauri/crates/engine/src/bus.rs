//! The event bus: stamps each event with its run-wide sequence number and
//! time, masks secrets in it, and fans batches out to every subscriber (the
//! store's writer, the CLI's progress, the app's channel).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::events::{Event, EventKind, now_ms};
use crate::secrets::Masker;

/// What subscribers receive: events in sequence order. The driver sends all
/// events caused by one input as one batch, so a consumer is woken once per
/// scheduling step rather than once per event — cross-thread wake-ups, not
/// the events themselves, were most of the engine's per-step cost.
pub type EventBatch = Arc<[Event]>;

/// Fans events out to any number of subscribers. Unbounded per subscriber
/// on purpose: a slow consumer (a terminal, a webview) must never make the
/// engine drop or reorder an event the store needs; consumers batch instead.
#[derive(Default)]
pub struct EventBus {
    subscribers: Mutex<Vec<UnboundedSender<EventBatch>>>,
    next_seq: AtomicU64,
    /// Secret values to mask in every event before it is delivered.
    masker: RwLock<Option<Arc<Masker>>>,
}

impl EventBus {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A new subscriber sees every event emitted after this call.
    pub fn subscribe(&self) -> UnboundedReceiver<EventBatch> {
        let (tx, rx) = unbounded_channel();
        self.subscribers.lock().expect("event bus lock").push(tx);
        rx
    }

    /// Stamps and delivers one event; returns its sequence number.
    pub fn emit(&self, kind: EventKind) -> Option<u64> {
        self.emit_all(std::iter::once(kind))
    }

    /// Stamps and delivers events as one batch (nothing if there are none);
    /// returns the last sequence number used.
    pub fn emit_all(&self, kinds: impl IntoIterator<Item = EventKind>) -> Option<u64> {
        // The lock spans numbering and sending, so sequence order is delivery order.
        let mut subscribers = self.subscribers.lock().expect("event bus lock");
        let at_ms = now_ms();
        let masker = self.masker.read().expect("event bus lock").clone();
        let batch: EventBatch = kinds
            .into_iter()
            .map(|kind| match &masker {
                Some(masker) if !masker.is_empty() => masker.mask_event(kind),
                _ => kind,
            })
            .map(|kind| Event {
                seq: self.next_seq.fetch_add(1, Ordering::Relaxed),
                at_ms,
                kind,
            })
            .collect();
        let last = batch.last()?.seq;
        subscribers.retain(|s| s.send(batch.clone()).is_ok());
        Some(last)
    }

    /// Masks the values `masker` knows (now and registered later) in every
    /// event emitted from now on: secrets never reach a subscriber.
    pub fn set_masker(&self, masker: Arc<Masker>) {
        *self.masker.write().expect("event bus lock") = Some(masker);
    }

    /// Continues numbering after an earlier part of the same run (resume).
    pub fn start_seq_at(&self, seq: u64) {
        self.next_seq.store(seq, Ordering::Relaxed);
    }
}
