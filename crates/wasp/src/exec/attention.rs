//! The attention word: requests that other threads make of running wasm code
//! (an interrupt, a passed deadline), noticed at the executor's check points
//! (backward branches, calls and returns, the same points as the native stack
//! guard), plus what a host function blocked in a system call needs to be
//! woken by them (the waker, see [`InterruptWaker`](crate::InterruptWaker)),
//! and [`attend`], which serves the raised bits for the interpreter.
//!
//! One atomic word holds a bit per kind of request, so the hot check stays a
//! single relaxed load compared with zero, however many kinds are added
//! (a profiler's sample request, a deadline); the trampoline sorts out which
//! bits are set only when one is (`run.rs`, `attend`).
//!
//! Semantics (RATIONALE.md, "Interrupts, deadlines and fuel"):
//! - `INTERRUPT` stops the executions in progress when it is raised; it stays
//!   raised until the store's outermost call returns, so every nested
//!   execution sees it too, and it is cleared when the outermost call starts
//!   and when it returns: an interrupt raised while nothing runs is dropped.
//! - `DEADLINE` is raised by the watchdog (`timer.rs`) when the store's
//!   deadline passes. The deadline is state of the store: once passed, every
//!   execution traps until the embedder sets a new deadline or clears it. A
//!   raised bit whose deadline has not passed (it was replaced meanwhile) is
//!   stale and dropped.

use super::run::{Signal, State};
use crate::error::TrapCode;
use std::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Stop the running call with [`TrapCode::Interrupted`](crate::TrapCode::Interrupted).
pub(crate) const INTERRUPT: u32 = 1;

/// The store's deadline may have passed: stop with
/// [`TrapCode::DeadlineExceeded`](crate::TrapCode::DeadlineExceeded) if it has.
pub(crate) const DEADLINE: u32 = 2;

/// Record a profile sample of the wasm stack and go on (`profile.rs`).
pub(crate) const SAMPLE: u32 = 4;

/// A tick of the hotness ticker (`jit/ticks.rs`): charge the running
/// interpreted function some calls and go on.
pub(crate) const HOT: u32 = 8;

/// The interpreter should try on-stack replacement at its next check
/// points (`osr.rs`): a tick found its innermost frame's function native.
/// Compiled code that sees it hands it back (`Stack::osr_wanted`).
pub(crate) const OSR: u32 = 16;

/// `Attention::deadline` when the store has none.
const NO_DEADLINE: u64 = u64::MAX;

/// The process-wide origin of the nanosecond clock deadlines are kept in.
fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// Nanoseconds since [`origin`] on the monotonic clock.
pub(crate) fn now_ns() -> u64 {
    to_ns(Instant::now())
}

/// `at` as nanoseconds since [`origin`] (0 if earlier, saturating below
/// `NO_DEADLINE`).
pub(crate) fn to_ns(at: Instant) -> u64 {
    let ns = at.saturating_duration_since(origin()).as_nanos();
    ns.min(u128::from(NO_DEADLINE - 1)) as u64
}

/// Nanoseconds since [`origin`] as an `Instant`.
fn from_ns(ns: u64) -> Instant {
    origin() + Duration::from_nanos(ns)
}

/// Requests for running code, raised from any thread, and the store's deadline.
#[derive(Debug)]
pub(crate) struct Attention {
    word: AtomicU32,
    /// The store's deadline in [`now_ns`] units, or `NO_DEADLINE`.
    deadline: AtomicU64,
    /// Readable while a stop is requested; created on first use.
    waker: OnceLock<std::io::Result<Waker>>,
}

impl Default for Attention {
    fn default() -> Self {
        Attention {
            word: AtomicU32::new(0),
            deadline: AtomicU64::new(NO_DEADLINE),
            waker: OnceLock::new(),
        }
    }
}

impl Attention {
    /// Raises the request bits `bits` and wakes a host function waiting on
    /// the waker, if one was ever created.
    pub fn raise(&self, bits: u32) {
        self.word.fetch_or(bits, Ordering::Relaxed);
        // Pairs with the fence in `waker`: either the waiter sees the bit
        // or this thread sees the waker and signals it.
        fence(Ordering::SeqCst);
        if let Some(Ok(w)) = self.waker.get() {
            w.signal();
        }
    }

