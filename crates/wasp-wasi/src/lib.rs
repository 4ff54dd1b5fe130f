//! # wasp-wasi
//!
//! The WASI preview 1 (`wasi_snapshot_preview1`) host for the
//! [wasp] WebAssembly runtime: all 46 functions, a capability-based
//! filesystem sandbox, clocks, randomness, `poll_oneoff`, non-blocking I/O
//! and preopened TCP listeners — what Go's `GOOS=wasip1` programs (and
//! wasi-libc or Rust `wasm32-wasip1` programs) need from their host.
//!
//! ```no_run
//! use wasp::{Engine, Linker, Module, Store};
//! use wasp_wasi::{DirPerms, WasiCtx, WasiCtxBuilder};
//!
//! let engine = Engine::default();
//! let module = Module::from_file(&engine, "hello.wasm").unwrap();
//! let mut linker: Linker<WasiCtx> = Linker::new(&engine);
//! wasp_wasi::add_to_linker(&mut linker, |ctx| ctx).unwrap();
//! let mut b = WasiCtxBuilder::new();
//! b.arg("hello").inherit_stdio();
//! b.preopened_dir(".", "/", DirPerms::ReadOnly).unwrap();
//! let mut store = Store::new(&engine, b.build());
//! let instance = linker.instantiate(&mut store, &module).unwrap();
//! let start = instance.get_typed_func::<(), ()>(&store, "_start").unwrap();
//! match start.call(&mut store, ()) {
//!     Ok(()) => {}
//!     Err(e) if e.exit_status().is_some() => std::process::exit(e.exit_status().unwrap()),
//!     Err(e) => panic!("{e}"),
//! }
//! ```
//!
//! ## The functions
//!
//! [`add_to_linker`] defines all 46 functions of [`MODULE`]; [`FUNCTIONS`]
//! lists them with their wasm signatures ([`WASI_FUNCTIONS`]: the names).
//! Each returns an `i32` errno ([`Errno`]) except `proc_exit`. Every bad
//! pointer is `EFAULT`; host memory per call is bounded whatever the guest
//! asks (iovec counts, path lengths, subscription counts).
//!
//! | group | functions | notes |
//! |---|---|---|
//! | args | `args_get`, `args_sizes_get` | `argv[0]` is the program name ([`DEFAULT_ARGV0`] when none is given) |
//! | environ | `environ_get`, `environ_sizes_get` | only what the builder grants |
//! | clock | `clock_res_get`, `clock_time_get` | realtime, monotonic (host or injected, [`Clock`]), process and thread CPU time |
//! | fd | `fd_advise`, `fd_allocate`, `fd_close`, `fd_datasync`, `fd_fdstat_get`, `fd_fdstat_set_flags`, `fd_fdstat_set_rights`, `fd_filestat_get`, `fd_filestat_set_size`, `fd_filestat_set_times`, `fd_pread`, `fd_prestat_dir_name`, `fd_prestat_get`, `fd_pwrite`, `fd_read`, `fd_readdir`, `fd_renumber`, `fd_seek`, `fd_sync`, `fd_tell`, `fd_write` | files, directories, stdio streams, sockets; stdio never reaches the host file behind it |
//! | path | `path_create_directory`, `path_filestat_get`, `path_filestat_set_times`, `path_link`, `path_open`, `path_readlink`, `path_remove_directory`, `path_rename`, `path_symlink`, `path_unlink_file` | resolved by cap-std beneath a preopen (escapes are `ENOTCAPABLE`); read-only preopens refuse mutations with `EROFS` |
//! | poll | `poll_oneoff` | clocks and fd readiness in one `poll(2)`; per-subscription errors in the events |
//! | proc | `proc_exit`, `proc_raise` | `proc_exit` accepts statuses 0 to 125 (126 and above fail the call, not an exit); `proc_raise` is `ENOSYS` |
//! | random | `random_get` | the host's CSPRNG, or an injected [`RandomSource`] |
//! | sched | `sched_yield` | a no-op |
//! | sock | `sock_accept`, `sock_recv`, `sock_send`, `sock_shutdown` | on preopened TCP listeners and the connections they accept |
//!
//! The source has one module per group, each function documented with its
//! parameters, memory layout and errnos, plus `ctx` (builder and context),
//! `table` (fd table), `stdio` (standard streams), `mem` (bounds-checked
//! guest memory), `errno` (error numbers and the mapping from host errors),
//! [`types`] (constants and record layouts, public for tests and tools
//! that build guest memory by hand) and `funcs` (the function table and the
//! one path every call takes, from the linker or [`WasiCtx::call`]).
//!
//! ## Denying functions
//!
//! [`WasiCtxBuilder::deny`] makes a function return `ENOSYS` without doing
//! anything (for sandbox profiles); the import still links. A denied
//! `proc_exit` traps, as it cannot return. [`profile`] computes the denied
//! set from named profiles (`minimal`, `stdio`, `fs-read`, `fs`, `net`,
//! `full`) and allow/deny lists.

#![warn(missing_docs)]

mod args;
mod clock;
mod ctx;
mod environ;
mod errno;
mod fd;
mod funcs;
mod mem;
mod path;
mod poll;
mod proc;
pub mod profile;
mod random;
mod sched;
mod sock;
mod stdio;
mod table;
pub mod types;
mod wake;

pub use clock::Clock;
pub use ctx::{DirPerms, UnknownFunction, WasiCtx, WasiCtxBuilder, DEFAULT_ARGV0};
pub use errno::Errno;
pub use funcs::{WasiFunction, FUNCTIONS, MODULE, WASI_FUNCTIONS};
pub use profile::{Profile, ProfileError};
pub use random::{RandomSource, SeededRandom};
pub use stdio::MemoryOutput;

/// Defines all 46 `wasi_snapshot_preview1` functions in `linker`.
///
/// `get` finds the [`WasiCtx`] inside the store's data. Each function reads
/// and writes the calling instance's exported `memory`.
pub fn add_to_linker<T: 'static>(
    linker: &mut wasp::Linker<T>,
    get: impl Fn(&mut T) -> &mut WasiCtx + Copy + Send + Sync + 'static,
) -> wasp::Result<()> {
    funcs::define_all(linker, get)
}

impl WasiCtx {
    /// Calls the WASI function `name` directly, with raw wasm arguments (an
    /// `i32` as its `u32` bits, an `i64` as `u64`) against the guest memory
    /// `memory`. Returns the errno the guest would see (`Err` for
    /// `proc_exit`, a wrong argument count or an unknown name).
    ///
    /// This is the same code the linker runs; it lets tools and tests drive
    /// the host without an instance.
    pub fn call(&mut self, memory: &mut [u8], name: &str, args: &[u64]) -> wasp::Result<i32> {
        funcs::call_raw(self, memory, name, args)
    }
}
