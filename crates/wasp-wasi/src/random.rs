//! `random_get`: bytes from the operating system's secure generator
//! (`getrandom(2)`), filling the whole buffer (looping over short reads and
//! `EINTR`; it blocks only until the kernel pool is initialised).

use crate::ctx::WasiCtx;
use crate::errno::WasiResult;
use crate::mem::GuestMemory;

/// `random_get(buf: *mut u8, buf_len: size) -> errno`
///
/// Fills `[buf, buf + buf_len)` entirely. Errors: `EFAULT` if the buffer is
/// out of bounds (nothing is written).
pub fn random_get(
    _ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    buf: u32,
    buf_len: u32,
) -> WasiResult<()> {
    let mut out = mem.slice_mut(buf, buf_len)?;
    while !out.is_empty() {
        match rustix::rand::getrandom(&mut *out, rustix::rand::GetRandomFlags::empty()) {
            Ok(n) => out = &mut out[n..],
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
