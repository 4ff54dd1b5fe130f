//! The table of all 46 functions and the one path every call takes.
//!
//! One macro invocation lists every function with its wasm-level parameters
//! (`u32` for `i32`, `u64`/`i64` for `i64`) and result (`i32`, the errno,
//! for all but `proc_exit`, which returns nothing). From it come the public
//! list ([`WASI_FUNCTIONS`], [`FUNCTIONS`] with signatures), a handler per
//! function (decodes raw argument slots and calls the group module), and the
//! linker closures, which only pack their typed arguments into slots.
//!
//! Every call — from a guest through the linker or from
//! [`WasiCtx::call`](crate::WasiCtx::call) — goes through [`invoke`], the only
//! place that applies the deny list, traces, and turns the outcome into the
//! errno (or, for `proc_exit`, the error that unwinds the guest).

use crate::ctx::{denied_errno, WasiCtx};
use crate::errno::WasiResult;
use crate::mem::GuestMemory;
use crate::{args, clock, environ, fd, path, poll, proc, random, sched, sock};
use std::fmt;
use wasp::{Caller, Extern, FuncType, Linker, ValType};

/// The import module name of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// How a raw argument slot is read (and shown in traces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// An `i32` read as `u32`.
    U32,
    /// An `i64` read as `u64`.
    U64,
    /// An `i64` read as `i64` (`fd_seek`'s offset).
    I64,
}

impl Slot {
    fn val_type(self) -> ValType {
        match self {
            Slot::U32 => ValType::I32,
            Slot::U64 | Slot::I64 => ValType::I64,
        }
    }

    fn show(self, v: u64) -> String {
        match self {
            Slot::U32 => (v as u32).to_string(),
            Slot::U64 => v.to_string(),
            Slot::I64 => (v as i64).to_string(),
        }
    }
}

/// A parameter type of the table: its slot kind and conversions.
trait Arg: Copy {
    const SLOT: Slot;
    fn from_slot(v: u64) -> Self;
    fn to_slot(self) -> u64;
}

impl Arg for u32 {
    const SLOT: Slot = Slot::U32;
    fn from_slot(v: u64) -> Self {
        v as u32
    }
    fn to_slot(self) -> u64 {
        self as u64
    }
}

impl Arg for u64 {
    const SLOT: Slot = Slot::U64;
    fn from_slot(v: u64) -> Self {
        v
    }
    fn to_slot(self) -> u64 {
        self
    }
}

impl Arg for i64 {
    const SLOT: Slot = Slot::I64;
    fn from_slot(v: u64) -> Self {
        v as i64
    }
    fn to_slot(self) -> u64 {
        self as u64
    }
}

/// A result type of the table: `i32` (the errno) or `()` (`proc_exit`).
trait Ret {
    const RESULTS: &'static [ValType];
    fn from_errno(errno: i32) -> Self;
}

impl Ret for i32 {
    const RESULTS: &'static [ValType] = &[ValType::I32];
    fn from_errno(errno: i32) -> Self {
        errno
    }
}

impl Ret for () {
    const RESULTS: &'static [ValType] = &[];
    fn from_errno(_: i32) {}
}

/// What a group function returns: an errno, or (`proc_exit`) the error
/// that unwinds the guest.
trait Outcome {
    fn into_result(self) -> wasp::Result<i32>;
}

impl Outcome for WasiResult<()> {
    fn into_result(self) -> wasp::Result<i32> {
        Ok(match self {
            Ok(()) => 0,
            Err(e) => e.raw() as i32,
        })
    }
}

impl Outcome for wasp::Error {
    fn into_result(self) -> wasp::Result<i32> {
        Err(self)
    }
}

/// Decodes the argument slots and runs one function.
type Handler = fn(&mut WasiCtx, &mut GuestMemory<'_>, &[u64]) -> wasp::Result<i32>;

/// One `wasi_snapshot_preview1` function: its name and wasm signature.
#[derive(Clone, Copy)]
pub struct WasiFunction {
    name: &'static str,
    params: &'static [(&'static str, Slot)],
    results: &'static [ValType],
    handler: Handler,
}