    /// Raises the request bits `bits` without waking a host function: for
    /// requests only the interpreter serves (a profile sample), which a
    /// blocked host call need not return for.
    pub fn raise_quiet(&self, bits: u32) {
        self.word.fetch_or(bits, Ordering::Relaxed);
    }

    /// Is any request pending? (The hot check.)
    #[inline(always)]
    pub fn pending(&self) -> bool {
        self.word.load(Ordering::Relaxed) != 0
    }

    /// The word itself, for compiled code to poll (`jit/runtime.rs`).
    pub fn word(&self) -> &AtomicU32 {
        &self.word
    }

    /// The raised bits.
    pub fn bits(&self) -> u32 {
        self.word.load(Ordering::Relaxed)
    }

    /// Clears the bits `bits`, returning whether any of them was set.
    pub fn take(&self, bits: u32) -> bool {
        self.word.fetch_and(!bits, Ordering::Relaxed) & bits != 0
    }

    /// Drops a raised interrupt (the outermost call starts or returns) and
    /// resets the waker it signalled.
    pub fn clear_interrupt(&self) {
        if self.bits() & INTERRUPT != 0 && self.take(INTERRUPT) {
            if let Some(Ok(w)) = self.waker.get() {
                w.drain();
            }
        }
    }

    /// Sets (or, with `None`, clears) the deadline; a stale `DEADLINE` bit
    /// goes. A deadline already passed raises `DEADLINE` at once; returns
    /// whether the deadline is still ahead (for the watchdog to watch).
    pub fn set_deadline(&self, at: Option<u64>) -> bool {
        self.deadline
            .store(at.unwrap_or(NO_DEADLINE), Ordering::SeqCst);
        self.take(DEADLINE);
        match at {
            Some(at) if at <= now_ns() => {
                self.raise(DEADLINE);
                false
            }
            Some(_) => true,
            None => false,
        }
    }

    /// The deadline, if one is set.
    pub fn deadline(&self) -> Option<Instant> {
        match self.deadline.load(Ordering::SeqCst) {
            NO_DEADLINE => None,
            ns => Some(from_ns(ns)),
        }
    }

    /// The deadline in [`now_ns`] units (`u64::MAX` for none).
    pub fn deadline_ns(&self) -> u64 {
        self.deadline.load(Ordering::SeqCst)
    }

    /// With `DEADLINE` raised: has the deadline passed? A stale bit (the
    /// deadline was replaced by a later one) is cleared; a passed deadline
    /// keeps it raised, so the next execution stops too.
    pub fn deadline_passed(&self) -> bool {
        let d = self.deadline_ns();
        if d != NO_DEADLINE && now_ns() >= d {
            return true;
        }
        self.take(DEADLINE);
        false
    }

    /// Which trap a host function waiting in a system call must end the
    /// execution with, if any.
    pub fn stop_code(&self) -> Option<crate::TrapCode> {
        let bits = self.bits();
        if bits & INTERRUPT != 0 {
            return Some(crate::TrapCode::Interrupted);
        }
        if bits & DEADLINE != 0 && self.deadline_passed() {
            return Some(crate::TrapCode::DeadlineExceeded);
        }
        None
    }

    /// The waker, created on first use.
    pub fn waker(&self) -> std::io::Result<&Waker> {
        let w = self.waker.get_or_init(Waker::new);
        // Pairs with the fence in `raise` (see there).
        fence(Ordering::SeqCst);
        w.as_ref()
            .map_err(|e| std::io::Error::new(e.kind(), e.to_string()))
    }

    /// Resets the waker after a wake-up that requested nothing (stale).
    pub fn rearm(&self) {
        if let Some(Ok(w)) = self.waker.get() {
            w.drain();
        }
    }
}

/// A connected pair of non-blocking sockets: one byte written to `tx` makes
/// `rx` readable, which a host function adds to its `poll(2)` set. Standard
/// library only (no `eventfd` binding needed); two descriptors per store
/// that ever blocks in WASI.
#[derive(Debug)]
pub(crate) struct Waker {
    #[cfg(unix)]
    rx: std::os::unix::net::UnixStream,
    #[cfg(unix)]
    tx: std::os::unix::net::UnixStream,
}

