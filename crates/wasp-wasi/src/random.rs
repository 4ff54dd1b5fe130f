//! `random_get`: bytes from the operating system's secure generator
//! (`getrandom(2)`), filling the whole buffer (looping over short reads and
//! `EINTR`; it blocks only until the kernel pool is initialised) — or from a
//! [`RandomSource`] the embedder injected
//! ([`WasiCtxBuilder::random_source`](crate::WasiCtxBuilder::random_source)),
//! such as the deterministic [`SeededRandom`].

use crate::ctx::WasiCtx;
use crate::errno::WasiResult;
use crate::mem::GuestMemory;

/// Where a guest's `random_get` bytes come from, in place of the host's
/// generator. Any `FnMut(&mut [u8]) + Send` closure is one.
pub trait RandomSource: Send {
    /// Fills `buf` entirely.
    fn fill(&mut self, buf: &mut [u8]);
}

impl<F: FnMut(&mut [u8]) + Send> RandomSource for F {
    fn fill(&mut self, buf: &mut [u8]) {
        self(buf)
    }
}

/// A deterministic [`RandomSource`] (splitmix64) for reproducible runs and
/// tests: the same seed gives the guest the same bytes. **Not** secure: a
/// guest that needs secret randomness (keys, TLS) must get the host's.
#[derive(Debug, Clone)]
pub struct SeededRandom(u64);

impl SeededRandom {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRandom(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl RandomSource for SeededRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// `random_get(buf: *mut u8, buf_len: size) -> errno`
///
/// Fills `[buf, buf + buf_len)` entirely. Errors: `EFAULT` if the buffer is
/// out of bounds (nothing is written).
pub fn random_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    buf: u32,
    buf_len: u32,
) -> WasiResult<()> {
    let mut out = mem.slice_mut(buf, buf_len)?;
    if let Some(source) = &mut ctx.random {
        source.fill(out);
        return Ok(());
    }
    while !out.is_empty() {
        match rustix::rand::getrandom(&mut *out, rustix::rand::GetRandomFlags::empty()) {
            Ok(n) => out = &mut out[n..],
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
