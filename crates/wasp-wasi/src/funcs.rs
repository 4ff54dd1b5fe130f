//! The table of all 46 functions and the glue that binds them to a
//! [`wasp::Linker`] (or calls them directly on a memory slice).
//!
//! One macro invocation lists every function with its wasm-level parameters
//! (`u32` for `i32`, `u64`/`i64` for `i64`); every function returns an `i32`
//! errno except `proc_exit`, which returns nothing.

use crate::ctx::{denied_errno, WasiCtx};
use crate::errno::WasiResult;
use crate::mem::GuestMemory;
use crate::{args, clock, environ, fd, path, poll, proc, random, sched, sock};
use wasp::{Caller, Extern, Linker};

/// The import module name of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// The names of all 46 `wasi_snapshot_preview1` functions, in alphabetical
/// order (the order of the preview 1 specification's index).
pub const WASI_FUNCTIONS: &[&str] = &[
    "args_get",
    "args_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "environ_get",
    "environ_sizes_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_dir_name",
    "fd_prestat_get",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "random_get",
    "sched_yield",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
];

fn index(name: &str) -> usize {
    crate::ctx::function_index(name).expect("function is in WASI_FUNCTIONS")
}

/// Prints one traced line to the host's stderr, ignoring failure (a closed
/// pipe or a full disk must not panic the host mid-call).
#[cold]
fn trace_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Prints one traced call to stderr.
#[cold]
fn trace(name: &str, args: &[String], r: &WasiResult<()>) {
    let result = match r {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("{} ({})", e.name(), e.raw()),
    };
    trace_line(format_args!(
        "[wasi] {name}({}) -> {result}",
        args.join(", ")
    ));
}

fn code(r: WasiResult<()>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => e.raw() as i32,
    }
}

/// Runs `f` with the context and the caller's exported `memory` (an empty
/// memory when the module exports none, so every pointer is `EFAULT`).
fn with_ctx<T>(
    caller: &mut Caller<'_, T>,
    get: impl Fn(&mut T) -> &mut WasiCtx,
    idx: usize,
    f: impl FnOnce(&mut WasiCtx, &mut GuestMemory<'_>) -> WasiResult<()>,
) -> i32 {
    let memory = caller.get_export("memory").and_then(Extern::into_memory);
    let (bytes, data): (&mut [u8], &mut T) = match memory {
        Some(m) => m.data_and_store_mut(&mut *caller),
        None => (&mut [], caller.data_mut()),
    };
    let ctx = get(data);
    if ctx.denied & (1 << idx) != 0 {
        return denied_errno(idx);
    }
    code(f(ctx, &mut GuestMemory::new(bytes)))
}

/// A raw argument decoded from a `u64` slot (as `Func::call` passes them).
trait Arg {
    fn from_slot(v: u64) -> Self;
}
impl Arg for u32 {
    fn from_slot(v: u64) -> Self {
        v as u32
    }
}
impl Arg for u64 {
    fn from_slot(v: u64) -> Self {
        v
    }
}
impl Arg for i64 {
    fn from_slot(v: u64) -> Self {
        v as i64
    }
}

macro_rules! functions {
    ($($group:ident :: $name:ident ( $($arg:ident : $ty:ty),* );)*) => {
        /// Defines every function in `linker`.
        pub(crate) fn define_all<T: 'static>(
            linker: &mut Linker<T>,
            get: impl Fn(&mut T) -> &mut WasiCtx + Copy + Send + Sync + 'static,
        ) -> wasp::Result<()> {
            $(
                let idx = index(stringify!($name));
                linker.func_wrap(MODULE, stringify!($name),
                    move |mut caller: Caller<'_, T>, $($arg: $ty),*| -> i32 {
                        with_ctx(&mut caller, get, idx, |ctx, mem| {
                            let r = $group::$name(ctx, mem, $($arg),*);
                            if ctx.trace {
                                trace(stringify!($name), &[$(format!("{}", $arg)),*], &r);
                            }
                            r
                        })
                    })?;
            )*
            let idx = index("proc_exit");
            linker.func_wrap(MODULE, "proc_exit", move |mut caller: Caller<'_, T>, rval: u32| -> wasp::Result<()> {
                let ctx = get(caller.data_mut());
                if ctx.trace {
                    trace_line(format_args!("[wasi] proc_exit({rval})"));
                }
                if ctx.denied & (1 << idx) != 0 {
                    return Err(wasp::Error::host(proc::ExitRefused::Denied));
                }
                Err(proc::proc_exit(ctx, rval))
            })?;
            Ok(())
        }

        /// Calls function `name` with raw arguments against `memory`.
        pub(crate) fn call_raw(ctx: &mut WasiCtx, memory: &mut [u8], name: &str, raw: &[u64]) -> wasp::Result<i32> {
            let idx = crate::ctx::function_index(name)
                .ok_or_else(|| wasp::Error::msg(format!("unknown WASI function `{name}`")))?;
            if name == "proc_exit" {
                let rval = *raw.first().ok_or_else(|| wasp::Error::msg("proc_exit takes 1 argument"))?;
                if ctx.denied & (1 << idx) != 0 {
                    return Err(wasp::Error::host(proc::ExitRefused::Denied));
                }
                return Err(proc::proc_exit(ctx, rval as u32));
            }
            if ctx.denied & (1 << idx) != 0 {
                return Ok(denied_errno(idx));
            }
            let mut mem = GuestMemory::new(memory);
            match name {
                $(stringify!($name) => {
                    const NAMES: &[&str] = &[$(stringify!($arg)),*];
                    const N: usize = NAMES.len();
                    if raw.len() != N {
                        return Err(wasp::Error::msg(format!(
                            "`{name}` takes {N} arguments, got {}", raw.len())));
                    }
                    #[allow(unused_mut, unused_variables)]
                    let mut it = raw.iter().copied();
                    $(let $arg = <$ty as Arg>::from_slot(it.next().unwrap_or(0));)*
                    Ok(code($group::$name(ctx, &mut mem, $($arg),*)))
                })*
                _ => unreachable!("every listed name has an arm"),
            }
        }

        #[cfg(test)]
        pub(crate) const DEFINED: &[&str] = &[$(stringify!($name),)* "proc_exit"];
    };
}

