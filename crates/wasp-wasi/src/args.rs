//! `args_get`, `args_sizes_get`: the command-line arguments.
//!
//! Memory layout written by `args_get(argv, argv_buf)` for arguments
//! `["a", "bc"]`, with `argv_buf = B`:
//!
//! ```text
//! argv:     [B as u32 LE][B+2 as u32 LE]        (argc pointers, 4 bytes each)
//! argv_buf: 'a' 0 'b' 'c' 0                     (each string NUL-terminated)
//! ```
//!
//! `args_sizes_get(argc_ptr, buf_size_ptr)` writes argc (here 2) and the
//! buffer size (here 5) as u32s. Both regions are bounds-checked before
//! anything is written: `EFAULT` leaves memory untouched.

use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::mem::GuestMemory;

/// `args_get(argv: *mut *mut u8, argv_buf: *mut u8) -> errno`
///
/// Writes argc pointers at `argv` and the NUL-terminated strings at
/// `argv_buf`; sizes as reported by `args_sizes_get`.
/// Errors: `EFAULT` if either region is out of bounds.
pub fn args_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    argv: u32,
    argv_buf: u32,
) -> WasiResult<()> {
    write_strings(mem, &ctx.args, argv, argv_buf)
}

/// `args_sizes_get() -> (size, size)`; the results go to `argc_ptr` and
/// `buf_size_ptr` (u32 each).
/// Errors: `EFAULT` if a result pointer is out of bounds.
pub fn args_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    argc_ptr: u32,
    buf_size_ptr: u32,
) -> WasiResult<()> {
    write_sizes(mem, &ctx.args, argc_ptr, buf_size_ptr)
}

/// Shared by args and environ: writes `(count, total bytes incl. NULs)`.
pub(crate) fn write_sizes(
    mem: &mut GuestMemory<'_>,
    list: &[Vec<u8>],
    count_ptr: u32,
    size_ptr: u32,
) -> WasiResult<()> {
    mem.check(count_ptr, 4)?;
    mem.check(size_ptr, 4)?;
    let size: usize = list.iter().map(|s| s.len() + 1).sum();
    let size = u32::try_from(size).map_err(|_| Errno::OVERFLOW)?;
    mem.write_u32(count_ptr, list.len() as u32)?;
    mem.write_u32(size_ptr, size)
}

/// Shared by args and environ: writes the pointer array and the strings.
pub(crate) fn write_strings(
    mem: &mut GuestMemory<'_>,
    list: &[Vec<u8>],
    ptrs: u32,
    buf: u32,
) -> WasiResult<()> {
    let size: u64 = list.iter().map(|s| s.len() as u64 + 1).sum();
    mem.check(ptrs, list.len() as u64 * 4)?;
    mem.check(buf, size)?;
    let mut at = buf;
    for (i, s) in list.iter().enumerate() {
        mem.write_u32(ptrs + i as u32 * 4, at)?;
        mem.write_bytes(at, s)?;
        mem.write_u8(at + s.len() as u32, 0)?;
        at += s.len() as u32 + 1;
    }
    Ok(())
}
