//! Hotness by time: a function that runs long inside few calls (a loop in
//! `main`, Go's `sha256.block` hashing megabytes per call) never reaches
//! the call-count threshold of `tier.rs`. A ticker thread raises the `HOT`
//! attention bit of every store running under `Tier::Tiered` every
//! [`PERIOD`]; the executor notices it at its usual check points (no new
//! work on any hot path: the attention word is checked there anyway) and
//! charges [`TICK_CALLS`] calls to the innermost interpreted function
//! ([`on_tick`]). A function found running in a few consecutive ticks is
//! queued like one called often, and its next call runs native code. A tick
//! that finds the function native already asks for on-stack replacement of
//! the running call (`exec/osr.rs`): [`on_tick`] says so. With no store
//! left to tick the thread parks until the next store is made, so an
//! idle process is not woken 200 times a second.

use crate::exec::Attention;
use crate::store::{FuncKind, StoreInner};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

/// Time between two ticks.
pub(crate) const PERIOD: Duration = Duration::from_millis(5);

/// Calls a tick is worth: with the default threshold (1,000), a function
/// seen in 4 ticks in a row (~20 ms of running) is queued.
pub(crate) const TICK_CALLS: u32 = 250;

/// The ticker: the stores it raises `HOT` on (weakly: a store that is gone
/// drops out at the next tick), and whether its thread is parked. It
/// parks when no store is left (an idle embedder's process sees no wakeups
/// at all) and the next [`watch`] wakes it; otherwise it wakes every
/// [`PERIOD`].
struct Ticker {
    state: Mutex<Watched>,
    wake: Condvar,
}

#[derive(Default)]
struct Watched {
    list: Vec<Weak<Attention>>,
    parked: bool,
}

impl Ticker {
    /// A ticker with its thread running (leaked: it lives as long as the
    /// process). `None` if the thread cannot be started: nothing ticks
    /// then, and functions tier up by calls only.
    fn start() -> Option<&'static Ticker> {
        let t: &'static Ticker = Box::leak(Box::new(Ticker {
            state: Mutex::default(),
            wake: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("wasp-ticks".into())
            .spawn(move || t.run())
            .ok()?;
        Some(t)
    }

    fn lock(&self) -> MutexGuard<'_, Watched> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(&self) {
        loop {
            std::thread::sleep(PERIOD);
            let mut w = self.lock();
            w.list.retain(|a| match a.upgrade() {
                Some(a) => {
                    a.raise_quiet(crate::exec::HOT);
                    true
                }
                None => false,
            });
            // `watch` pushes under the lock and wakes a parked ticker, so
            // no store is missed between the test and the wait.
            while w.list.is_empty() {
                w.parked = true;
                w = self.wake.wait(w).unwrap_or_else(|e| e.into_inner());
            }
            w.parked = false;
        }
    }

    fn watch(&self, attention: &Arc<Attention>) {
        let mut w = self.lock();
        w.list.push(Arc::downgrade(attention));
        if w.parked {
            // Only then: a running ticker costs `watch` no system call.
            self.wake.notify_one();
        }
    }
}

fn ticker() -> Option<&'static Ticker> {
    static T: OnceLock<Option<&'static Ticker>> = OnceLock::new();
    *T.get_or_init(Ticker::start)
}

/// Ticks the store whose attention word is `attention` from now on (a
/// store of `Tier::Tiered`, made by `Stack::new`).
pub(crate) fn watch(attention: &Arc<Attention>) {
    if let Some(t) = ticker() {
        t.watch(attention);
    }
}

/// A tick seen by the executor: charges [`TICK_CALLS`] calls to the
/// innermost interpreted function of `inner` (the interpreter's frame, or
/// the interpreted caller of the running compiled code). True when that
/// function has native code already: its frame could continue natively.
pub(crate) fn on_tick(inner: &StoreInner) -> bool {
    let Some(frame) = inner.stack.frames.last() else {
        return false;
    };
    if let FuncKind::Wasm { instance, def, .. } = inner.func(frame.func).kind {
        let module = &inner.instances[instance as usize].module.inner;
        if module.tier.is_native(def) {
            return true;
        }
        module.tier.heat(module, def, TICK_CALLS);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn wait_until(what: &str, f: impl Fn() -> bool) {
        let t = Instant::now();
        while !f() {
            assert!(t.elapsed() < Duration::from_secs(10), "never: {what}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// A ticker of its own (the process's is shared with every test): it
    /// ticks a watched store, parks once the store is gone, and a store
    /// watched while it is parked gets ticked again.
    #[test]
    fn the_ticker_parks_without_stores_and_wakes_for_the_next() {
        let t = Ticker::start().expect("thread");
        let hot = |a: &Attention| a.bits() & crate::exec::HOT != 0;
        let a = Arc::new(Attention::default());
        t.watch(&a);
        wait_until("the first store ticked", || hot(&a));
        drop(a);
        wait_until("parked", || t.lock().parked);
        let b = Arc::new(Attention::default());
        t.watch(&b);
        wait_until("the next store ticked", || hot(&b));
        assert!(!t.lock().parked);
    }
}