impl WasiFunction {
    /// The import name (`fd_write`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The parameter names (those of the preview 1 specification, or close)
    /// with their wasm types.
    pub fn params(&self) -> impl ExactSizeIterator<Item = (&'static str, ValType)> {
        self.params.iter().map(|(n, s)| (*n, s.val_type()))
    }

    /// The result types: `[i32]` (the errno), or none for `proc_exit`.
    pub fn results(&self) -> &'static [ValType] {
        self.results
    }

    /// The wasm function type the linker defines.
    pub fn ty(&self) -> FuncType {
        FuncType::new(self.params().map(|(_, t)| t), self.results.iter().copied())
    }

    /// The function named `name`, if it is one.
    pub fn by_name(name: &str) -> Option<&'static WasiFunction> {
        FUNCTIONS.iter().find(|f| f.name == name)
    }
}

impl fmt::Debug for WasiFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.ty())
    }
}

/// A denied function that cannot return an errno (`proc_exit`).
#[derive(Debug)]
struct Denied(&'static str);

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasi: {} is denied by the host", self.0)
    }
}

impl std::error::Error for Denied {}

/// Runs function `idx` with raw argument slots (their count already
/// checked): the deny list, the call, the trace.
fn invoke(ctx: &mut WasiCtx, memory: &mut [u8], idx: usize, raw: &[u64]) -> wasp::Result<i32> {
    let f = &FUNCTIONS[idx];
    let r = if ctx.denied & (1 << idx) != 0 {
        if f.results.is_empty() {
            Err(wasp::Error::host(Denied(f.name)))
        } else {
            Ok(denied_errno(idx))
        }
    } else {
        (f.handler)(ctx, &mut GuestMemory::new(memory), raw)
    };
    if ctx.trace {
        trace(f, raw, &r);
    }
    r
}

