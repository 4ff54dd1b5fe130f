//! The deadline watchdog: one thread for the whole process, started by the
//! first [`Store::set_deadline`](crate::Store::set_deadline), that raises a
//! store's `DEADLINE` attention bit (and signals its waker) when the
//! deadline passes.
//!
//! Executions never look at the clock: the interpreter only sees the bit at
//! its usual check points, so a deadline costs nothing per check, and no
//! thread is started per call or per store. The watchdog keeps a heap of
//! `(deadline, store)` entries holding the store's attention word weakly; an
//! entry whose store is gone or whose deadline was replaced fires into
//! nothing (the store compares its current deadline, `attention.rs`). A
//! replaced deadline's entry stays in the heap until its time: the heap
//! holds at most one entry per `set_deadline` call whose time is still ahead.

use super::attention::{now_ns, Attention, DEADLINE};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::time::Duration;

struct Entry {
    at: u64,
    target: Weak<Attention>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.at.cmp(&other.at)
    }
}

#[derive(Default)]
struct Watchdog {
    heap: Mutex<BinaryHeap<Reverse<Entry>>>,
    changed: Condvar,
}

fn watchdog() -> &'static Watchdog {
    static W: OnceLock<&'static Watchdog> = OnceLock::new();
    W.get_or_init(|| {
        let w: &'static Watchdog = Box::leak(Box::default());
        std::thread::Builder::new()
            .name("wasp-deadlines".into())
            .spawn(move || w.run())
            .expect("wasp: cannot start the deadline watchdog thread");
        w
    })
}

/// Raises `DEADLINE` on `target` at `at` ([`now_ns`] units), if its deadline
/// is still `at` then.
pub(crate) fn schedule(at: u64, target: &Arc<Attention>) {
    let w = watchdog();
    let mut heap = w.heap.lock().unwrap_or_else(|e| e.into_inner());
    let earliest = heap.peek().is_none_or(|Reverse(e)| at < e.at);
    heap.push(Reverse(Entry {
        at,
        target: Arc::downgrade(target),
    }));
    drop(heap);
    if earliest {
        w.changed.notify_one();
    }
}

impl Watchdog {
    fn run(&self) {
        let mut heap = self.heap.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let now = now_ns();
            while heap.peek().is_some_and(|Reverse(e)| e.at <= now) {
                let Some(Reverse(e)) = heap.pop() else { break };
                if let Some(a) = e.target.upgrade() {
                    if a.deadline_ns() == e.at {
                        a.raise(DEADLINE);
                    }
                }
            }
            heap = match heap.peek() {
                None => self.changed.wait(heap).unwrap_or_else(|e| e.into_inner()),
                Some(Reverse(e)) => {
                    let wait = Duration::from_nanos(e.at.saturating_sub(now));
                    self.changed
                        .wait_timeout(heap, wait)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }
}
