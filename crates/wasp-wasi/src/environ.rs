//! `environ_get`, `environ_sizes_get`: the environment, as `KEY=VALUE` strings.
//!
//! Same layout as the arguments (see [`crate::args`]): `environ_get(environ,
//! environ_buf)` writes one u32 pointer per variable at `environ` and the
//! NUL-terminated `KEY=VALUE` strings at `environ_buf`. For `["A=1", "B="]`
//! and `environ_buf = B` it writes pointers `B`, `B+4` and the bytes
//! `A = 1 \0 B = \0`. `environ_sizes_get` writes the count (2) and the buffer
//! size (7).

use crate::args::{write_sizes, write_strings};
use crate::ctx::WasiCtx;
use crate::errno::WasiResult;
use crate::mem::GuestMemory;

/// `environ_get(environ: *mut *mut u8, environ_buf: *mut u8) -> errno`
///
/// Errors: `EFAULT` if either region is out of bounds (nothing is written).
pub fn environ_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    environ: u32,
    buf: u32,
) -> WasiResult<()> {
    write_strings(mem, &ctx.env, environ, buf)
}

/// `environ_sizes_get() -> (size, size)`: count to `count_ptr`, buffer size to
/// `size_ptr` (u32 each).
/// Errors: `EFAULT` if a result pointer is out of bounds.
pub fn environ_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    count_ptr: u32,
    size_ptr: u32,
) -> WasiResult<()> {
    write_sizes(mem, &ctx.env, count_ptr, size_ptr)
}