/// Prints one traced call to the host's stderr, ignoring failure (a closed
/// pipe or a full disk must not panic the host mid-call).
#[cold]
fn trace(f: &WasiFunction, raw: &[u64], r: &wasp::Result<i32>) {
    use std::io::Write;
    let args: Vec<String> = f
        .params
        .iter()
        .zip(raw)
        .map(|((_, s), v)| s.show(*v))
        .collect();
    let result = match r {
        Ok(0) => "ok".to_string(),
        Ok(e) => {
            let e = crate::Errno::from_raw(*e as u16);
            format!("{} ({})", e.name(), e.raw())
        }
        Err(e) => e.to_string(),
    };
    let line = format!("[wasi] {}({}) -> {result}", f.name, args.join(", "));
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// A linker call: finds the context and the caller's exported `memory` (an
/// empty memory when the module exports none, so every pointer is `EFAULT`).
fn glue<T>(
    caller: &mut Caller<'_, T>,
    get: impl Fn(&mut T) -> &mut WasiCtx,
    idx: usize,
    raw: &[u64],
) -> wasp::Result<i32> {
    let waker = caller.interrupt_waker();
    let memory = caller.get_export("memory").and_then(Extern::into_memory);
    // WASI preview 1 passes 32-bit pointers: a memory64 guest is refused.
    if memory.is_some_and(|m| m.ty(&*caller).memory64) {
        return Err(wasp::Error::msg(
            "WASI preview 1 does not support a memory64 `memory` (its pointers are 32-bit)",
        ));
    }
    let (bytes, data): (&mut [u8], &mut T) = match memory {
        Some(m) => m.data_and_store_mut(&mut *caller),
        None => (&mut [], caller.data_mut()),
    };
    // Blocking waits end when the store is interrupted (wake.rs).
    let ctx = get(data);
    ctx.waker = Some(waker);
    let r = invoke(ctx, bytes, idx, raw);
    let r = crate::wake::stop(ctx, r);
    ctx.waker = None;
    r
}

/// Calls function `name` with raw arguments against `memory`.
pub(crate) fn call_raw(
    ctx: &mut WasiCtx,
    memory: &mut [u8],
    name: &str,
    raw: &[u64],
) -> wasp::Result<i32> {
    let idx = crate::ctx::function_index(name)
        .ok_or_else(|| wasp::Error::msg(format!("unknown WASI function `{name}`")))?;
    let n = FUNCTIONS[idx].params.len();
    if raw.len() != n {
        return Err(wasp::Error::msg(format!(
            "`{name}` takes {n} arguments, got {}",
            raw.len()
        )));
    }
    invoke(ctx, memory, idx, raw)
}

macro_rules! functions {
    ($($group:ident :: $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty;)*) => {
        /// The names of all 46 `wasi_snapshot_preview1` functions, in
        /// alphabetical order (the order of the preview 1 specification's
        /// index, and of [`FUNCTIONS`]).
        pub const WASI_FUNCTIONS: &[&str] = &[$(stringify!($name)),*];

        /// All 46 `wasi_snapshot_preview1` functions with their signatures,
        /// in the order of [`WASI_FUNCTIONS`].
        pub const FUNCTIONS: &[WasiFunction] = &[$(
            WasiFunction {
                name: stringify!($name),
                params: &[$((stringify!($arg), <$ty as Arg>::SLOT)),*],
                results: <$ret as Ret>::RESULTS,
                handler: |ctx, mem, raw| {
                    #[allow(unused_mut, unused_variables)]
                    let mut it = raw.iter().copied();
                    $(let $arg = <$ty as Arg>::from_slot(it.next().unwrap_or(0));)*
                    Outcome::into_result($group::$name(ctx, mem, $($arg),*))
                },
            }
        ),*];

        /// Defines every function in `linker`.
        pub(crate) fn define_all<T: 'static>(
            linker: &mut Linker<T>,
            get: impl Fn(&mut T) -> &mut WasiCtx + Copy + Send + Sync + 'static,
        ) -> wasp::Result<()> {
            let mut idx = 0..;
            $(
                let i = idx.next().unwrap_or_default();
                linker.func_wrap(MODULE, stringify!($name),
                    move |mut caller: Caller<'_, T>, $($arg: $ty),*| -> wasp::Result<$ret> {
                        glue(&mut caller, get, i, &[$(Arg::to_slot($arg)),*])
                            .map(<$ret as Ret>::from_errno)
                    })?;
            )*
            Ok(())
        }
    };
}