functions! {
    args::args_get(argv: u32, argv_buf: u32);
    args::args_sizes_get(argc_ptr: u32, buf_size_ptr: u32);
    clock::clock_res_get(id: u32, res_ptr: u32);
    clock::clock_time_get(id: u32, precision: u64, time_ptr: u32);
    environ::environ_get(environ: u32, environ_buf: u32);
    environ::environ_sizes_get(count_ptr: u32, size_ptr: u32);
    fd::fd_advise(fd: u32, offset: u64, len: u64, advice: u32);
    fd::fd_allocate(fd: u32, offset: u64, len: u64);
    fd::fd_close(fd: u32);
    fd::fd_datasync(fd: u32);
    fd::fd_fdstat_get(fd: u32, buf: u32);
    fd::fd_fdstat_set_flags(fd: u32, flags: u32);
    fd::fd_fdstat_set_rights(fd: u32, base: u64, inheriting: u64);
    fd::fd_filestat_get(fd: u32, buf: u32);
    fd::fd_filestat_set_size(fd: u32, size: u64);
    fd::fd_filestat_set_times(fd: u32, atim: u64, mtim: u64, fst_flags: u32);
    fd::fd_pread(fd: u32, iovs: u32, iovs_len: u32, offset: u64, nread_ptr: u32);
    fd::fd_prestat_dir_name(fd: u32, path: u32, path_len: u32);
    fd::fd_prestat_get(fd: u32, buf: u32);
    fd::fd_pwrite(fd: u32, iovs: u32, iovs_len: u32, offset: u64, nwritten_ptr: u32);
    fd::fd_read(fd: u32, iovs: u32, iovs_len: u32, nread_ptr: u32);
    fd::fd_readdir(fd: u32, buf: u32, buf_len: u32, cookie: u64, bufused_ptr: u32);
    fd::fd_renumber(fd: u32, to: u32);
    fd::fd_seek(fd: u32, offset: i64, whence: u32, newoffset_ptr: u32);
    fd::fd_sync(fd: u32);
    fd::fd_tell(fd: u32, offset_ptr: u32);
    fd::fd_write(fd: u32, iovs: u32, iovs_len: u32, nwritten_ptr: u32);
    path::path_create_directory(fd: u32, path_ptr: u32, path_len: u32);
    path::path_filestat_get(fd: u32, flags: u32, path_ptr: u32, path_len: u32, buf: u32);
    path::path_filestat_set_times(fd: u32, flags: u32, path_ptr: u32, path_len: u32, atim: u64, mtim: u64, fst_flags: u32);
    path::path_link(old_fd: u32, old_flags: u32, old_ptr: u32, old_len: u32, new_fd: u32, new_ptr: u32, new_len: u32);
    path::path_open(fd: u32, dirflags: u32, path_ptr: u32, path_len: u32, oflags: u32, rights_base: u64, rights_inheriting: u64, fdflags: u32, fd_ptr: u32);
    path::path_readlink(fd: u32, path_ptr: u32, path_len: u32, buf: u32, buf_len: u32, nread_ptr: u32);
    path::path_remove_directory(fd: u32, path_ptr: u32, path_len: u32);
    path::path_rename(fd: u32, old_ptr: u32, old_len: u32, new_fd: u32, new_ptr: u32, new_len: u32);
    path::path_symlink(old_ptr: u32, old_len: u32, fd: u32, new_ptr: u32, new_len: u32);
    path::path_unlink_file(fd: u32, path_ptr: u32, path_len: u32);
    poll::poll_oneoff(in_ptr: u32, out_ptr: u32, nsubscriptions: u32, nevents_ptr: u32);
    proc::proc_raise(sig: u32);
    random::random_get(buf: u32, buf_len: u32);
    sched::sched_yield();
    sock::sock_accept(fd: u32, flags: u32, fd_ptr: u32);
    sock::sock_recv(fd: u32, ri_data: u32, ri_data_len: u32, ri_flags: u32, ro_datalen_ptr: u32, ro_flags_ptr: u32);
    sock::sock_send(fd: u32, si_data: u32, si_data_len: u32, si_flags: u32, so_datalen_ptr: u32);
    sock::sock_shutdown(fd: u32, how: u32);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_defined_once() {
        assert_eq!(WASI_FUNCTIONS.len(), 46);
        let mut defined = DEFINED.to_vec();
        defined.sort();
        let mut names = WASI_FUNCTIONS.to_vec();
        names.sort();
        assert_eq!(defined, names);
        let mut sorted = WASI_FUNCTIONS.to_vec();
        sorted.sort();
        assert_eq!(sorted, WASI_FUNCTIONS, "kept in alphabetical order");
    }
}