impl Waker {
    #[cfg(unix)]
    fn new() -> std::io::Result<Waker> {
        let (rx, tx) = std::os::unix::net::UnixStream::pair()?;
        rx.set_nonblocking(true)?;
        tx.set_nonblocking(true)?;
        Ok(Waker { rx, tx })
    }

    #[cfg(not(unix))]
    fn new() -> std::io::Result<Waker> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "interrupt wakers need a Unix host",
        ))
    }

    /// Makes the read end readable (a full buffer means it already is).
    fn signal(&self) {
        #[cfg(unix)]
        {
            use std::io::Write;
            let _ = (&self.tx).write(&[1]);
        }
    }

    /// Empties the read end.
    fn drain(&self) {
        #[cfg(unix)]
        {
            use std::io::Read;
            let mut buf = [0u8; 64];
            while matches!((&self.rx).read(&mut buf), Ok(n) if n > 0) {}
        }
    }

    /// The descriptor to poll for reading.
    #[cfg(unix)]
    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.rx.as_fd()
    }
}

/// Serves the raised attention bits (rare: only when one is): a small
/// dispatch on the bits, each kind of request one arm. Returns the signal
/// that leaves the loop (a trap, with `st.trap` set; on-stack replacement),
/// or `None` to go on.
#[cold]
#[inline(never)]
pub(super) fn attend(st: &mut State) -> Option<Signal> {
    // SAFETY: the word is owned by the store, alive for the whole run.
    let a = unsafe { &*st.attention };
    let bits = a.bits();
    if bits & HOT != 0 && a.take(HOT) && super::tiering::on_tick(st.inner()) {
        super::osr::want(&mut st.inner().stack, true);
    }
    if bits & OSR != 0 && a.take(OSR) {
        super::osr::want(&mut st.inner().stack, false);
    }
    if bits & SAMPLE != 0 && a.take(SAMPLE) {
        let base = st.base_index();
        crate::profile::sample(st.inner(), Some(base));
    }
    if bits & INTERRUPT != 0 {
        // Stays raised: every execution in progress stops (see the header).
        return Some(st.set_trap(TrapCode::Interrupted));
    }
    if bits & DEADLINE != 0 && a.deadline_passed() {
        return Some(st.set_trap(TrapCode::DeadlineExceeded));
    }
    if st.inner().stack.osr_wanted {
        st.osr = Some(super::osr::attempt(st)?);
        return Some(Signal::Osr);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_raised_and_taken_independently() {
        let a = Attention::default();
        assert!(!a.pending());
        a.raise(INTERRUPT | 4);
        assert!(a.pending());
        assert!(a.take(INTERRUPT));
        assert!(!a.take(INTERRUPT));
        assert!(a.pending(), "the other bit stays");
        assert!(a.take(4));
        assert!(!a.pending());
    }

    #[test]
    fn a_replaced_deadline_leaves_no_stale_stop() {
        let a = Attention::default();
        a.set_deadline(Some(now_ns() + 3_600_000_000_000));
        a.raise(DEADLINE); // as a racing watchdog might, for an older deadline
        assert_eq!(a.stop_code(), None);
        assert!(!a.pending(), "the stale bit is dropped");
        a.set_deadline(Some(0));
        assert_eq!(a.stop_code(), Some(crate::TrapCode::DeadlineExceeded));
        assert_eq!(
            a.stop_code(),
            Some(crate::TrapCode::DeadlineExceeded),
            "a passed deadline stays"
        );
        a.set_deadline(None);
        assert_eq!(a.stop_code(), None);
        assert!(a.deadline().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn the_waker_is_readable_exactly_while_signalled() {
        use std::io::Read;
        let a = Attention::default();
        let w = a.waker().unwrap();
        let mut b = [0u8; 1];
        assert!((&w.rx).read(&mut b).is_err(), "nothing to read yet");
        a.raise(INTERRUPT);
        a.raise(INTERRUPT);
        a.clear_interrupt();
        assert!((&w.rx).read(&mut b).is_err(), "drained when cleared");
        assert!(!a.pending());
    }
}