functions! {
    args::args_get(argv: u32, argv_buf: u32) -> i32;
    args::args_sizes_get(argc_ptr: u32, buf_size_ptr: u32) -> i32;
    clock::clock_res_get(id: u32, res_ptr: u32) -> i32;
    clock::clock_time_get(id: u32, precision: u64, time_ptr: u32) -> i32;
    environ::environ_get(environ: u32, environ_buf: u32) -> i32;
    environ::environ_sizes_get(count_ptr: u32, size_ptr: u32) -> i32;
    fd::fd_advise(fd: u32, offset: u64, len: u64, advice: u32) -> i32;
    fd::fd_allocate(fd: u32, offset: u64, len: u64) -> i32;
    fd::fd_close(fd: u32) -> i32;
    fd::fd_datasync(fd: u32) -> i32;
    fd::fd_fdstat_get(fd: u32, buf: u32) -> i32;
    fd::fd_fdstat_set_flags(fd: u32, flags: u32) -> i32;
    fd::fd_fdstat_set_rights(fd: u32, base: u64, inheriting: u64) -> i32;
    fd::fd_filestat_get(fd: u32, buf: u32) -> i32;
    fd::fd_filestat_set_size(fd: u32, size: u64) -> i32;
    fd::fd_filestat_set_times(fd: u32, atim: u64, mtim: u64, fst_flags: u32) -> i32;
    fd::fd_pread(fd: u32, iovs: u32, iovs_len: u32, offset: u64, nread_ptr: u32) -> i32;
    fd::fd_prestat_dir_name(fd: u32, path: u32, path_len: u32) -> i32;
    fd::fd_prestat_get(fd: u32, buf: u32) -> i32;
    fd::fd_pwrite(fd: u32, iovs: u32, iovs_len: u32, offset: u64, nwritten_ptr: u32) -> i32;
    fd::fd_read(fd: u32, iovs: u32, iovs_len: u32, nread_ptr: u32) -> i32;
    fd::fd_readdir(fd: u32, buf: u32, buf_len: u32, cookie: u64, bufused_ptr: u32) -> i32;
    fd::fd_renumber(fd: u32, to: u32) -> i32;
    fd::fd_seek(fd: u32, offset: i64, whence: u32, newoffset_ptr: u32) -> i32;
    fd::fd_sync(fd: u32) -> i32;
    fd::fd_tell(fd: u32, offset_ptr: u32) -> i32;
    fd::fd_write(fd: u32, iovs: u32, iovs_len: u32, nwritten_ptr: u32) -> i32;
    path::path_create_directory(fd: u32, path_ptr: u32, path_len: u32) -> i32;
    path::path_filestat_get(fd: u32, flags: u32, path_ptr: u32, path_len: u32, buf: u32) -> i32;
    path::path_filestat_set_times(fd: u32, flags: u32, path_ptr: u32, path_len: u32, atim: u64, mtim: u64, fst_flags: u32) -> i32;
    path::path_link(old_fd: u32, old_flags: u32, old_ptr: u32, old_len: u32, new_fd: u32, new_ptr: u32, new_len: u32) -> i32;
    path::path_open(fd: u32, dirflags: u32, path_ptr: u32, path_len: u32, oflags: u32, rights_base: u64, rights_inheriting: u64, fdflags: u32, fd_ptr: u32) -> i32;
    path::path_readlink(fd: u32, path_ptr: u32, path_len: u32, buf: u32, buf_len: u32, nread_ptr: u32) -> i32;
    path::path_remove_directory(fd: u32, path_ptr: u32, path_len: u32) -> i32;
    path::path_rename(fd: u32, old_ptr: u32, old_len: u32, new_fd: u32, new_ptr: u32, new_len: u32) -> i32;
    path::path_symlink(old_ptr: u32, old_len: u32, fd: u32, new_ptr: u32, new_len: u32) -> i32;
    path::path_unlink_file(fd: u32, path_ptr: u32, path_len: u32) -> i32;
    poll::poll_oneoff(in_ptr: u32, out_ptr: u32, nsubscriptions: u32, nevents_ptr: u32) -> i32;
    proc::proc_exit(rval: u32) -> ();
    proc::proc_raise(sig: u32) -> i32;
    random::random_get(buf: u32, buf_len: u32) -> i32;
    sched::sched_yield() -> i32;
    sock::sock_accept(fd: u32, flags: u32, fd_ptr: u32) -> i32;
    sock::sock_recv(fd: u32, ri_data: u32, ri_data_len: u32, ri_flags: u32, ro_datalen_ptr: u32, ro_flags_ptr: u32) -> i32;
    sock::sock_send(fd: u32, si_data: u32, si_data_len: u32, si_flags: u32, so_datalen_ptr: u32) -> i32;
    sock::sock_shutdown(fd: u32, how: u32) -> i32;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_complete_and_sorted() {
        assert_eq!(WASI_FUNCTIONS.len(), 46);
        assert_eq!(FUNCTIONS.len(), 46);
        let mut sorted = WASI_FUNCTIONS.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, WASI_FUNCTIONS, "alphabetical, no duplicates");
        for (f, name) in FUNCTIONS.iter().zip(WASI_FUNCTIONS) {
            assert_eq!(f.name(), *name);
            assert_eq!(WasiFunction::by_name(name).map(|f| f.name), Some(*name));
        }
        let exit = WasiFunction::by_name("proc_exit").unwrap();
        assert_eq!(exit.ty(), FuncType::new([ValType::I32], []));
        let seek = WasiFunction::by_name("fd_seek").unwrap();
        let names: Vec<&str> = seek.params().map(|(n, _)| n).collect();
        assert_eq!(names, ["fd", "offset", "whence", "newoffset_ptr"]);
        assert_eq!(Slot::I64.show(u64::MAX), "-1");
    }
}
