//! The run queue: what waits to start, in the order it became ready.
//!
//! Entries live in one FIFO per *class*. Phase steps that hold the same
//! resources share a class (whether one fits depends only on what it holds),
//! and each group is a class of its own (its entry stands for all its
//! pending units). A scan visits classes by the sequence number of their
//! head, so when a class's head does not fit, the whole class is passed over
//! at once: 20,000 independent steps waiting on one `api: 1` resource cost
//! one look per completion, not 20,000.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::ops::Bound;

use super::UnitId;

/// An entry of the run queue: a phase step's unit, or a group with pending units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Entry {
    Unit(UnitId),
    Group(usize),
}

#[derive(Debug, Default)]
pub(super) struct RunQueue {
    /// Per class: `(sequence, entry)` in the order pushed.
    classes: Vec<VecDeque<(u64, Entry)>>,
    /// `(head sequence, class)` of every non-empty class.
    heads: BTreeSet<(u64, usize)>,
    next_seq: u64,
}

/// Where a scan stands: the last head it looked at.
#[derive(Debug, Clone, Copy)]
pub(super) struct Cursor(Option<(u64, usize)>);

impl RunQueue {
    /// A queue with `classes` classes (step resource classes, then one per group).
    pub fn new(classes: usize) -> Self {
        Self {
            classes: (0..classes).map(|_| VecDeque::new()).collect(),
            heads: BTreeSet::new(),
            next_seq: 0,
        }
    }

    pub fn push(&mut self, class: usize, entry: Entry) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let fifo = &mut self.classes[class];
        if fifo.is_empty() {
            self.heads.insert((seq, class));
        }
        fifo.push_back((seq, entry));
    }

    pub fn start(&self) -> Cursor {
        Cursor(None)
    }

    /// The next class head after `cursor`, in the order the heads were queued.
    pub fn next(&self, cursor: Cursor) -> Option<(usize, Entry)> {
        let from = match cursor.0 {
            None => Bound::Unbounded,
            Some(at) => Bound::Excluded(at),
        };
        let &(_, class) = self.heads.range((from, Bound::Unbounded)).next()?;
        self.classes[class]
            .front()
            .map(|&(_, entry)| (class, entry))
    }

    /// A cursor just past `class`'s current head: the scan moves on.
    pub fn past(&self, class: usize) -> Cursor {
        Cursor(self.classes[class].front().map(|&(seq, _)| (seq, class)))
    }

    /// Removes `class`'s head; its next entry (later in the order) becomes the head.
    pub fn pop(&mut self, class: usize) {
        let fifo = &mut self.classes[class];
        if let Some((seq, _)) = fifo.pop_front() {
            self.heads.remove(&(seq, class));
            if let Some(&(next, _)) = fifo.front() {
                self.heads.insert((next, class));
            }
        }
    }

    /// Every entry, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        self.classes.iter().flatten().map(|&(_, entry)| entry)
    }
}

/// Numbers the distinct resource needs of the steps: steps with equal needs
/// share a queue class.
pub(super) fn classes_of(needs: &[Vec<(usize, i64)>]) -> (Vec<usize>, usize) {
    let mut ids: HashMap<&[(usize, i64)], usize> = HashMap::new();
    let of_step = needs
        .iter()
        .map(|n| {
            let next = ids.len();
            *ids.entry(n.as_slice()).or_insert(next)
        })
        .collect();
    (of_step, ids.len())
}
