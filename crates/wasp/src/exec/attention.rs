//! The attention word: requests that other threads make of running wasm code
//! (today: interrupt), noticed at the executor's check points (backward
//! branches, calls and returns, the same points as the native stack guard).
//!
//! One atomic word holds a bit per kind of request, so the hot check stays a
//! single relaxed load compared with zero, however many kinds are added
//! (a profiler's sample request, a deadline); the trampoline sorts out which
//! bits are set only when one is.

use std::sync::atomic::{AtomicU32, Ordering};

/// Stop the running call with [`TrapCode::Interrupted`](crate::TrapCode::Interrupted).
pub(crate) const INTERRUPT: u32 = 1;

/// Requests for running code, raised from any thread.
#[derive(Debug, Default)]
pub(crate) struct Attention(AtomicU32);

impl Attention {
    /// Raises the request bits `bits`.
    pub fn raise(&self, bits: u32) {
        self.0.fetch_or(bits, Ordering::Relaxed);
    }

    /// Is any request pending? (The hot check.)
    #[inline(always)]
    pub fn pending(&self) -> bool {
        self.0.load(Ordering::Relaxed) != 0
    }

    /// Clears the bits `bits`, returning whether any of them was set.
    pub fn take(&self, bits: u32) -> bool {
        self.0.fetch_and(!bits, Ordering::Relaxed) & bits != 0
    }
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
}
